// Gradients, losses, BatchNorm statistics and optimizer updates against PyTorch on the same
// network, weights and batch.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { openStepRunner } from '../../engine/train/step.ts';
import { batchFor } from '../fixtures/batch.ts';
import { ALL_NETS, branchNet, chain, convNet, invertedResidualNet, net } from '../fixtures/nets.ts';
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
    const step = await openStepRunner(doc, { gradients: true, optimizer: 'none', seed: 11, threads: 1 });
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
    const step = await openStepRunner(doc, { seed: 3, threads: 1 });
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

for (const [name, make] of [['conv', convNet], ['inverted-residual', invertedResidualNet]] as const) test(`BatchNorm running statistics match PyTorch after one step: ${name}`, { skip }, async () => {
  const doc = make();
  const { x, labels, n } = setup(doc);
  const step = await openStepRunner(doc, { seed: 4, threads: 1 });
  // The block's input is BatchNorm bn0: with beta at 0 it has mean 0 and so has the 1x1 expand
  // after it, leaving bn1's running mean float noise. Betas as after some training instead.
  for (const [k, v] of step.values) if (k.endsWith('.beta')) v.forEach((_, i) => (v[i] = 0.1 * ((i % 3) - 1) + 0.05));
  const values = copy(step.values);
  await step.run(x, labels, n, 0.01);
  const ref = runTorch({ doc, forward: step.graph.forward, values, x, labels, n, masks: {} });
  for (const s of step.graph.forward.states) {
    const e = relErr(step.values.get(s.name)!, ref.states[s.name]);
    assert.ok(e < 1e-5, `${s.name}: relative error ${e}`);
  }
  await step.release();
});

test('the inverted residual (depthwise conv, BatchNorm, ReLU6) trains like PyTorch: parameters after 3 SGD momentum steps', { skip }, async () => {
  const base = invertedResidualNet();
  const doc: NetworkDocument = { ...base, training: { ...base.training, optimizer: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 1e-4, lr: 0.1 } };
  const { x, labels, n } = setup(doc);
  const step = await openStepRunner(doc, { seed: 3, threads: 1 });
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
  console.log(`  inverted residual: parameters after 3 steps, max relative error ${worst.toExponential(2)}`);
});

test('max pooling that tiles its input routes gradients to the first max on ties, as PyTorch does', { skip }, async () => {
  // No Indices output here: the rule finds each window's first max itself. The first conv only
  // looks at the centre pixel (its other taps are zero) of an image of three grey levels, so
  // its outputs tie inside many windows while their neighbourhoods, and with them the
  // gradients of the other taps, differ: a tie sent to the wrong position shows.
  const doc = net('tiles', [
    ['in', 'Input', { height: 8, width: 12, color: 'grayscale' }],
    ['c1', 'Conv2D', { filters: 4, kernel: 3, padding: 'same' }],
    ['p1', 'MaxPool2D', { size: 2, stride: 2 }],
    ['c2', 'Conv2D', { filters: 5, kernel: 3, padding: 'same' }],
    ['r2', 'ReLU'],
    ['p2', 'MaxPool2D', { size: 2, stride: 2 }],
    ['f', 'Flatten'],
    ['fc', 'Dense', { units: 3 }],
    ['out', 'Output', { loss: 'cross_entropy' }],
  ], chain(['in', 'c1', 'p1', 'c2', 'r2', 'p2', 'f', 'fc', 'out']));
  const step = await openStepRunner(doc, { gradients: true, optimizer: 'none', seed: 5, threads: 1 });
  assert.ok(step.graph.model.graph.nodes.filter((n) => n.op === 'MaxPool').every((n) => n.outputs.length === 1), 'tiling pools have no Indices output');
  const n = 5;
  const { labels } = batchFor([1, 8, 12], n, 3);
  const rng = new Rng(8);
  const x = Float32Array.from({ length: n * 96 }, () => rng.int(3) / 2);
  const w1 = step.values.get('c1.W')!;
  w1.fill(0);
  for (let f = 0; f < 4; f++) w1[f * 9 + 4] = 0.5 + 0.25 * f;
  const values = new Map(step.values);
  const ours = await step.evaluate(x, labels, n);
  const ref = runTorch({ doc, forward: step.graph.forward, values, x, labels, n, masks: {} });
  await step.release();
  for (const [p, g] of ours.grads) {
    const e = relErr(g, ref.grads[p]);
    assert.ok(e < 1e-4, `${p}: max relative error ${e.toExponential(2)} against PyTorch`);
  }
});
