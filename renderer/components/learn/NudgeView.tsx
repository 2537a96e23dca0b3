// Gradient by nudging: one weight of the selected layer moved by ±ε, the batch loss each time,
// the central difference, and autodiff's value for the same weight (the engine's gradient check).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isSuperseded, type LearnNudgeResult } from '../../../engine/protocol.ts';
import { engineText } from '../../i18n/errors.ts';
import { useEditor } from '../context.ts';
import { fmt } from './draw.ts';

const EPS = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1];

export function NudgeView({ params, nodeId, dataDir, docPath, runId }: { params: { name: string; shape: number[] }[]; nodeId: string; dataDir: string; docPath: string | null; runId: string | null }) {
  const { t, i18n } = useTranslation('learn');
  const { store, client } = useEditor();
  const [param, setParam] = useState(params[0]?.name ?? '');
  const [index, setIndex] = useState(0);
  const [eps, setEps] = useState(3e-3);
  const [res, setRes] = useState<LearnNudgeResult | null>(null);
  /** The engine's error, shown through engineText in the UI's language. */
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => (setParam(params[0]?.name ?? ''), setIndex(0), setRes(null), setErr(null)), [nodeId, params.map((p) => p.name).join()]);
  if (!params.length) return <section className="learn-section"><h3>{t('nudge.title')}</h3><p className="muted">{t('nudge.none')}</p></section>;
  const numel = (params.find((p) => p.name === param)?.shape ?? [1]).reduce((a, b) => a * b, 1);
  const run = async () => {
    setBusy(true);
    setErr(null);
    try {
      setRes(await client.learnNudge(store.doc, dataDir, param, Math.min(index, numel - 1), { eps, docPath, runId }));
    } catch (e) {
      if (!isSuperseded(e)) setErr(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="learn-section" data-testid="learn-nudge">
      <h3>{t('nudge.title')}</h3>
      <p className="help">{t('nudge.help')}</p>
      <div className="learn-row">
        <label>{t('nudge.param')} <select aria-label={t('nudge.param')} value={param} onChange={(e) => setParam(e.target.value)} data-testid="learn-nudge-param">
          {params.map((p) => <option key={p.name} value={p.name}>{p.name} [{p.shape.join('×')}]</option>)}
        </select></label>
        <label>{t('nudge.index')} <input aria-label={t('nudge.index')} type="number" min={0} max={numel - 1} value={index} onChange={(e) => setIndex(Math.max(0, Math.min(numel - 1, Math.floor(Number(e.target.value) || 0))))} style={{ width: 70 }} data-testid="learn-nudge-index" /></label>
        <label>{t('nudge.eps')} <select aria-label={t('nudge.eps')} value={eps} onChange={(e) => setEps(Number(e.target.value))}>
          {EPS.map((e) => <option key={e} value={e}>{e}</option>)}
        </select></label>
        <button onClick={() => void run()} disabled={busy} data-testid="learn-nudge-run">{t('nudge.run')}</button>
      </div>
      {err != null && <p className="field-error">{t('error', { message: engineText(t, i18n, err) })}</p>}
      {res && (
        <div data-testid="learn-nudge-result" data-fd={res.numeric} data-ad={res.analytic}>
          <p>{t('nudge.value', { param: res.param, index: res.index, value: fmt(res.value) })}</p>
          <p className="muted">{t('nudge.losses', { loss: res.loss.toFixed(6), plus: res.lossPlus.toFixed(6), minus: res.lossMinus.toFixed(6), n: res.batch })}</p>
          <div className="learn-vs">
            <span data-testid="learn-fd">{t('nudge.fd', { fd: res.numeric.toExponential(4) })}</span>
            <span data-testid="learn-ad">{t('nudge.ad', { ad: res.analytic.toExponential(4) })}</span>
          </div>
          <p className={res.ok ? 'st-ok' : 'st-error'}>{res.ok ? t('nudge.agree', { rel: res.relError }) : t('nudge.differ', { rel: res.relError })}</p>
        </div>
      )}
    </section>
  );
}
