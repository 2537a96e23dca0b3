// Evaluate (confusion matrix with the images of each cell, per-class P/R/F1, most confident
// mistakes), Try it (top-k, feature maps, first-layer filters) and Export (with the check).
import { useEffect, useRef, useState, useSyncExternalStore, type ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { isSuperseded, MAX_IMAGE_UPLOAD_BYTES, type EvalResult, type ExportResult, type PredictFolderResult, type PredictResult, type PyTorchExportResult, type RunSummary } from '../../engine/protocol.ts';
import type { TrainStore } from '../store/train-store.ts';
import { useEditor } from './context.ts';
import { FolderDialog, runOfDocument, runTitle } from './TrainView.tsx';
import { engineText, skipReasonText } from '../i18n/errors.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The run the views work on: the one picked, else the current run (running or just trained), else
 * the open document's newest with a model, else the newest with a model.
 */
function useRun(train: TrainStore): [string | null, (id: string) => void, ReactElement, RunSummary | undefined] {
  const { client, store } = useEditor();
  const { t: T, i18n } = useTranslation();
  const t = useSyncExternalStore(train.subscribe, train.getState);
  const editor = useSyncExternalStore(store.subscribe, store.getState);
  const [picked, setPicked] = useState<string | null>(null);
  useEffect(() => void client.listRuns().then((r) => train.setRuns(r), () => {}), [t.done]);
  const usable = t.runs.filter((r) => r.hasModel);
  const runId =
    picked && usable.some((r) => r.runId === picked)
      ? picked
      : (usable.find((r) => r.runId === t.runId) ?? usable.find((r) => runOfDocument(r, editor)) ?? usable[0])?.runId ?? null;
  const select = (
    <label className="run-picker">{T('evaluation.run')}{' '}
      <select value={runId ?? ''} onChange={(e) => setPicked(e.target.value)} data-testid="run-picker">
        {usable.length === 0 && <option value="">{T('evaluation.noRun')}</option>}
        {usable.map((r) => <option key={r.runId} value={r.runId}>{runTitle(r)} · {r.dataDir.split(/[\\/]/).filter(Boolean).pop()} ({T(`runStatus.${r.status}`, { defaultValue: r.status })}{r.final?.valAccuracy != null ? T('evaluation.runVal', { acc: pct(r.final.valAccuracy) }) : ''})</option>)}
      </select>
    </label>
  );
  return [runId, setPicked, select, usable.find((r) => r.runId === runId)];
}

function Thumbs({ dataDir, paths, caption }: { dataDir: string; paths: string[]; caption?: (p: string) => string }) {
  const { client } = useEditor();
  const [urls, setUrls] = useState<Record<string, string | null>>({});
  useEffect(() => {
    if (paths.length) client.images(dataDir, paths.slice(0, 120), 72).then((r) => setUrls(Object.fromEntries(r.images.map((i) => [i.path, i.url]))), () => {});
  }, [dataDir, paths.join('|')]);
  return (
    <div className="gallery">
      {paths.slice(0, 120).map((p) => (
        <figure key={p}>{urls[p] ? <img src={urls[p]!} alt={p} /> : <div className="ph" />}<figcaption title={p}>{caption ? caption(p) : p.split('/').pop()}</figcaption></figure>
      ))}
    </div>
  );
}

export function EvaluateView({ train }: { train: TrainStore }) {
  const { client, notify } = useEditor();
  const { t: T, i18n } = useTranslation();
  const [runId, , picker] = useRun(train);
  const [res, setRes] = useState<EvalResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [cell, setCell] = useState<[number, number] | null>(null);
  const run = async () => {
    if (!runId) return;
    setBusy(true);
    try {
      setRes(await client.evaluate(runId));
      setCell(null);
    } catch (e) {
      if (!isSuperseded(e)) notify(T('evaluation.error', { error: engineText(T, i18n, e) }), 'error');
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void run(), [runId]);
  const max = res ? Math.max(1, ...res.confusion.flat()) : 1;
  return (
    <div className="workspace eval-view" data-testid="eval-view">
      <section className="card">
        <h2>{T('evaluation.title')} {picker} <button onClick={() => void run()} disabled={!runId || busy}>{busy ? T('evaluation.evaluating') : T('evaluation.evaluate')}</button></h2>
        {res && <p>{T('evaluation.result', { model: res.model, count: res.count })}<b data-testid="eval-accuracy">{pct(res.accuracy)}</b>{T('evaluation.loss', { loss: res.loss.toFixed(4) })}</p>}
        {!runId && <p className="muted">{T('evaluation.trainFirst')}</p>}
      </section>
      {res && (
        <>
          <section className="card">
            <h3>{T('evaluation.confusion')} <span className="muted">{T('evaluation.confusionNote')}</span></h3>
            <table className="confusion" data-testid="confusion">
              <thead><tr><th /> {res.classNames.map((c) => <th key={c}>{c}</th>)}</tr></thead>
              <tbody>
                {res.confusion.map((row, i) => (
                  <tr key={i}>
                    <th>{res.classNames[i]}</th>
                    {row.map((v, j) => (
                      <td key={j} className={`${i === j ? 'diag' : 'off'} ${cell?.[0] === i && cell?.[1] === j ? 'sel' : ''}`}
                        style={{ background: v ? (i === j ? `rgba(31,138,76,${0.15 + (0.75 * v) / max})` : `rgba(209,47,47,${0.15 + (0.75 * v) / max})`) : undefined }}
                        onClick={() => setCell([i, j])} data-cell={`${i},${j}`}>{v}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>{T('evaluation.perClass')}</h3>
            <table className="perclass">
              <thead><tr><th>{T('evaluation.class')}</th><th>{T('evaluation.precision')}</th><th>{T('evaluation.recall')}</th><th>{T('evaluation.f1')}</th><th>{T('evaluation.support')}</th></tr></thead>
              <tbody>{res.perClass.map((c) => <tr key={c.name}><td>{c.name}</td><td>{pct(c.precision)}</td><td>{pct(c.recall)}</td><td>{pct(c.f1)}</td><td>{c.support}</td></tr>)}</tbody>
            </table>
          </section>
          <section className="card">
            {cell ? (
              <>
                <h3 data-testid="cell-title">{T('evaluation.cell', { truth: res.classNames[cell[0]], predicted: res.classNames[cell[1]], count: res.confusion[cell[0]][cell[1]] })}</h3>
                <div data-testid="cell-images"><Thumbs dataDir={res.dataDir} paths={res.cells[cell[0]][cell[1]]} /></div>
              </>
            ) : (
              <>
                <h3>{T('evaluation.mistakes')}</h3>
                {res.mistakes.length === 0 && <p className="muted">{T('evaluation.noMistakes')}</p>}
                <Thumbs dataDir={res.dataDir} paths={res.mistakes.map((m) => m.path)} caption={(p) => {
                  const m = res.mistakes.find((x) => x.path === p)!;
                  return `${res.classNames[m.label]} → ${res.classNames[m.predicted]} ${pct(m.confidence)}`;
                }} />
              </>
            )}
          </section>
        </>
      )}
    </div>
  );
}

export function TryView({ train }: { train: TrainStore }) {
  const { client, notify, store } = useEditor();
  const { t: T, i18n } = useTranslation();
  const [runId, , picker, run] = useRun(train);
  const t = useSyncExternalStore(train.subscribe, train.getState);
  const [res, setRes] = useState<PredictResult | null>(null);
  // The sample images come from the run's own dataset (its paths are what predict reads), not
  // from whatever folder the Train view shows now.
  const [runSamples, setRunSamples] = useState<{ dataDir: string; paths: string[] } | null>(null);
  const runData = run?.dataDir ?? null;
  const sameData = !runData || (!!t.report && runData === t.report.root);
  useEffect(() => {
    if (!runData || sameData) return;
    let live = true;
    client.datasetReport(store.doc, runData).then(
      (r) => live && setRunSamples({ dataDir: runData, paths: r.samples.map((c) => c[0]).filter(Boolean) }),
      () => live && setRunSamples({ dataDir: runData, paths: [] }),
    );
    return () => void (live = false);
  }, [runData, sameData]);
  const predict = async (image: { path: string } | { data: string }) => {
    if (!runId) return notify(T('try.trainFirst'), 'error');
    try {
      setRes(await client.predict(runId, image, { top: 5 }));
    } catch (e) {
      if (!isSuperseded(e)) notify(T('try.error', { error: engineText(T, i18n, e) }), 'error');
    }
  };
  const fromFile = async (f: File | undefined) => {
    if (!f) return;
    // Sent base64-encoded in one message: the engine takes images up to this size.
    if (f.size > MAX_IMAGE_UPLOAD_BYTES) return notify(T('try.tooLarge', { name: f.name, size: (f.size / 2 ** 20).toFixed(1), max: MAX_IMAGE_UPLOAD_BYTES / 2 ** 20 }), 'error');
    const b = new Uint8Array(await f.arrayBuffer());
    let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    await predict({ data: btoa(s) });
  };
  const samples = sameData ? (t.report?.samples.map((c) => c[0]).filter(Boolean) ?? []) : runSamples?.dataDir === runData ? runSamples.paths : [];
  return (
    <div className="workspace try-view" data-testid="try-view"
      onDragOver={(e) => e.preventDefault()} onDrop={(e) => (e.preventDefault(), void fromFile(e.dataTransfer.files[0]))}>
      <section className="card">
        <h2>{T('try.title')} {picker}</h2>
        <p>{T('try.drop')}<label className="file-pick">{T('try.pick')}<input type="file" accept="image/*" onChange={(e) => void fromFile(e.target.files?.[0])} data-testid="try-file" /></label>{T('try.orSample')}</p>
        <div className="try-samples">{samples.map((p) => <button key={p} onClick={() => void predict({ path: p })} data-testid="try-sample">{p}</button>)}</div>
      </section>
      <PredictFolder runId={runId} dataDir={t.dataDir} />
      {res && (
        <>
          <section className="card try-result" data-testid="try-result">
            <img className="try-input" src={res.input} alt={T('try.inputAlt')} />
            <div className="topk">
              {res.top.map((c) => (
                <div key={c.label} className="topk-row"><span>{c.name}</span><div className="topk-bar"><div style={{ width: `${100 * c.probability}%` }} /></div><span>{pct(c.probability)}</span></div>
              ))}
            </div>
          </section>
          <section className="card">
            {res.filters && <><h3>{T('try.filters', { id: res.filters.nodeId })}</h3><Filters f={res.filters} /></>}
            {res.featureMaps.map((m) => (
              <div key={m.nodeId} className="fmaps" data-testid="feature-maps">
                <h3>{m.label} <span className="muted">{m.maps.shape.join(' x ')}{m.maps.channels < m.maps.shape[0] ? T('try.firstChannels', { n: m.maps.channels }) : ''}</span></h3>
                <Planes maps={m.maps} />
              </div>
            ))}
          </section>
        </>
      )}
    </div>
  );
}

/** Every image below a dataset folder through the run's model: a CSV in the project and a summary. */
function PredictFolder({ runId, dataDir }: { runId: string | null; dataDir: string | null }) {
  const { client, notify } = useEditor();
  const { t: T, i18n } = useTranslation();
  const [picking, setPicking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [res, setRes] = useState<PredictFolderResult | null>(null);
  const run = async (dir: string) => {
    setPicking(false);
    if (!runId) return notify(T('try.trainFirst'), 'error');
    setBusy(true);
    try {
      setRes(await client.predictFolder(runId, dir, { top: 3 }));
    } catch (e) {
      notify(T('try.folderError', { error: engineText(T, i18n, e) }), 'error');
    } finally {
      setBusy(false);
    }
  };
  const failed = res ? res.rows.filter((r) => r.error) : [];
  return (
    <section className="card" data-testid="predict-folder">
      <h3>{T('try.folder')} <button onClick={() => setPicking(true)} disabled={!runId || busy} data-testid="predict-folder-button">{busy ? T('try.predicting') : T('try.chooseFolder')}</button>{' '}
        {dataDir && <button onClick={() => void run(dataDir)} disabled={!runId || busy} data-testid="predict-dataset-button">{T('try.datasetFolder')}</button>}</h3>
      {res && (
        <div data-testid="predict-folder-result">
          <p>{T('try.classified', { classified: res.classified, files: res.files, dir: res.dataDir, seconds: res.seconds.toFixed(1) })}{res.labelled ? T('try.matches', { correct: res.correct, labelled: res.labelled, acc: pct(res.correct / res.labelled) }) : null}{T('try.csv', { csv: res.csv })}</p>
          {failed.length > 0 && <p className="muted">{T('try.notClassified', { list: failed.slice(0, 5).map((r) => `${r.path} (${skipReasonText(T, i18n, r.error!)})`).join('; ') + (failed.length > 5 ? '; …' : '') })}</p>}
          <table className="perclass">
            <thead><tr><th>{T('try.file')}</th><th>{T('try.classFolder')}</th><th>{T('try.topClasses')}</th></tr></thead>
            <tbody>{res.rows.filter((r) => !r.error).slice(0, 20).map((r) => <tr key={r.path}><td>{r.path}</td><td>{r.trueClass ?? ''}</td><td>{r.top.map((t) => `${t.class} ${pct(t.probability)}`).join(', ')}</td></tr>)}</tbody>
          </table>
        </div>
      )}
      {picking && <FolderDialog onPick={(d) => void run(d)} onClose={() => setPicking(false)} />}
    </section>
  );
}

function Planes({ maps }: { maps: PredictResult['featureMaps'][number]['maps'] }) {
  const [, h, w] = maps.shape;
  const bytes = Uint8Array.from(atob(maps.data), (c) => c.charCodeAt(0));
  return <div className="planes">{Array.from({ length: maps.channels }, (_, c) => <Gray key={c} px={bytes.subarray(c * h * w, (c + 1) * h * w)} w={w} h={h} />)}</div>;
}

function Gray({ px, w, h, rgb }: { px: Uint8Array; w: number; h: number; rgb?: Uint8Array[] }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current!.getContext('2d')!;
    const img = ctx.createImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      img.data[4 * i] = rgb ? rgb[0][i] : px[i];
      img.data[4 * i + 1] = rgb ? rgb[1][i] : px[i];
      img.data[4 * i + 2] = rgb ? rgb[2][i] : px[i];
      img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [px, rgb]);
  return <canvas ref={ref} width={w} height={h} className="plane" />;
}

/** Each filter scaled to 0..255 by its own range; RGB when it has three input channels. */
function Filters({ f }: { f: NonNullable<PredictResult['filters']> }) {
  const [n, c, kh, kw] = f.shape;
  const per = c * kh * kw;
  return (
    <div className="planes filters">
      {Array.from({ length: Math.min(n, 64) }, (_, i) => {
        const v = f.values.slice(i * per, (i + 1) * per);
        const lo = Math.min(...v);
        const hi = Math.max(...v);
        const b = Uint8Array.from(v, (x) => (hi > lo ? Math.round((255 * (x - lo)) / (hi - lo)) : 128));
        const plane = kh * kw;
        return c === 3 ? <Gray key={i} px={b} w={kw} h={kh} rgb={[b.subarray(0, plane), b.subarray(plane, 2 * plane), b.subarray(2 * plane)]} /> : <Gray key={i} px={b.subarray(0, plane)} w={kw} h={kh} />;
      })}
    </div>
  );
}

export function ExportView({ train }: { train: TrainStore }) {
  const { client, notify } = useEditor();
  const { t: T, i18n } = useTranslation();
  const [runId, , picker] = useRun(train);
  const [res, setRes] = useState<ExportResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [torch, setTorch] = useState<PyTorchExportResult | null>(null);
  const goTorch = async () => {
    if (!runId) return;
    setBusy(true);
    try {
      setTorch(await client.exportPyTorch(runId));
    } catch (e) {
      notify(T('export.pytorchError', { error: engineText(T, i18n, e) }), 'error');
    } finally {
      setBusy(false);
    }
  };
  const go = async () => {
    if (!runId) return;
    setBusy(true);
    try {
      setRes(await client.exportModel(runId));
    } catch (e) {
      notify(T('export.error', { error: engineText(T, i18n, e) }), 'error');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="workspace export-view" data-testid="export-view">
      <section className="card">
        <h2>{T('export.title')} {picker}</h2>
        <p>{T('export.intro')}</p>
        <button className="primary" onClick={() => void go()} disabled={!runId || busy} data-testid="export-button">{busy ? T('export.exporting') : T('export.onnx')}</button>{' '}
        <button onClick={() => void goTorch()} disabled={!runId || busy} data-testid="export-pytorch-button">{T('export.pytorch')}</button>
      </section>
      {torch && (
        <section className="card" data-testid="export-pytorch-result" data-path={torch.outDir}>
          <h3 className="st-ok">{T('export.pytorchPackage', { dir: torch.outDir })}</h3>
          <p>{T('export.pytorchFiles', { files: torch.files.join(', '), className: torch.className, withWeights: torch.weights ? 'yes' : 'no' })}<code>python train.py --data DIR</code>{T('export.pytorchMore')}<code>torchrun --nproc_per_node N train.py --data DIR</code>{T('export.pytorchReadme')}</p>
        </section>
      )}
      {res && (
        <section className="card" data-testid="export-result" data-ok={res.ok} data-path={res.path}>
          <h3 className={res.ok ? 'st-ok' : 'st-error'}>{res.ok ? T('export.verified') : T('export.failed')}: {res.path}</h3>
          <p>{T('export.check', { kib: (res.bytes / 1024).toFixed(1), compared: res.compared, diff: res.maxAbsDiff.toExponential(2), tolerance: res.tolerance, same: res.sameArgmax })}</p>
          <table><tbody>{Object.entries(res.metadata).map(([k, v]) => <tr key={k}><th>{k}</th><td><code>{v}</code></td></tr>)}</tbody></table>
        </section>
      )}
    </div>
  );
}
