// Mini-batch SGD: a few real optimizer steps at batch 32, 64 and 128 from the same start; each
// batch's loss against their mean.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isSuperseded, type LearnBatchesResult } from '../../../engine/protocol.ts';
import { Chart, type ChartSeries } from '../Chart.tsx';
import { OPTIMIZER_NAMES } from '../format.ts';
import { engineText } from '../../i18n/errors.ts';
import { useEditor } from '../context.ts';
import { fmt } from './draw.ts';

const COLORS = ['#2b6cd4', '#d9822b', '#2e9e5b', '#9b59b6'];
const STEPS = 6;

export function BatchesView({ dataDir, docPath, runId }: { dataDir: string; docPath: string | null; runId: string | null }) {
  const { t, i18n } = useTranslation('learn');
  const { store, client } = useEditor();
  const [res, setRes] = useState<LearnBatchesResult | null>(null);
  /** The engine's error, shown through engineText in the UI's language. */
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setErr(null);
    try {
      setRes(await client.learnBatches(store.doc, dataDir, { sizes: [32, 64, 128], steps: STEPS, docPath, runId }));
    } catch (e) {
      if (!isSuperseded(e)) setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const series: ChartSeries[] = [];
  const data: [number[], ...(number | null)[][]] = [Array.from({ length: res?.steps ?? 0 }, (_, k) => k + 1)];
  res?.sizes.forEach((s, k) => {
    series.push({ label: t('batches.seriesBatch', { b: s.batchSize }), color: COLORS[k % 4], points: true });
    data.push(s.losses);
    series.push({ label: t('batches.seriesMean', { b: s.batchSize }), color: COLORS[k % 4], dash: [5, 4], width: 1 });
    data.push(s.losses.map(() => s.mean));
  });
  const d = store.doc.training;
  return (
    <section className="learn-section" data-testid="learn-batches">
      <h3>{t('batches.title')}</h3>
      <p className="help">{t('batches.help', { steps: STEPS, optimizer: OPTIMIZER_NAMES[d.optimizer] ?? d.optimizer, lr: d.lr })}</p>
      <button onClick={() => void run()} disabled={busy} data-testid="learn-batches-run">{busy ? t('batches.running') : t('batches.run', { steps: STEPS })}</button>
      {err != null && <p className="field-error">{t('error', { message: engineText(t, i18n, err) })}</p>}
      {res && (
        <>
          <Chart title={t('batches.chart')} xLabel={t('batches.step')} series={series} data={data} height={170} testId="learn-batches-chart" />
          {res.sizes.map((s) => <p key={s.batchSize} data-testid={`learn-batch-${s.batchSize}`}>{t('batches.line', { b: s.batchSize, mean: fmt(s.mean), min: fmt(Math.min(...s.losses)), max: fmt(Math.max(...s.losses)) })}</p>)}
          <p className="muted">{t('batches.seconds', { images: res.images, s: Math.round(res.seconds * 10) / 10 })}</p>
        </>
      )}
    </section>
  );
}
