// The epoch loop of a training run: step groups over the shuffled training split, validation at
// each epoch end, a checkpoint at each epoch end and stop. It advances a RunState (checkpoint.ts),
// the checkpoint header's own shape: a new run and a resumed one go through the same loop.
import { Prefetcher, prefetchSource } from '../data/prefetch.ts';
import { dataSettings } from '../graph/document.ts';
import { Rng } from '../graph/rng.ts';
import { said } from '../graph/error-codes.ts';
import type { DivergedEvent, DoneEvent, EpochEvent } from '../protocol.ts';
import type { StepEvent, TrainEvent } from './messages.ts';
import type { DataCursor } from './checkpoint.ts';
import { DivergenceCheck, LossWatch, uniformLoss } from './divergence.ts';
import type { RunOutputs } from './outputs.ts';
import { TrainingError, type PreparedRun } from './prepare.ts';
import { lrAt, scheduleSettings } from './schedule.ts';
import { report } from './scorer.ts';
import type { StepResult } from './step.ts';

export interface RunControl {
  shouldStop: () => boolean;
  /** Awaited before every step group: while the user has paused, it does not resolve. */
  waitIfPaused?: () => Promise<void>;
}

type Sums = { loss: number; correct: number; seen: number };

/** Trains from `run.state` until the last epoch, --max-steps or stop; the done event to send. */
export async function trainEpochs(run: PreparedRun, out: RunOutputs, control: RunControl, emit: (e: TrainEvent) => void): Promise<DoneEvent> {
  const { step, settings, train, val, req, state: s } = run;
  const bs = settings.batchSize;
  const stepsPerEpoch = Math.ceil(train.count / bs);
  const lrHorizon = s.lrHorizon!;
  const totalSteps = Math.min(lrHorizon, req.maxSteps ?? Infinity);
  emit({ type: 'started', device: step.device, classNames: run.classNames, trainCount: train.count, valCount: val.count, stepsPerEpoch, totalSteps });

  const metrics = out.metrics;
  const rng = new Rng(Uint32Array.from(s.rngState));
  const schedule = scheduleSettings(settings);
  const guard = new DivergenceCheck(new LossWatch(settings.divergence?.lossSpike ?? 3, uniformLoss(step.graph.forward.loss, run.classes), s.lossWatch));
  // Batches are filled on their own thread, the next group while ONNX Runtime runs this one.
  // A group is the steps one session run takes (step.group, StepRunner.runGroup): batches
  // of bs samples one after the other; the short last batch of an epoch is a group of its own.
  const G = step.group;
  const dataOpts = dataSettings(settings);
  const spec = run.spec;
  const prefetch: Pick<Prefetcher, 'request' | 'take' | 'augmentState' | 'close'> = run.features?.source ?? new Prefetcher(prefetchSource(train, spec, run.norm, dataOpts.augment, settings.seed, bs * G, s.augmentRngState));
  try {
    // Where the state stood when the loop began (each checkpoint moves s.cursor on).
    const from = s.cursor;
    const fromSums = s.epochSums;
    const order = from?.order ?? Array.from({ length: train.count }, (_, i) => i);
    if (order.length !== train.count) throw new TrainingError(`${run.resumedFrom} was saved for ${order.length} training images but ${req.dataDir} now has ${train.count}; resume needs the same images`, said('resume-image-count', { file: String(run.resumedFrom), saved: order.length, dir: req.dataDir, count: train.count }));
    const batchSize = (b: number) => Math.min(bs, train.count - b * bs);
    const fullBatches = Math.floor(train.count / bs);
    /** Steps in the group that starts at batch b when `done` steps are done. */
    const groupAt = (b: number, done: number) => (b >= fullBatches ? 1 : Math.max(1, Math.min(G, fullBatches - b, (req.maxSteps ?? Infinity) - done)));
    const samples = (b: number, k: number) => (k === 1 ? batchSize(b) : k * bs);
    // Both sources hand out batches in ordinary memory (ONNX Runtime refuses shared memory), fed as they are.
    const stopDiverged = (e: DivergedEvent): never => {
      emit(e);
      metrics.flush();
      const why = e.text ? { ...e.text, message: e.message } : e.message;
      const hint = e.hintText ? { ...e.hintText, message: e.hint } : e.hint;
      throw new TrainingError(`training diverged: ${e.message}; ${e.hint} (now ${settings.lr}). The last checkpoint before it is kept.`, said('diverged', { why, hint, lr: settings.lr }));
    };
    /** Everything needed to go on exactly from here (the divergence check has just passed). */
    const checkpoint = async (cursor: DataCursor, sums: Sums, history: string, best = s.best) => {
      Object.assign(s, { t: step.t, rngState: Array.from(rng.state()), augmentRngState: await prefetch.augmentState(), cursor, epochSums: sums, lossWatch: guard.watch.state(), metrics: history });
      out.writeCheckpoint({ ...s, best }, step.values);
    };

    /** Validation, the epoch event and row, model.onnx and best.onnx, then the checkpoint. */
    const finishEpoch = async (epoch: number, b: number, sums: Sums, seenHere: number, t0: number) => {
      const partial = b + 1 < stepsPerEpoch;
      const seconds = (performance.now() - t0) / 1000;
      let valLoss: number | null = null;
      let valAccuracy: number | null = null;
      if (val.count) {
        const rep = report(await run.scoreVal(), val.labels, run.classNames, step.graph.forward.loss);
        valLoss = rep.loss;
        valAccuracy = rep.accuracy;
      }
      // A partial epoch (--max-steps) is reported, but a checkpoint holds the run as if it had
      // not been: the resumed run finishes the epoch and reports it once.
      const history = metrics.history;
      const bestBefore = s.best ?? null;
      const e: EpochEvent = { type: 'epoch', step: s.step, epoch, loss: sums.seen ? sums.loss / sums.seen : NaN, accuracy: sums.seen ? sums.correct / sums.seen : NaN, valLoss, valAccuracy, samplesPerSec: seenHere / seconds, seconds };
      emit(e);
      metrics.epoch(e);
      if (!partial) s.epoch = epoch;
      // model.onnx always holds the last finished epoch; best.onnx the best by validation
      // (accuracy, then loss; training figures when there is no validation split).
      const model = out.writeModel(step.modelValues());
      const score = { epoch, accuracy: valAccuracy ?? e.accuracy, loss: valLoss ?? e.loss };
      const best = s.best;
      if (!best || score.accuracy > best.accuracy || (score.accuracy === best.accuracy && score.loss < best.loss)) {
        s.best = score;
        out.writeBest(model);
      }
      if (partial) await checkpoint({ epoch, batch: b + 1, shuffled: true, order: [...order] }, sums, history, bestBefore);
      else await checkpoint({ epoch: epoch + 1, batch: 0, shuffled: false, order: [...order] }, { loss: 0, correct: 0, seen: 0 }, metrics.history);
    };

    /** One epoch, from its first batch or the cursor's; how it ended. */
    const runEpoch = async (epoch: number, resuming: boolean): Promise<'finished' | 'max-steps' | 'stopped'> => {
      const first = resuming ? from!.batch : 0;
      if (!(resuming && from!.shuffled)) rng.shuffle(order);
      prefetch.request(first * bs, samples(first, groupAt(first, s.step)), order);
      const t0 = performance.now();
      const sums = resuming && fromSums ? { ...fromSums } : { loss: 0, correct: 0, seen: 0 };
      let seenHere = 0;
      for (let b = first; ; ) {
        if (control.waitIfPaused) await control.waitIfPaused();
        const stop = control.shouldStop();
        // No group when stopping (or, never in practice, past the epoch's last batch).
        let rs: StepResult[] = [];
        let lrs: number[] = [];
        let n = 0;
        let perStep = 0;
        if (!stop && b < stepsPerEpoch) {
          const ts = performance.now();
          const k = groupAt(b, s.step);
          if (b + k < stepsPerEpoch) prefetch.request((b + k) * bs, samples(b + k, groupAt(b + k, s.step + k)));
          const batch = await prefetch.take();
          n = k === 1 ? batch.n : bs;
          const { x, y } = batch;
          lrs = Array.from({ length: k }, (_, i) => lrAt(settings.lr, schedule, s.step + 1 + i, stepsPerEpoch, lrHorizon));
          rs = await step.runGroup(x, y, k, n, lrs, step.masks(n, rng, k));
          perStep = (performance.now() - ts) / k;
          b += k;
        }
        const end = stop ? 'stopped' : req.maxSteps && rs.length && s.step + rs.length >= req.maxSteps ? 'max-steps' : b >= stepsPerEpoch ? 'epoch' : null;
        // The run's one divergence check: each loss, and the values every 16 steps and before any checkpoint.
        const verdict = guard.check(s.step, rs.map((r) => r.loss), step.values, end !== null);
        for (const [i, r] of rs.slice(0, verdict.passed).entries()) {
          s.step++;
          sums.loss += r.loss * n;
          sums.correct += r.correct;
          sums.seen += n;
          seenHere += n;
          const e: StepEvent = { type: 'step', step: s.step, epoch, loss: r.loss, accuracy: r.correct / n, samplesPerSec: n / (perStep / 1000), lr: lrs[i] };
          emit(e);
          metrics.step(e);
        }
        if (verdict.diverged) stopDiverged(verdict.diverged);
        if (end === 'stopped') {
          metrics.flush();
          await checkpoint({ epoch, batch: b, shuffled: true, order: [...order] }, sums, metrics.history);
          return 'stopped';
        }
        if (end) {
          await finishEpoch(epoch, b - 1, sums, seenHere, t0);
          return end === 'max-steps' ? 'max-steps' : 'finished';
        }
      }
    };

    let reason: DoneEvent['reason'] = 'finished';
    const startEpoch = from?.epoch ?? 1;
    let epoch = startEpoch;
    for (; epoch <= settings.epochs; epoch++) {
      const end = await runEpoch(epoch, !!from && epoch === startEpoch);
      if (end !== 'finished') {
        reason = end;
        break;
      }
    }
    metrics.flush();
    // Stopped before any epoch finished: keep what there is rather than nothing.
    if (!s.epoch) out.writeModel(step.modelValues());
    return { type: 'done', reason, step: s.step, epoch: Math.min(epoch, settings.epochs), outDir: req.outDir, files: out.files, best: s.best ?? null };
  } finally {
    await prefetch.close();
  }
}
