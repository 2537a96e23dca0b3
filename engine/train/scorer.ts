// Runs an inference graph over uint8 images in batches, and turns scores into the figures
// users read: loss, accuracy, per-class precision/recall and the confusion matrix.
import { numel } from '../numel.ts';
import { toInput, type Normalization } from '../data/batches.ts';
import { LOSSES, type LossName } from '../graph/losses.ts';
import { ort, type StepSession } from './ort.ts';

export class Scorer {
  constructor(
    private readonly session: StepSession,
    /** Per-sample input shape [C, H, W]. */
    readonly inputShape: number[],
    readonly classes: number,
    private readonly extraFeeds: () => Record<string, ort.Tensor> = () => ({}),
    /** Per-channel input = (x/255 - mean) / std; absent: x/255. */
    readonly normalization?: Normalization,
  ) {}

  /** Probabilities (or scores) for `count` images stored as uint8 CHW, scaled x/255 (or normalized). */
  async probs(pixels: Uint8Array, count: number, batch = 256): Promise<Float32Array> {
    const per = numel(this.inputShape);
    const out = new Float32Array(count * this.classes);
    const x = new Float32Array(batch * per);
    const extra = this.extraFeeds();
    for (let s = 0; s < count; s += batch) {
      const n = Math.min(batch, count - s);
      const src = pixels.subarray(s * per, (s + n) * per);
      if (this.normalization) toInput(src, x, per / this.inputShape[0], this.normalization);
      else for (let i = 0; i < src.length; i++) x[i] = src[i] / 255;
      const probs = new ort.Tensor('float32', out.subarray(s * this.classes, (s + n) * this.classes), [n, this.classes]);
      await this.session.run({ ...extra, input: new ort.Tensor('float32', x.subarray(0, n * per), [n, ...this.inputShape]) }, { probs });
    }
    return out;
  }
}

export interface ClassReport {
  name: string;
  precision: number;
  recall: number;
  support: number;
}

export interface Report {
  count: number;
  accuracy: number;
  loss: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  perClass: ClassReport[];
}

export function argmax(v: Float32Array, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}

/** `loss`: the loss the probabilities came from (graph/losses.ts), averaged over the images. */
export function report(probs: Float32Array, labels: ArrayLike<number>, classNames: string[], loss: LossName): Report {
  const def = LOSSES[loss];
  const k = classNames.length;
  const n = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const p = argmax(probs, i * k, k);
    confusion[y][p]++;
    if (p === y) correct++;
    total = def.addLoss(total, probs, i * k, k, y);
  }
  const perClass = classNames.map((name, c) => {
    const tp = confusion[c][c];
    const predicted = confusion.reduce((s, row) => s + row[c], 0);
    const support = confusion[c].reduce((a, b) => a + b, 0);
    return { name, precision: predicted ? tp / predicted : 0, recall: support ? tp / support : 0, support };
  });
  return { count: n, accuracy: n ? correct / n : 0, loss: n ? total / n : 0, confusion, perClass };
}
