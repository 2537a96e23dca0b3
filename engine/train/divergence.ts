// When a run counts as diverged: a loss that is not a finite number, a loss spike (from the
// second step on, the step's loss above `factor` times the running mean and above the mean of
// the run's first ten losses, so a noisy batch late in a good run is not mistaken for one), or a parameter or optimizer slot
// that is no longer finite. Its state is three numbers, so a checkpoint carries it.
import type { DivergedEvent } from '../protocol.ts';

export const HINT = 'lower the learning rate';
const FIRST = 10;
const ALPHA = 0.1;

export interface LossWatchState { n: number; mean: number; first: number }

export class LossWatch {
  constructor(readonly factor: number, private s: LossWatchState = { n: 0, mean: 0, first: 0 }) {}

  state(): LossWatchState {
    return { ...this.s };
  }

  /** Checks a step's loss, then adds it to the running figures; a diverged event when it fails. */
  check(step: number, loss: number): DivergedEvent | null {
    if (!Number.isFinite(loss)) return diverged(step, 'non-finite-loss', loss, `the loss became ${loss} at step ${step}`);
    const s = this.s;
    if (this.factor > 0 && s.n > 0 && loss > this.factor * s.mean && loss > s.first) {
      return diverged(step, 'loss-spike', loss, `the loss jumped to ${loss.toPrecision(4)} at step ${step}, over ${this.factor}x its running mean ${s.mean.toPrecision(4)}`);
    }
    s.mean = s.n === 0 ? loss : s.mean + ALPHA * (loss - s.mean);
    if (s.n < FIRST) s.first += (loss - s.first) / (s.n + 1);
    s.n++;
    return null;
  }
}

/** The first value that is not finite among the run's tensors, or null; a sum is finite only if every term is. */
export function nonFinite(values: Map<string, Float32Array>): { name: string; index: number; value: number } | null {
  for (const [name, v] of values) {
    let sum = 0;
    for (let i = 0; i < v.length; i++) sum += v[i];
    if (Number.isFinite(sum)) continue;
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return { name, index: i, value: v[i] };
  }
  return null;
}

export function diverged(step: number, reason: DivergedEvent['reason'], value: number, message: string): DivergedEvent {
  return { type: 'diverged', step, reason, value: Number.isFinite(value) ? value : null, message, hint: HINT };
}
