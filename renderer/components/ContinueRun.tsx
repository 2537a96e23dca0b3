// Continue a stopped, interrupted (engine crash), failed or finished run from its checkpoint,
// to a number of epochs in all (more than it has: the run is extended). Used by each row of the
// Runs table, and by the notice that offers the interrupted run after an engine crash.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunSummary } from '../../engine/protocol.ts';
import type { TrainStore } from '../store/train-store.ts';
import { useEditor } from './context.ts';
import { engineText } from '../i18n/errors.ts';

const CONTINUABLE = new Set<RunSummary['status']>(['stopped', 'interrupted', 'error', 'finished', 'max-steps']);

/** Epochs the run is meant to have (its settings), or one more than it has when it got there. */
const defaultEpochs = (r: RunSummary): number => {
  const planned = typeof r.settings.epochs === 'number' ? r.settings.epochs : r.epochs + 1;
  return r.status === 'finished' || planned <= r.epochs ? Math.max(planned, r.epochs) + 1 : planned;
};

export function ContinueRun({ run, train, busy }: { run: RunSummary; train: TrainStore; busy: boolean }) {
  const { client, notify } = useEditor();
  const { t, i18n } = useTranslation();
  const [epochs, setEpochs] = useState(() => defaultEpochs(run));
  if (!run.canContinue || !CONTINUABLE.has(run.status)) return null;
  const go = async () => {
    train.continueRun(run.runId);
    try {
      const r = await client.continueTraining(run.runId, { epochs, device: train.getState().device });
      notify(t('continue.continuing', { id: r.runId, epochs }));
    } catch (e) {
      train.continueRefused(run.runId);
      notify(t('continue.cannot', { error: engineText(t, i18n, e) }), 'error');
    }
  };
  return (
    <span className="continue-run" data-testid={`continue-${run.runId}`}>
      <input type="number" min={Math.max(1, run.epochs)} step={1} value={epochs} aria-label={t('continue.epochsAria')} title={t('continue.epochsTitle')} style={{ width: '4.5em' }}
        onChange={(e) => Number.isInteger(Number(e.target.value)) && setEpochs(Number(e.target.value))} disabled={busy} />
      <button onClick={() => void go()} disabled={busy || epochs < Math.max(1, run.epochs)}>{t('continue.button')}</button>
    </span>
  );
}

/** After an engine crash: the newest run says 'interrupted'; offer to continue it. */
export function InterruptedNotice({ runs, train, busy }: { runs: RunSummary[]; train: TrainStore; busy: boolean }) {
  const { t, i18n } = useTranslation();
  const r = runs[0];
  if (busy || !r || r.status !== 'interrupted' || !r.canContinue) return null;
  return (
    <div className="problem problem-warning" data-testid="interrupted-notice">
      {t('continue.interrupted', { id: r.runId })}<ContinueRun run={r} train={train} busy={busy} />
    </div>
  );
}
