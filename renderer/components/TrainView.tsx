// The Train view: dataset folder and report, training settings, start/pause/resume/stop, live
// plots, progress, runs history (with one run overlaid) and the gradient check.
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { problemText } from '../i18n/problems.ts';
import { engineText, skipReasonText } from '../i18n/errors.ts';
import { blockText, logText } from '../i18n/train.ts';
import { dataSettings } from '../../engine/graph/document.ts';
import { EngineError, isSuperseded, type DeviceInfo, type DirListing, type GradCheckResult, type RunSummary } from '../../engine/protocol.ts';
import { datasetBlock, downsample, mergeOnX, runRows, smooth, type TrainStore } from '../store/train-store.ts';
import { Chart } from './Chart.tsx';
import { ContinueRun, InterruptedNotice } from './ContinueRun.tsx';
import { useEditor } from './context.ts';
import { docKey, recentDataDirs, rememberDataDir } from './dataset-choice.ts';
import { FolderIcon, Modal } from './Dialogs.tsx';
import { OPTIMIZER_NAMES } from './format.ts';

const DRAW_POINTS = 2000;
const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(1)}%`);
const num = (x: number | null | undefined, d = 4) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const base = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;
/** A run's name in the table: the one the user gave it, else its start time (the folder name is in the tooltip). */
export const runTitle = (r: RunSummary): string => r.title ?? (Number.isNaN(Date.parse(r.startedAt)) ? r.runId : new Date(r.startedAt).toLocaleString(globalThis.document?.documentElement.lang === 'zh-CN' ? 'zh-CN' : 'en-GB', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }));
/** The runs of the open document: started from its file, or (unsaved) under its name. */
export const runOfDocument = (r: RunSummary, s: { path: string | null; doc: { name: string } }): boolean => (s.path && r.docPath ? r.docPath === s.path : r.name === s.doc.name);
const duration = (T: TFunction, s: number | null) => (s === null || !Number.isFinite(s) ? '–' : s >= 3600 ? T('train.hours', { h: Math.floor(s / 3600), m: Math.round((s % 3600) / 60) }) : s >= 60 ? T('train.minutes', { m: Math.floor(s / 60), s: Math.round(s % 60) }) : T('train.seconds', { s: Math.round(s) }));
/** A run's state or status word in the UI's language (the raw word when unknown). */
const stateWord = (T: TFunction, kind: 'runState' | 'runStatus', w: string) => T(`${kind}.${w}`, { defaultValue: w });

export function TrainView({ train }: { train: TrainStore }) {
  const { store, client, notify } = useEditor();
  const { t: T, i18n } = useTranslation();
  const E = (e: unknown) => engineText(T, i18n, e);
  /** Why a device cannot train, in the UI's language. */
  const deviceWhy = (d: DeviceInfo) => E({ message: d.reason ?? '', text: d.reasonText });
  const t = useSyncExternalStore(train.subscribe, train.getState);
  const editor = useSyncExternalStore(store.subscribe, store.getState);
  const doc = editor.doc;
  const [picking, setPicking] = useState(false);
  const [allRuns, setAllRuns] = useState(false);
  const [renaming, setRenaming] = useState<{ runId: string; text: string } | null>(null);
  /** The user chose a dataset folder: it is this document's from now on (kept across reloads). */
  const choose = (dir: string) => {
    train.setDataDir(dir);
    rememberDataDir(docKey(store.getState()), dir);
  };
  const [importing, setImporting] = useState(false);
  const [smoothing, setSmoothing] = useState(0.8);
  const [grad, setGrad] = useState<GradCheckResult | null>(null);
  const [gradBusy, setGradBusy] = useState(false);
  const analysisOk = store.analysis().ok;
  const busy = t.runState !== 'idle';

  useEffect(() => void client.devices().then((d) => train.setDevices(d), () => {}), []);
  const refreshRuns = () => client.listRuns().then((r) => train.setRuns(r), () => {});
  useEffect(() => void refreshRuns(), [t.done, t.error, t.started]);
  const block = datasetBlock(t);
  const blocker = block ? blockText(T, i18n, block, t.reportErrorText) : null;
  const rows = runRows(t).filter((r) => allRuns || r.runId === t.runId || runOfDocument(r, editor));
  const hidden = t.runs.length - t.runs.filter((r) => r.runId === t.runId || runOfDocument(r, editor)).length;
  const rename = async (runId: string, title: string) => {
    setRenaming(null);
    try {
      await client.renameRun(runId, title);
      await refreshRuns();
    } catch (e) {
      notify(T('train.notRenamed', { error: E(e) }), 'error');
    }
  };

  // The report follows the dataset folder and the network's input size.
  const input = doc.nodes.find((n) => n.type === 'Input');
  const inputKey = JSON.stringify([input?.params, doc.training.valSplit, doc.training.seed, doc.training.data]);
  useEffect(() => {
    if (!t.dataDir || !analysisOk) return;
    train.setReportLoading();
    // A late answer for a folder no longer chosen is dropped, never shown as this folder's report.
    let live = true;
    client.datasetReport(store.doc, t.dataDir).then((r) => live && train.setReport(r), (e: Error) => live && !isSuperseded(e) && train.setReport(null, e));
    return () => void (live = false);
  }, [t.dataDir, inputKey, analysisOk]);

  const start = async () => {
    if (!t.dataDir) return notify(T('train.chooseFirst'), 'error');
    try {
      const r = await client.startTraining(store.doc, t.dataDir, { docPath: store.getState().path, device: t.device });
      train.beginRun(r.runId);
      notify(T('train.training', { dir: r.outDir }));
      void refreshRuns();
    } catch (e) {
      notify(T('train.cannotStart', { error: E(e) }), 'error');
    }
  };
  const control = (f: () => Promise<{ state: string }>) => f().then((r) => train.markState(r.state as never), (e: Error) => notify(E(e), 'error'));
  const gradCheck = async () => {
    setGradBusy(true);
    try {
      setGrad(await client.gradientCheck(store.doc, t.dataDir));
    } catch (e) {
      if (!isSuperseded(e)) notify(T('train.gradError', { error: E(e) }), 'error');
    } finally {
      setGradBusy(false);
    }
  };

  const s = t.series;
  // The overlaid run's step loss is drawn smoothed (same weight), on the same step axis.
  const stepData = useMemo(() => {
    const cur = downsample(s.step, [s.loss, smooth(s.loss, smoothing)], DRAW_POINTS);
    const ov = t.overlay?.steps;
    if (!ov?.length) return cur;
    return mergeOnX(cur, downsample(ov.map((r) => r[0]), [smooth(ov.map((r) => r[1]), smoothing)], DRAW_POINTS));
  }, [t.version, smoothing, t.overlay]);
  const stepSeries = [{ label: T('train.seriesLoss'), color: 'rgba(47,111,222,0.35)', width: 1 }, { label: T('train.seriesSmoothed', { s: smoothing }), color: '#2f6fde', width: 2 }];
  if (t.overlay?.steps.length) stepSeries.push({ label: T('train.seriesOverlay'), color: '#e08a1e', width: 2 });
  const epochSeries = [{ label: T('train.seriesTrain'), color: '#2f6fde', points: true }, { label: T('train.seriesVal'), color: '#d0508a', points: true }, { label: T('train.seriesOverlayTrain'), color: '#8fb1ec', dash: [5, 4], points: true }, { label: T('train.seriesOverlayVal'), color: '#e7a3c2', dash: [5, 4], points: true }];
  const lrData = useMemo(() => downsample(s.step, [s.lr], DRAW_POINTS), [t.version]);
  const epochData = useMemo(() => {
    const ov = t.overlay?.epochs ?? [];
    const cols = <E extends { epoch: number }>(list: E[], a: (e: E) => number | null, b: (e: E) => number | null): [number[], ...(number | null)[][]] => [list.map((e) => e.epoch), list.map(a), list.map(b)];
    return {
      loss: mergeOnX(cols(t.epochs, (e) => e.loss, (e) => e.valLoss), cols(ov, (e) => e.loss, (e) => e.valLoss)),
      acc: mergeOnX(cols(t.epochs, (e) => e.accuracy, (e) => e.valAccuracy), cols(ov, (e) => e.accuracy, (e) => e.valAccuracy)),
    };
  }, [t.version, t.epochs, t.overlay]);
  const p = train.progress();
  const sched = doc.training.schedule ?? { kind: 'constant' as const, warmupSteps: 0, stepEpochs: 10, gamma: 0.1, minFactor: 0 };
  const setSched = (patch: Partial<typeof sched>) => store.setTraining({ schedule: { ...sched, ...patch } });
  const tr = doc.training;

  return (
    <div className="workspace train-view" data-testid="train-view">
      <section className="card dataset-card">
        <h2>{T('train.dataset')}</h2>
        <div className="row">
          <code className="path" title={t.dataDir ?? ''} data-testid="data-dir">{t.dataDir ?? T('train.noFolder')}</code>
          <button onClick={() => setPicking(true)} data-testid="choose-folder">{T('train.chooseFolder')}</button>
          <button onClick={() => setImporting(true)} disabled={busy} data-testid="import-idx" title={T('train.importIdxTitle')}>{T('train.importIdx')}</button>
        </div>
        {t.reportLoading && <p className="muted">{T('train.reading')}</p>}
        {t.reportError && <div className="problem problem-error">{t.reportError}</div>}
        {t.report && <DatasetReport train={train} />}
        {t.dataDir && analysisOk && <Augmentation train={train} busy={busy} />}
      </section>

      <section className="card settings-card">
        <h2>{T('train.settings')}</h2>
        <div className="grid2">
          <label>{T('train.optimizer')}
            <select value={tr.optimizer} onChange={(e) => store.setTraining({ optimizer: e.target.value as typeof tr.optimizer })} disabled={busy}>
              {Object.entries(OPTIMIZER_NAMES).map(([v, name]) => <option key={v} value={v}>{name}</option>)}
            </select>
          </label>
          <label>{T('train.lr')}<NumberField value={tr.lr} onChange={(v) => store.setTraining({ lr: v })} disabled={busy} /></label>
          {tr.optimizer === 'sgd' && <label>{T('train.momentum')}<NumberField value={tr.momentum} onChange={(v) => store.setTraining({ momentum: v })} disabled={busy} /></label>}
          {tr.optimizer === 'sgd' && <label className="check"><input type="checkbox" checked={tr.nesterov} onChange={(e) => store.setTraining({ nesterov: e.target.checked })} disabled={busy} /> Nesterov</label>}
          <label>{T('train.weightDecay')}<NumberField value={tr.weightDecay} onChange={(v) => store.setTraining({ weightDecay: v })} disabled={busy} /></label>
          <label>{T('train.schedule')}
            <select value={sched.kind} onChange={(e) => setSched({ kind: e.target.value as typeof sched.kind })} disabled={busy} aria-label={T('train.scheduleAria')}>
              <option value="constant">{T('train.constant')}</option><option value="step">{T('train.stepDecay')}</option><option value="cosine">{T('train.cosine')}</option>
            </select>
          </label>
          <label>{T('train.warmup')}<NumberField value={sched.warmupSteps} int onChange={(v) => setSched({ warmupSteps: v })} disabled={busy} /></label>
          {sched.kind === 'step' && <label>{T('train.every')}<NumberField value={sched.stepEpochs} int onChange={(v) => setSched({ stepEpochs: v })} disabled={busy} /></label>}
          {sched.kind === 'step' && <label>{T('train.factor')}<NumberField value={sched.gamma} onChange={(v) => setSched({ gamma: v })} disabled={busy} /></label>}
          <label>{T('train.batchSize')}
            <span className="presets">
              {[32, 64, 128].map((b) => <button key={b} className={tr.batchSize === b ? 'on' : ''} onClick={() => store.setTraining({ batchSize: b })} disabled={busy}>{b}</button>)}
              <NumberField value={tr.batchSize} int onChange={(v) => store.setTraining({ batchSize: v })} disabled={busy} aria={T('train.batchAria')} />
            </span>
          </label>
          <label>{T('train.epochs')}<NumberField value={tr.epochs} int onChange={(v) => store.setTraining({ epochs: v })} disabled={busy} aria={T('train.epochsField')} /></label>
          <label>{T('train.seed')}<NumberField value={tr.seed} int onChange={(v) => store.setTraining({ seed: v })} disabled={busy} /></label>
          <label>{T('train.valSplit')}<NumberField value={tr.valSplit} onChange={(v) => store.setTraining({ valSplit: v })} disabled={busy} /></label>
          <label>{T('train.device')}
            <select value={t.device} onChange={(e) => train.setDevice(e.target.value as typeof t.device)} disabled={busy} aria-label={T('train.deviceAria')} data-testid="device"
              title={t.devices.filter((d) => !d.available).map((d) => `${T(`train.deviceLabel.${d.device}`)}: ${deviceWhy(d)}`).join('\n')}>
              {(t.devices.length ? t.devices : [{ device: 'cpu' as const, label: 'CPU', available: true, reason: undefined, reasonText: undefined }]).map((d) => (
                <option key={d.device} value={d.device} disabled={!d.available} title={d.reason && deviceWhy(d)}>{T(`train.deviceLabel.${d.device}`)}{d.available ? '' : T('train.unavailable')}</option>
              ))}
            </select>
          </label>
        </div>
        <div className="controls">
          <button className="primary" onClick={() => void start()} disabled={busy || !analysisOk || !!blocker} data-testid="train-start" title={blocker ?? (analysisOk ? '' : T('train.fixFirst'))}>{T('train.train')}</button>
          <button onClick={() => void control(() => client.pauseTraining())} disabled={t.runState !== 'running'} data-testid="train-pause">{T('train.pause')}</button>
          <button onClick={() => void control(() => client.resumeTraining())} disabled={t.runState !== 'paused'} data-testid="train-resume">{T('train.resume')}</button>
          <button onClick={() => void control(() => client.stopTraining())} disabled={!busy || t.runState === 'stopping'} data-testid="train-stop">{T('train.stop')}</button>
          <button onClick={() => void gradCheck()} disabled={gradBusy || !analysisOk} title={T('train.gradCheckTitle')} data-testid="grad-check">
            {gradBusy ? T('train.checking') : T('train.gradCheck')}
          </button>
        </div>
        {t.devices.some((d) => !d.available) && (
          <details className="devices" data-testid="device-reasons"><summary>{T('train.whyUnavailable')}</summary>
            <ul>{t.devices.filter((d) => !d.available).map((d) => <li key={d.device}><b>{T(`train.deviceLabel.${d.device}`)}</b>: {deviceWhy(d)}</li>)}</ul></details>
        )}
        {!analysisOk && <p className="problem problem-error">{T('train.fixFirstDot')}</p>}
        {analysisOk && blocker && !busy && <p className="problem problem-error" data-testid="train-blocked">{blocker}</p>}
      </section>

      <section className="card progress-card" data-testid="progress" data-state={t.runState}>
        <div className="progress-bar"><div style={{ width: `${(100 * p.fraction).toFixed(1)}%` }} /></div>
        <div className="progress-text">
          <span data-testid="run-state" className={`state state-${t.runState}`}>{stateWord(T, 'runState', t.runState)}</span>
          <span>{T('train.epochOf', { epoch: p.epoch, epochs: p.epochs || '–' })}</span>
          <span>{T('train.stepOf', { step: p.step, total: p.total || '–' })}</span>
          <span>{T('train.samplesPerSec', { n: Math.round(p.samplesPerSec) })}</span>
          <span>{T('train.timeLeft', { time: busy ? duration(T, p.secondsLeft) : '–' })}</span>
          {t.epochs.length > 0 && <span>{T('train.valAcc', { acc: pct(t.epochs.at(-1)!.valAccuracy) })}</span>}
          {t.done && <span data-testid="run-done">{T('train.doneAt', { reason: stateWord(T, 'runStatus', t.done.reason), step: t.done.step })}{t.done.best ? T('train.best', { epoch: t.done.best.epoch, acc: pct(t.done.best.accuracy) }) : ''}</span>}
          {t.error && <span className="st-error" data-testid="run-error">{E({ message: t.error, text: t.errorText })}</span>}
        </div>
        {t.logs.filter((l) => l.level === 'warn').slice(-3).map((l, i) => <div key={i} className="problem problem-warning">{logText(T, i18n, l)}</div>)}
      </section>

      <section className="card charts-card">
        <div className="charts">
          <div>
            <Chart title={T('train.chartStep')} xLabel={T('train.xStep')} testId="chart-step-loss" sourcePoints={s.step.length} data={stepData} series={stepSeries}
            marker={t.diverged ? { x: t.diverged.step, label: T('train.diverged', { step: t.diverged.step, hint: E({ message: t.diverged.hint, text: t.diverged.hintText }) }) } : null} />
            <label className="smoothing">{T('train.smoothing')} <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} /> {smoothing.toFixed(2)}</label>
          </div>
          <Chart title={T('train.chartEpochLoss')} xLabel={T('train.xEpoch')} testId="chart-epoch-loss" data={epochData.loss} series={epochSeries} />
          <Chart title={T('train.chartEpochAcc')} xLabel={T('train.xEpoch')} testId="chart-epoch-acc" data={epochData.acc} series={epochSeries} />
          <Chart title={T('train.chartLr')} xLabel={T('train.xStep')} testId="chart-lr" data={lrData} series={[{ label: 'lr', color: '#1f8a4c', width: 2 }]} />
        </div>
      </section>

      <section className="card runs-card">
        <h2>{T('train.runs')} <button onClick={() => void refreshRuns()}>{T('train.refresh')}</button>
          <label className="check muted"><input type="checkbox" checked={allRuns} onChange={(e) => setAllRuns(e.target.checked)} data-testid="all-runs" /> {T('train.allRuns')}{hidden > 0 && !allRuns ? T('train.otherNetworks', { n: hidden }) : ''}</label>
        </h2>
        <InterruptedNotice runs={t.runs} train={train} busy={busy} />
        <table className="runs" data-testid="runs">
          <thead><tr><th>{T('train.colRun')}</th><th>{T('train.colDataset')}</th><th>{T('train.colStatus')}</th><th>{T('train.colEpochs')}</th><th>{T('train.colValAcc')}</th><th>{T('train.colBest')}</th><th>{T('train.colOverlay')}</th><th>{T('train.colContinue')}</th></tr></thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.runId} className={r.runId === t.runId ? 'current' : ''} data-run={r.runId}>
                <td className="run-name" title={r.name ? T('train.runOfNetwork', { id: r.runId, name: r.name }) : r.runId}>
                  {renaming?.runId === r.runId ? (
                    <input autoFocus value={renaming.text} aria-label={T('train.runName')} data-testid="run-name-input"
                      onChange={(e) => setRenaming({ runId: r.runId, text: e.target.value })}
                      onKeyDown={(e) => (e.key === 'Enter' ? void rename(r.runId, renaming.text) : e.key === 'Escape' ? (e.stopPropagation(), setRenaming(null)) : undefined)}
                      onBlur={() => void rename(r.runId, renaming.text)} />
                  ) : (
                    <>
                      <span data-testid="run-title">{runTitle(r)}</span>
                      <button className="link" title={T('train.renameTitle')} data-testid="run-rename" onClick={() => setRenaming({ runId: r.runId, text: r.title ?? '' })}>{T('train.rename')}</button>
                    </>
                  )}
                </td>
                <td title={r.dataDir} data-testid="run-dataset">{r.dataDir ? base(r.dataDir) : '–'}</td>
                <td data-testid="run-status" className={r.status === 'error' ? 'st-error' : ''}>
                  {r.runId === t.runId && t.runState !== 'idle' ? stateWord(T, 'runState', t.runState) : stateWord(T, 'runStatus', r.status)}
                  {r.status === 'error' && r.error && <div className="run-error" title={E({ message: r.error, text: r.errorText })}>{E({ message: r.error, text: r.errorText })}</div>}
                </td>
                <td data-testid="run-epochs">{r.epochs}</td>
                <td>{pct(r.final?.valAccuracy)}</td>
                <td>{r.best ? `${r.best.epoch}: ${pct(r.best.accuracy)}` : '–'}</td>
                <td><input type="radio" name="overlay" aria-label={T('train.colOverlay')} checked={t.overlay?.runId === r.runId} onChange={() => client.runCurves(r.runId).then((c) => train.setOverlay(c), (e: Error) => notify(E(e), 'error'))} /></td>
                <td><ContinueRun run={r} train={train} busy={busy} /></td>
              </tr>
            ))}
            {rows.length === 0 && <tr><td colSpan={8} className="muted">{T('train.noRuns')}</td></tr>}
          </tbody>
        </table>
        {t.overlay && <button onClick={() => train.setOverlay(null)}>{T('train.clearOverlay')}</button>}
        {grad && <GradTable grad={grad} />}
      </section>
      {importing && <ImportIdxDialog onDone={(dir) => (setImporting(false), choose(dir))} onClose={() => setImporting(false)} />}
      {picking && <FolderDialog current={t.dataDir} onPick={(d) => (setPicking(false), choose(d))} onClose={() => setPicking(false)} />}
    </div>
  );
}

function DatasetReport({ train }: { train: TrainStore }) {
  const { client } = useEditor();
  const { t: T, i18n } = useTranslation();
  const t = useSyncExternalStore(train.subscribe, train.getState);
  const r = t.report!;
  const [thumbs, setThumbs] = useState<Record<string, string | null>>({});
  useEffect(() => {
    const paths = r.samples.flat();
    if (paths.length && t.dataDir) client.images(t.dataDir, paths, 64).then((res) => setThumbs(Object.fromEntries(res.images.map((i) => [i.path, i.url]))), () => {});
  }, [r]);
  const max = Math.max(1, ...r.classes.map((c) => c.train));
  return (
    <div className="report" data-testid="dataset-report">
      <p>{T('report.line', { classes: r.classNames.length, train: r.totals.train, val: r.totals.val, skipped: r.totals.skipped, layout: r.layout === 'train-val' ? 'folders' : 'split' })}</p>
      <table>
        <thead><tr><th>{T('report.class')}</th><th>{T('report.train')}</th><th>{T('report.val')}</th><th /><th>{T('report.samples')}</th></tr></thead>
        <tbody>
          {r.classes.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td><td>{c.train}</td><td>{c.val}</td>
              <td><div className="bar" style={{ width: `${(60 * c.train) / max}px` }} /></td>
              <td className="thumbs">{r.samples[c.label]?.map((p) => (thumbs[p] ? <img key={p} src={thumbs[p]!} alt={p} title={p} /> : null))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {(r.issues ?? r.warnings.map((message) => ({ message }))).map((w) => <div key={w.message} className="problem problem-warning">{problemText(T, i18n, w)}</div>)}
      {Object.keys(r.skippedByReason).length > 0 && (
        <details><summary>{T('report.skipped', { list: Object.entries(r.skippedByReason).map(([k, v]) => `${v} ${skipReasonText(T, i18n, k)}`).join(', ') })}</summary>
          <ul>{r.skipped.slice(0, 50).map((s) => <li key={s.path} data-testid="skipped-file">{s.path}: {skipReasonText(T, i18n, s)}</li>)}</ul></details>
      )}
      {r.duplicates.length > 0 && <details><summary>{T('report.duplicates', { count: r.duplicates.length })}</summary><ul>{r.duplicates.slice(0, 30).map((g) => <li key={g[0]}>{g.join(', ')}</li>)}</ul></details>}
      {r.leakage.length > 0 && <details><summary>{T('report.leakage', { count: r.leakage.length })}</summary><ul>{r.leakage.slice(0, 30).map((g) => <li key={g.train[0]}>{[...g.train, ...g.val].join(', ')}</li>)}</ul></details>}
    </div>
  );
}

/** The document's augmentation settings and, below them, what they do to a few training images. */
function Augmentation({ train, busy }: { train: TrainStore; busy: boolean }) {
  const { store, client } = useEditor();
  const { t: T, i18n } = useTranslation();
  const t = useSyncExternalStore(train.subscribe, train.getState);
  const doc = useSyncExternalStore(store.subscribe, store.getState).doc;
  const data = dataSettings(doc.training);
  const a = data.augment;
  const set = (patch: Partial<typeof a>) => store.setTraining({ data: { ...data, augment: { ...a, ...patch } } });
  const input = doc.nodes.find((n) => n.type === 'Input');
  const key = JSON.stringify([t.dataDir, input?.params, doc.training.valSplit, doc.training.seed, data]);
  useEffect(() => {
    if (!t.dataDir) return;
    let live = true;
    client.augmentPreview(store.doc, t.dataDir, { count: 6, variants: 4 }).then((p) => live && train.setPreview(p), (e: Error) => live && !isSuperseded(e) && train.setPreview(null, e));
    return () => void (live = false);
  }, [key]);
  const p = t.preview;
  return (
    <details className="augment" data-testid="augmentation">
      <summary>{T('augment.summary', { list: [a.hflip && T('augment.flip'), a.cropPadding > 0 && T('augment.crop', { n: a.cropPadding }), a.translate > 0 && T('augment.shift', { n: a.translate }), a.brightness > 0 && T('augment.brightness', { n: a.brightness }), a.contrast > 0 && T('augment.contrast', { n: a.contrast })].filter(Boolean).join(', ') || T('augment.off') })} <span className="muted">{T('augment.note')}</span></summary>
      <div className="grid2">
        <label className="check"><input type="checkbox" checked={a.hflip} onChange={(e) => set({ hflip: e.target.checked })} disabled={busy} aria-label={T('augment.flipAria')} /> {T('augment.mirror')}</label>
        <label>{T('augment.cropPadding')}<NumberField value={a.cropPadding} int onChange={(v) => set({ cropPadding: Math.max(0, Math.min(64, v)) })} disabled={busy} aria={T('augment.cropAria')} /></label>
        <label>{T('augment.shiftFraction')}<NumberField value={a.translate} onChange={(v) => set({ translate: Math.max(0, Math.min(0.5, v)) })} disabled={busy} aria={T('augment.shiftAria')} /></label>
        <label>{T('augment.brightnessPm')}<NumberField value={a.brightness} onChange={(v) => set({ brightness: Math.max(0, Math.min(1, v)) })} disabled={busy} aria={T('augment.brightnessAria')} /></label>
        <label>{T('augment.contrastPm')}<NumberField value={a.contrast} onChange={(v) => set({ contrast: Math.max(0, Math.min(1, v)) })} disabled={busy} aria={T('augment.contrastAria')} /></label>
      </div>
      {t.previewError && <div className="problem problem-error">{engineText(T, i18n, t.previewError)}</div>}
      {p && (
        <table className="augment-preview" data-testid="augment-preview" data-augmenting={String(p.augmenting)}>
          <thead><tr><th>{T('augment.original')}</th><th>{p.augmenting ? T('augment.asTraining') : T('augment.none')}</th></tr></thead>
          <tbody>
            {p.samples.map((x) => (
              <tr key={x.path}>
                <td className="thumbs"><img src={x.original} alt={x.path} title={x.path} /></td>
                <td className="thumbs">{x.augmented.map((u, i) => <img key={i} src={u} alt={T('augment.augmented', { path: x.path, n: i + 1 })} />)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

function GradTable({ grad }: { grad: GradCheckResult }) {
  const { t: T } = useTranslation();
  return (
    <div className="gradcheck" data-testid="grad-result">
      <h3>{T('grad.title')} <span className="muted">{T('grad.note', { source: grad.source })}</span></h3>
      <table>
        <thead><tr><th>{T('grad.layer')}</th><th>{T('grad.parameter')}</th><th>{T('grad.autodiff')}</th><th>{T('grad.numeric')}</th><th>{T('grad.relError')}</th><th /></tr></thead>
        <tbody>
          {grad.rows.map((r) => (
            <tr key={r.param}><td>{r.layer}</td><td>{r.param}</td><td>{r.analytic.toExponential(3)}</td><td>{r.numeric.toExponential(3)}</td><td>{r.relError.toExponential(2)}</td><td className={r.ok ? 'st-ok' : 'st-error'}>{r.ok ? T('grad.ok') : T('grad.mismatch')}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NumberField({ value, onChange, int, disabled, aria }: { value: number; onChange(v: number): void; int?: boolean; disabled?: boolean; aria?: string }) {
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const bad = text.trim() === '' || !Number.isFinite(Number(text)) || (int && !Number.isInteger(Number(text)));
  return (
    <input className={bad ? 'bad' : ''} value={text} disabled={disabled} aria-label={aria} inputMode="decimal"
      onChange={(e) => {
        setText(e.target.value);
        const v = Number(e.target.value);
        if (e.target.value.trim() !== '' && Number.isFinite(v) && (!int || Number.isInteger(v))) onChange(v);
      }} />
  );
}

/**
 * Picks a folder: browse the project folder (symlinked folders included), type a path, or take a
 * shortcut (the dataset named at launch, the recent ones). A folder the engine may not read says
 * why, here, before it is chosen. Used for the dataset and for Try it's Predict a folder.
 */
export function FolderDialog({ current = null, onPick, onClose }: { current?: string | null; onPick(dir: string): void; onClose(): void }) {
  const { client, store } = useEditor();
  const { t: T, i18n } = useTranslation();
  const [listing, setListing] = useState<DirListing | null>(null);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState('');
  const [root, setRoot] = useState('');
  const [shortcuts, setShortcuts] = useState<string[]>([]);
  const typedByHand = useRef(false);
  const pathField = useRef<HTMLInputElement>(null);
  /** The first listing fills the path field only if the user has not typed in it and is not in it now (focus() fires no event on a page without focus). */
  const mayFill = () => !typedByHand.current && document.activeElement !== pathField.current;
  const go = (dir: string, first = false) =>
    client.listDir(dir).then(
      (l) => (setListing(l), (!first || mayFill()) && setTyped(l.dir), setError('')),
      (e: Error) => setError(`${dir}: ${engineText(T, i18n, e)}`),
    );
  useEffect(() => {
    void go('', true);
    client.info().then((i) => setRoot(i.root), () => undefined);
    client.initialProject().then(
      (p) => setShortcuts([...new Set([...(p.dataDir ? [p.dataDir] : []), ...(current ? [current] : []), ...recentDataDirs()])]),
      () => setShortcuts([...new Set([...(current ? [current] : []), ...recentDataDirs()])]),
    );
  }, []);
  /** Only a folder the engine will read is picked; otherwise its reason shows here. */
  const use = async (dir: string) => {
    if (!dir.trim()) return;
    try {
      await client.datasetReport(store.doc, dir.trim());
    } catch (e) {
      if (e instanceof EngineError && (e.code === 'refused' || e.code === 'not-found' || e.code === 'bad-request') && !/class|image|file/i.test(e.message)) return setError(engineText(T, i18n, e));
    }
    onPick(dir.trim());
  };
  return (
    <Modal title={T('folder.title')} onClose={onClose}>
      {shortcuts.length > 0 && (
        <div className="recent" data-testid="dataset-shortcuts">
          <h3>{T('folder.shortcuts')}</h3>
          {shortcuts.map((d) => (
            <button key={d} className="file-entry dir" title={d} onClick={() => void use(d)} data-testid="dataset-shortcut"><FolderIcon /> {base(d)} <span className="muted">{d}</span></button>
          ))}
        </div>
      )}
      <div className="row path-row">
        <input ref={pathField} className="path-field" value={typed} onChange={(e) => ((typedByHand.current = true), setTyped(e.target.value))} aria-label={T('folder.path')} data-testid="folder-path"
          onKeyDown={(e) => e.key === 'Enter' && void go(typed)} spellCheck={false} />
        <button onClick={() => void go(typed)} disabled={!typed.trim()}>{T('folder.open')}</button>
      </div>
      <div className="dir-list">
        {listing?.parent && <button className="file-entry dir" onClick={() => void go(listing.parent!)}>↑ ..</button>}
        {listing?.entries.filter((e) => e.kind === 'dir').map((e) => (
          <button key={e.name} className="file-entry dir" onClick={() => void go(`${listing.dir}/${e.name}`)} data-testid="folder-entry"><FolderIcon /> {e.name}</button>
        ))}
        {listing && !listing.entries.some((e) => e.kind === 'dir') && <p className="muted">{T('folder.noFolders')}</p>}
      </div>
      <p className="muted folder-note">{T('folder.note', { root: root ? ` ${root} ` : '' })}</p>
      {error && <div className="problem problem-error" data-testid="folder-error">{error}</div>}
      <div className="buttons">
        <button onClick={onClose}>{T('folder.cancel')}</button>
        <button className="primary" disabled={!typed.trim()} onClick={() => void use(typed)} data-testid="folder-use">{T('folder.use')}</button>
      </div>
    </Modal>
  );
}

/**
 * MNIST-style IDX files to an image folder inside the project: pick the folder holding the pairs
 * (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, and t10k-… for a validation side).
 */
function ImportIdxDialog({ onDone, onClose }: { onDone(dir: string): void; onClose(): void }) {
  const { client, notify } = useEditor();
  const { t: T, i18n } = useTranslation();
  const [listing, setListing] = useState<DirListing | null>(null);
  const [error, setError] = useState('');
  const [out, setOut] = useState('fashion-mnist');
  const [classes, setClasses] = useState<'fashion-mnist' | 'numbers'>('fashion-mnist');
  const [limit, setLimit] = useState('');
  const [running, setRunning] = useState(false);
  const [shortcuts, setShortcuts] = useState<string[]>([]);
  const go = (dir: string) => client.listDir(dir).then(setListing, (e: Error) => setError(engineText(T, i18n, e)));
  useEffect(() => {
    void go('');
    // Shared dataset folders (e.g. Debian's /usr/share/datasets) that hold IDX files.
    client.info().then((i) => setShortcuts(i.idxFolders), () => undefined);
  }, []);
  const run = async () => {
    if (!listing) return;
    setRunning(true);
    setError('');
    try {
      const r = await client.importIdx(listing.dir, out.trim(), { classes, limit: limit.trim() ? Number(limit) : undefined });
      notify(T('idx.done', { parts: r.parts.map((p) => T('idx.part', { count: p.count, images: p.images, side: p.side })).join(', '), dir: r.outDir }));
      onDone(r.outDir);
    } catch (e) {
      setError(engineText(T, i18n, e));
    } finally {
      setRunning(false);
    }
  };
  return (
    <Modal title={T('idx.title')} onClose={onClose}>
      <p className="muted">{T('idx.intro')}</p>
      {shortcuts.length > 0 && (
        <div className="idx-shortcuts">
          {shortcuts.map((f) => (
            <button key={f} className="file-entry dir" data-testid="idx-shortcut" onClick={() => setListing({ dir: f, parent: null, entries: [] })}><FolderIcon /> {f}</button>
          ))}
        </div>
      )}
      <div className="dir-path" data-testid="idx-dir">{listing?.dir ?? '…'}</div>
      <div className="dir-list">
        {listing?.parent && <button className="file-entry dir" onClick={() => go(listing.parent!)}>↑ ..</button>}
        {listing?.entries.filter((e) => e.kind === 'dir').map((e) => (
          <button key={e.name} className="file-entry dir" onClick={() => go(`${listing.dir}/${e.name}`)}><FolderIcon /> {e.name}</button>
        ))}
      </div>
      <div className="grid2">
        <label>{T('idx.out')}<input value={out} onChange={(e) => setOut(e.target.value)} aria-label={T('idx.outAria')} /></label>
        <label>{T('idx.classNames')}
          <select value={classes} onChange={(e) => setClasses(e.target.value as typeof classes)} aria-label={T('idx.classNames')}>
            <option value="fashion-mnist">{T('idx.fashion')}</option>
            <option value="numbers">{T('idx.numbers')}</option>
          </select>
        </label>
        <label>{T('idx.limit')}<input value={limit} onChange={(e) => setLimit(e.target.value.replace(/[^0-9]/g, ''))} inputMode="numeric" aria-label={T('idx.limitAria')} /></label>
      </div>
      {error && <div className="problem problem-error" data-testid="import-error">{error}</div>}
      <div className="buttons">
        <button onClick={onClose} disabled={running}>{T('folder.cancel')}</button>
        <button className="primary" disabled={!listing || running || !out.trim()} onClick={() => void run()} data-testid="import-run">{running ? T('idx.importing') : T('idx.import')}</button>
      </div>
    </Modal>
  );
}
