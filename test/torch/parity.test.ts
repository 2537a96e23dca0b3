// Gradients, losses, BatchNorm statistics and optimizer updates against PyTorch on the same
// network, weights and batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { TrainingStep } from '../../engine/train/step.ts';
import { batchFor } from '../fixtures/batch.ts';
import { ALL_NETS, branchNet, convNet } from '../fixtures/nets.ts';
import { relErr, runTorch, torchAvailable } from './torch.ts';

const skip = torchAvailable() ? false : 'PyTorch (Debian python3-torch) is not installed';
const cases: Record<string, () => NetworkDocument> = { ...ALL_NETS, 'conv-mse': () => convNet('mse'), 'branch-ce': () => branchNet('cross_entropy') };

function setup(doc: NetworkDocument) {
  const a = inferShapes(doc);
  const { x, labels } = batchFor(a.shapes.get(a.inputId!)!, 6, a.shapes.get(a.outputId!)![0]);
  return { x, labels, n: 6 };
}

const copy = (m: Map<string, Float32Array>) => new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));

function maskData(m: Record<string, import('onnxruntime-node').Tensor>) {
  return Object.fromEntries(Object.entries(m).map(([k, t]) => [k, { data: t.data as Float32Array, dims: [...t.dims] }]));
}

for (const [name, make] of Object.entries(cases)) {
  test(`gradients match PyTorch: ${name}`, { skip }, async () => {
    const doc = make();
    const { x, labels, n } = setup(doc);
    const step = await TrainingStep.create(doc, { gradients: true, optimizer: 'none', seed: 11, threads: 1 });
    const masks = step.masks(n, new Rng(2));
    const values = new Map(step.values);
    const ours = await step.evaluate(x, labels, n, masks);
    const ref = runTorch({ doc, forward: step.graph.forward, values, x, labels, n, masks: maskData(masks) });
    await step.release();
    assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5 * Math.max(1, Math.abs(ref.loss)), `loss ${ours.loss} vs PyTorch ${ref.loss}`);
    let worst = 0;
    for (const [p, g] of ours.grads) {
      const e = relErr(g, ref.grads[p]);
      worst = Math.max(worst, e);
      assert.ok(e < 1e-4, `${p}: max relative error ${e.toExponential(2)} against PyTorch`);
    }
    console.log(`  ${name}: loss ${ours.loss.toFixed(6)} (PyTorch ${ref.loss.toFixed(6)}), gradients max relative error ${worst.toExponential(2)}`);
  });
}

const optimizers = [
  { optimizer: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0 },
  { optimizer: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
  { optimizer: 'sgd', momentum: 0, nesterov: false, weightDecay: 0 },
  { optimizer: 'adam', weightDecay: 1e-3 },
  { optimizer: 'adamw', weightDecay: 1e-2 },
] as const;

for (const o of optimizers) {
  const label = `${o.optimizer}${'nesterov' in o && o.nesterov ? ' nesterov' : ''} momentum ${'momentum' in o ? o.momentum : '-'} wd ${o.weightDecay}`;
  test(`optimizer updates match torch.optim over 3 steps: ${label}`, { skip }, async () => {
    const base = convNet();
    const doc: NetworkDocument = { ...base, training: { ...base.training, ...o, lr: 0.05 } };
    const { x, labels, n } = setup(doc);
    const step = await TrainingStep.create(doc, { seed: 3, threads: 1 });
    const values = copy(step.values);
    for (let i = 0; i < 3; i++) await step.run(x, labels, n, doc.training.lr);
    const ref = runTorch({ doc, forward: step.graph.forward, values, x, labels, n, masks: {}, optimizer: { ...doc.training, steps: 3 } });
    let worst = 0;
    for (const w of step.graph.forward.weights) {
      const e = relErr(step.values.get(w.name)!, ref.after![w.name]);
      worst = Math.max(worst, e);
      assert.ok(e < 1e-4, `${w.name} after 3 steps: max relative error ${e.toExponential(2)}`);
    }
    await step.release();
    console.log(`  ${label}: parameters after 3 steps, max relative error ${worst.toExponential(2)}`);
  });
}

test('BatchNorm running statistics match PyTorch after one step', { skip }, async () => {
  const doc = convNet();
  const { x, labels, n } = setup(doc);
  const step = await TrainingStep.create(doc, { seed: 4, threads: 1 });
  const values = copy(step.values);
  await step.run(x, labels, n, 0.01);
  const ref = runTorch({ doc, forward: step.graph.forward, values, x, labels, n, masks: {} });
  for (const s of step.graph.forward.states) {
    const e = relErr(step.values.get(s.name)!, ref.states[s.name]);
    assert.ok(e < 1e-5, `${s.name}: relative error ${e}`);
  }
  await step.release();
});
