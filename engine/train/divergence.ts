// When a run counts as diverged: a loss that is not a finite number, a loss spike, or a
// parameter or optimizer slot that is no longer finite. A spike is a loss above `factor` times
// the larger of its running mean and the loss of a uniform guess (so a noisy batch late in a
// good run is not one); over the first steps, while the mean rests on a few tiny batches, the
// bar is ten times higher (a bumpy start is not one, a blow-up to 1e9 at step 2 is). The
// state is two numbers, so a checkpoint carries it.
import { LOSSES, type LossName } from '../graph/losses.ts';
import { said } from '../graph/error-codes.ts';
import type { DivergedEvent, EngineText } from '../protocol.ts';

export const HINT = 'lower the learning rate';
const ALPHA = 0.1;
const SETTLE = 10;

export interface LossWatchState { n: number; mean: number }

/** The loss of predicting 1/K for every class (graph/losses.ts): ln K for cross-entropy, (K-1)/K² for MSE on one-hot targets. */
export const uniformLoss = (loss: LossName, classes: number): number => LOSSES[loss].uniformLoss(classes);

export class LossWatch {
  /** `floor`: the loss a spike is measured against at least (see uniformLoss). */
  constructor(readonly factor: number, readonly floor: number, private s: LossWatchState = { n: 0, mean: 0 }) {}

  state(): LossWatchState {
    return { ...this.s };
  }

  /** Checks a step's loss, then adds it to the running figures; a diverged event when it fails. */
  check(step: number, loss: number): DivergedEvent | null {
    if (!Number.isFinite(loss)) return diverged(step, 'non-finite-loss', loss, `the loss became ${loss} at step ${step}`, said('non-finite-loss', { value: String(loss), step }));
    const s = this.s;
    const ref = Math.max(s.mean, this.floor);
    // Looser while the running mean settles.
    const factor = this.factor * (s.n < SETTLE ? 10 : 1);
    if (this.factor > 0 && s.n > 0 && loss > factor * ref) {
      const what = ref === s.mean ? `its running mean ${s.mean.toPrecision(4)}` : `the loss of a uniform guess ${ref.toPrecision(4)} (running mean ${s.mean.toPrecision(4)})`;
      const params = { loss: loss.toPrecision(4), step, factor, against: ref === s.mean ? 'mean' : 'uniform', ref: ref.toPrecision(4), mean: s.mean.toPrecision(4) };
      return diverged(step, 'loss-spike', loss, `the loss jumped to ${loss.toPrecision(4)} at step ${step}, over ${factor}x ${what}`, said('loss-spike', params));
    }
    s.mean = s.n === 0 ? loss : s.mean + ALPHA * (loss - s.mean);
    s.n++;
    return null;
  }
}

/**
 * The first value that is not finite among the run's tensors, or null; a sum is finite only if
 * every term is. Four sums side by side: one sum waits on each add's latency, four run about 2x
 * faster (406k values, the MLP's: 0.57-0.73 → 0.29-0.42 ms of CPU a check; bench/README.md).
 */
export function nonFinite(values: Map<string, Float32Array>): { name: string; index: number; value: number } | null {
  for (const [name, v] of values) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    const n4 = v.length & ~3;
    let i = 0;
    for (; i < n4; i += 4) {
      s0 += v[i];
      s1 += v[i + 1];
      s2 += v[i + 2];
      s3 += v[i + 3];
    }
    for (; i < v.length; i++) s0 += v[i];
    if (Number.isFinite(s0) && Number.isFinite(s1) && Number.isFinite(s2) && Number.isFinite(s3)) continue;
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return { name, index: i, value: v[i] };
  }
  return null;
}

export function diverged(step: number, reason: DivergedEvent['reason'], value: number, message: string, text?: EngineText): DivergedEvent {
  return { type: 'diverged', step, reason, value: Number.isFinite(value) ? value : null, message, hint: HINT, ...(text ? { text } : {}), hintText: said('lower-lr') };
}

/**
 * The run's one divergence check, after each step group and at every epoch end, stop and
 * checkpoint (`boundary`): each step's loss (LossWatch), then every carried value. Values are
 * read every 16 steps or so (a pass in JavaScript: 0.1 ms for LeNet-5's 123k values, 0.7 ms for
 * the small CNN's 842k, a few % of their steps), but not twice within `minGapMs` (the MLP's 16
 * steps take 8 ms: a check each group was 2% of its epoch), and at each boundary, so no
 * checkpoint holds a value that is not finite; such a value makes the next loss not finite,
 * which is checked every step.
 */
export class DivergenceCheck {
  private unchecked = 0;
  private checkedAt = -Infinity;
  constructor(
    readonly watch: LossWatch,
    private readonly minGapMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * `losses`: the group's, steps before+1, before+2, ...; `passed` counts the steps before the
   * first that failed (all when none did), `diverged` says why the run stops, or is null.
   */
  check(before: number, losses: number[], values: Map<string, Float32Array>, boundary: boolean): { passed: number; diverged: DivergedEvent | null } {
    for (const [i, loss] of losses.entries()) {
      const d = this.watch.check(before + i + 1, loss);
      if (d) return { passed: i, diverged: d };
    }
    const step = before + losses.length;
    this.unchecked += losses.length;
    const periodic = this.unchecked >= 16 && this.now() - this.checkedAt >= this.minGapMs;
    if (periodic || boundary) {
      this.unchecked = 0;
      this.checkedAt = this.now();
      const bad = nonFinite(values);
      if (bad) return { passed: losses.length, diverged: diverged(step, 'non-finite-parameters', bad.value, `${bad.name}[${bad.index}] became ${bad.value} ${periodic ? 'by' : 'at'} step ${step}`, said('non-finite-value', { name: bad.name, index: bad.index, value: String(bad.value), when: periodic ? 'by' : 'at', step })) };
    }
    return { passed: losses.length, diverged: null };
  }
}
