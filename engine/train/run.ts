// One training run, start to finish, in three parts: preparation (prepare.ts: document or
// checkpoint, dataset, step, validation, the starting RunState), outputs (outputs.ts: every
// file of the run folder) and the epoch loop (loop.ts). Runs on the training thread
// (run-worker.ts); talks only through `emit`.
import type { TrainEvent, TrainRequest } from './messages.ts';
import { trainEpochs } from './loop.ts';
import { RunOutputs } from './outputs.ts';
import { prepareRun } from './prepare.ts';
import { startValues } from './weights.ts';

/**
 * `waitIfPaused` is awaited before every step: while the user has paused, it does not resolve,
 * and the run continues at the same step when it does.
 */
export async function runTraining(raw: TrainRequest, emit: (e: TrainEvent) => void, shouldStop: () => boolean, waitIfPaused?: () => Promise<void>): Promise<void> {
  const run = await prepareRun(raw, emit);
  try {
    const out = new RunOutputs(run.req.outDir, run.doc, run.meta, startValues(run.doc, run.step.whole, run.settings.seed), run.state.metrics ?? '');
    const done = await trainEpochs(run, out, { shouldStop, waitIfPaused }, emit);
    await run.closeValidation();
    emit(done);
  } finally {
    await run.release();
  }
}
