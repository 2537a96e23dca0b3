// Gradient check: nudge each parameter tensor along a direction, watch the loss, and compare
// the slope with what autodiff says (central differences, as JAX's check_vjp does).
import type { NetworkDocument } from '../graph/document.ts';
import { Rng } from '../graph/rng.ts';
import { openStepRunner } from './step.ts';

export interface GradCheckRow {
  param: string;
  /** Directional derivative from autodiff: ⟨∇L, d⟩. */
  analytic: number;
  /** Central difference (L(w + εd) − L(w − εd)) / 2ε. */
  numeric: number;
  relError: number;
  /** Within tolerance: relative error under 2e-2, or a difference below float32's noise on the loss. */
  ok: boolean;
  /** With `only`: the loss at the weight's value, at +ε and at −ε. */
  loss?: number;
  lossPlus?: number;
  lossMinus?: number;
}

export interface GradCheckInput {
  x: Float32Array;
  labels: BigInt64Array;
  n: number;
  seed?: number;
  eps?: number;
  /** Start from these values instead of a fresh initialization. */
  values?: Map<string, Float32Array>;
  /** One weight only (the Learn panel's nudge): the direction is that value's own axis, d = e_index. */
  only?: { param: string; index: number };
}

export async function gradientCheck(doc: NetworkDocument, inp: GradCheckInput): Promise<GradCheckRow[]> {
  // From a fresh initialization (or `values`): an imported model's weights file is not needed to check gradients.
  const step = await openStepRunner({ ...doc, weights: undefined }, { gradients: true, optimizer: 'none', seed: inp.seed ?? 1, threads: 1 });
  try {
    if (inp.values) for (const [k, v] of inp.values) if (step.values.has(k)) step.values.set(k, Float32Array.from(v));
    const rng = new Rng((inp.seed ?? 1) + 1);
    const masks = step.masks(inp.n, rng);
    const eps = inp.eps ?? 3e-3;
    const base = await step.evaluate(inp.x, inp.labels, inp.n, masks);
    const rows: GradCheckRow[] = [];
    for (const w of step.graph.forward.weights) {
      if (inp.only && w.name !== inp.only.param) continue;
      const grad = base.grads.get(w.name)!;
      const orig = step.values.get(w.name)!;
      // Direction: a random unit vector plus the gradient's own direction, so the slope is
      // large enough to measure in float32 while still checking every component.
      let d: Float32Array;
      if (inp.only) {
        d = new Float32Array(orig.length);
        d[inp.only.index] = 1;
      } else {
        d = new Float32Array(orig.length).map(() => rng.normal());
        normalize(d);
        const gn = norm(grad);
        if (gn > 0) for (let i = 0; i < d.length; i++) d[i] += grad[i] / gn;
        normalize(d);
      }
      let analytic = 0;
      for (let i = 0; i < d.length; i++) analytic += grad[i] * d[i];
      const at = async (sign: number) => {
        step.values.set(w.name, orig.map((v, i) => v + sign * eps * d[i]));
        return (await step.evaluate(inp.x, inp.labels, inp.n, masks)).loss;
      };
      const lossPlus = await at(1);
      const lossMinus = await at(-1);
      const numeric = (lossPlus - lossMinus) / (2 * eps);
      step.values.set(w.name, orig);
      const relError = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric), 1e-6);
      // float32 rounds a loss near 1 to about 1e-7; divided by 2ε that is the slope's noise.
      const noise = (Math.abs(base.loss) + 1) * 6e-8 * 8 / (2 * eps);
      const ok = relError < 2e-2 || Math.abs(analytic - numeric) < noise;
      rows.push({ param: w.name, analytic, numeric, relError, ok, ...(inp.only ? { loss: base.loss, lossPlus, lossMinus } : {}) });
    }
    return rows;
  } finally {
    await step.release();
  }
}

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function normalize(d: Float32Array): void {
  const k = 1 / (norm(d) || 1);
  for (let i = 0; i < d.length; i++) d[i] *= k;
}
