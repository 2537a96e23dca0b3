// Optimizer updates emitted into the training-step graph, with PyTorch's exact update rules,
// so one session.run() does forward, backward and update.
import type { GraphBuilder } from '../onnx/builder.ts';
import type { TrainingSettings } from '../graph/document.ts';

export interface SlotInfo {
  /** Graph input holding the slot's current value, e.g. `fc1.W.m`. */
  name: string;
  param: string;
  shape: number[];
}

export interface OptimizerGraph {
  /** Updated value of each parameter. */
  updated: Map<string, string>;
  slots: SlotInfo[];
  /** Updated value of each slot, by slot name. */
  slotUpdates: Map<string, string>;
  /** Scalar inputs the loop feeds every step (see scalarInputs()). */
  scalars: string[];
}

type Opt = Pick<TrainingSettings, 'optimizer' | 'momentum' | 'nesterov' | 'weightDecay' | 'beta1' | 'beta2' | 'eps'>;

/** Values for the scalar inputs at step t (1-based). Adam's bias corrections are folded in here. */
export function scalarInputs(o: Opt, lr: number, t: number): Record<string, number> {
  if (o.optimizer === 'sgd') return { lr };
  const bc1 = 1 - o.beta1 ** t;
  const bc2 = 1 - o.beta2 ** t;
  return { lr, step_size: lr / bc1, sqrt_bc2: Math.sqrt(bc2) };
}

/**
 * μ·v + grad in the Gemm that computes grad (a Dense weight's gradient): Gemm's C input with
 * beta = μ, so the momentum update costs no pass of its own over the weight. Only where the
 * gradient is used for nothing else. Returns the updated momentum, or null.
 */
function accumulateIntoGemm(g: GraphBuilder, grad: string, v: string, mu: number): string | null {
  const producer = g.nodes.find((n) => n.outputs[0] === grad);
  if (!producer || producer.op !== 'Gemm' || producer.inputs.length !== 2) return null;
  if (g.nodes.some((n) => n.inputs.includes(grad)) || g.outputs.some((o) => o.name === grad)) return null;
  if (g.shapes.get(grad)?.join() !== g.shapes.get(v)?.join()) return null;
  producer.inputs.push(v);
  producer.attrs = { ...producer.attrs, beta: { f: mu } };
  return grad;
}

export function emitOptimizer(g: GraphBuilder, o: Opt, params: { name: string; shape: number[] }[], grads: Map<string, string>): OptimizerGraph {
  const lr = g.input('lr', 'float32', []);
  const updated = new Map<string, string>();
  const slots: SlotInfo[] = [];
  const slotUpdates = new Map<string, string>();
  const slot = (p: { name: string; shape: number[] }, suffix: string): string => {
    const name = `${p.name}.${suffix}`;
    slots.push({ name, param: p.name, shape: p.shape });
    return g.input(name, 'float32', p.shape);
  };
  const c = (v: number) => g.constF([v]);
  const wd = o.weightDecay;
  const scalars = ['lr'];

  if (o.optimizer === 'sgd') {
    for (const p of params) {
      g.scope = `opt/${p.name}`;
      let grad = grads.get(p.name)!;
      if (wd) grad = g.op('Add', [grad, g.op('Mul', [p.name, c(wd)])]);
      let step = grad;
      if (o.momentum) {
        const v = slot(p, 'm');
        const fused = !o.nesterov && !wd ? accumulateIntoGemm(g, grad, v, o.momentum) : null;
        const v2 = fused ?? g.op('Add', [g.op('Mul', [v, c(o.momentum)]), grad], {}, p.shape);
        slotUpdates.set(v, v2);
        step = o.nesterov ? g.op('Add', [grad, g.op('Mul', [v2, c(o.momentum)])]) : v2;
      }
      updated.set(p.name, g.op('Sub', [p.name, g.op('Mul', [step, lr])], {}, p.shape));
    }
  } else {
    const stepSize = g.input('step_size', 'float32', []);
    const sqrtBc2 = g.input('sqrt_bc2', 'float32', []);
    scalars.push('step_size', 'sqrt_bc2');
    for (const p of params) {
      g.scope = `opt/${p.name}`;
      let grad = grads.get(p.name)!;
      let w = p.name;
      if (wd && o.optimizer === 'adam') grad = g.op('Add', [grad, g.op('Mul', [p.name, c(wd)])]);
      if (wd && o.optimizer === 'adamw') w = g.op('Sub', [p.name, g.op('Mul', [p.name, g.op('Mul', [lr, c(wd)])])]);
      const m = slot(p, 'm');
      const v = slot(p, 'v');
      const m2 = g.op('Add', [g.op('Mul', [m, c(o.beta1)]), g.op('Mul', [grad, c(1 - o.beta1)])], {}, p.shape);
      const v2 = g.op('Add', [g.op('Mul', [v, c(o.beta2)]), g.op('Mul', [g.op('Mul', [grad, grad]), c(1 - o.beta2)])], {}, p.shape);
      slotUpdates.set(m, m2);
      slotUpdates.set(v, v2);
      // PyTorch: denom = sqrt(v)/sqrt(1−β₂ᵗ) + ε;  w −= lr/(1−β₁ᵗ) · m / denom
      const denom = g.op('Add', [g.op('Div', [g.op('Sqrt', [v2]), sqrtBc2]), c(o.eps)]);
      updated.set(p.name, g.op('Sub', [w, g.op('Mul', [g.op('Div', [m2, denom]), stepSize])], {}, p.shape));
    }
  }
  g.scope = '';
  return { updated, slots, slotUpdates, scalars };
}
