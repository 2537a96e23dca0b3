// Several steps in one session run (an ONNX Scan over a stack of batches, autodiff/step-loop.ts)
// are the same steps as one run each: same losses, correct counts, parameters, optimizer slots
// and running statistics, for every optimizer, dropout masks, BatchNorm, a short last batch.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { loopedStep } from '../../engine/autodiff/step-loop.ts';
import { buildTrainingGraph } from '../../engine/autodiff/training-graph.ts';
import type { NetworkDocument, TrainingSettings } from '../../engine/graph/document.ts';
import { parseDocument } from '../../engine/graph/document.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { openStepRunner, stepGroup } from '../../engine/train/step.ts';
import { blockedNet, branchNet, convNet } from '../fixtures/nets.ts';
import { checkerSkip, checkModels } from '../fixtures/onnx-checker.ts';

function mlp(training: Partial<TrainingSettings> = {}): NetworkDocument {
  const r = parseDocument(fs.readFileSync('examples/mlp.json', 'utf8'));
  if (!r.ok) throw new Error('examples/mlp.json');
  return { ...r.doc, training: { ...r.doc.training, batchSize: 5, ...training } };
}

function batches(k: number, n: number, per: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: k * n * per }, () => rng.next() * 2 - 1), y: BigInt64Array.from({ length: k * n }, () => BigInt(rng.int(classes))) };
}

/** Groups of `ks` steps (batch n; the last group's batch n − 2) through a looped and an unlooped step. */
async function compare(doc: NetworkDocument, ks: number[], classes: number) {
  const plain = await openStepRunner(doc, { threads: 1, seed: 3, group: 1 });
  const looped = await openStepRunner(doc, { threads: 1, seed: 3, group: 4 });
  try {
    assert.equal(plain.group, 1);
    assert.equal(looped.group, 4);
    const per = plain.inputShape.reduce((a, b) => a * b, 1);
    let worstLoss = 0;
    for (const [g, k] of ks.entries()) {
      const n = g === ks.length - 1 ? doc.training.batchSize - 2 : doc.training.batchSize;
      const { x, y } = batches(k, n, per, classes, 40 + g);
      const lrs = Array.from({ length: k }, (_, i) => 0.05 / (g + i + 1));
      const a = await plain.runGroup(x, y, k, n, lrs, plain.masks(n, new Rng(g), k));
      const b = await looped.runGroup(x, y, k, n, lrs, looped.masks(n, new Rng(g), k));
      assert.equal(b.length, k);
      for (let i = 0; i < k; i++) {
        assert.equal(b[i].correct, a[i].correct, `group ${g} step ${i}: correct`);
        worstLoss = Math.max(worstLoss, Math.abs(a[i].loss - b[i].loss) / Math.abs(a[i].loss));
      }
    }
    assert.equal(looped.t, plain.t);
    assert.deepEqual([...looped.values.keys()].sort(), [...plain.values.keys()].sort());
    let worst = 0;
    for (const [name, v] of plain.values) {
      const w = looped.values.get(name)!;
      assert.equal(w.length, v.length, name);
      for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - w[i]) / (Math.abs(v[i]) + 1e-3));
    }
    if (process.env.SHOW) console.log(JSON.stringify({ worstLoss, worst }));
    return { worstLoss, worst, carried: plain.values.size };
  } finally {
    await plain.release();
    await looped.release();
  }
}

for (const [name, training] of [
  ['SGD with momentum', { optimizer: 'sgd', momentum: 0.9 }],
  ['SGD with Nesterov momentum and weight decay', { optimizer: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 }],
  ['Adam', { optimizer: 'adam' }],
  ['AdamW', { optimizer: 'adamw', weightDecay: 0.01 }],
] as [string, Partial<TrainingSettings>][]) {
  test(`looped steps equal single steps: MLP, ${name}`, async () => {
    const r = await compare(mlp(training), [3, 4, 1], 10);
    assert.ok(r.worstLoss < 1e-6, `loss differs by ${r.worstLoss}`);
    assert.ok(r.worst < 1e-6, `values differ by ${r.worst}`);
  });
}

test('looped steps equal single steps: convolutions with BatchNorm (running statistics carried)', async () => {
  const r = await compare(convNet(), [2, 3, 2], 3);
  assert.ok(r.worstLoss < 1e-5 && r.worst < 1e-5, JSON.stringify(r));
});

test('looped steps equal single steps: blocked convolutions (com.microsoft.nchwc ops) in the loop body', async () => {
  const r = await compare(blockedNet(), [3, 2], 3);
  assert.ok(r.worstLoss < 1e-5 && r.worst < 1e-5, JSON.stringify(r));
});

test('looped steps equal single steps: dropout masks stacked step by step, MSE loss', async () => {
  const doc = branchNet();
  const r = await compare({ ...doc, training: { ...doc.training, batchSize: 6, optimizer: 'adam' } }, [4, 2], 5);
  assert.ok(r.worstLoss < 1e-5 && r.worst < 1e-5, JSON.stringify(r));
});

test('a looped step refuses more steps than it loops, and takes a single run()', async () => {
  const doc = mlp({ optimizer: 'sgd', momentum: 0.9 });
  const step = await openStepRunner(doc, { threads: 1, group: 2 });
  try {
    const { x, y } = batches(3, 5, 784, 10, 1);
    await assert.rejects(step.runGroup(x, y, 3, 5, [0.1, 0.1, 0.1]), /3 steps, but the step loops at most 2/);
    const r = await step.run(x, y, 5, 0.1);
    assert.ok(Number.isFinite(r.loss) && r.correct >= 0 && r.correct <= 5);
    assert.equal(step.t, 1);
  } finally {
    await step.release();
  }
});

test('group size: up to 16 steps while the stacked batches stay under 4 MiB; 1 for large inputs', () => {
  const graph = (h: number, w: number) => {
    const doc = mlp();
    const input = doc.nodes.find((n) => n.type === 'Input')!;
    input.params = { ...input.params, height: h, width: w };
    return buildTrainingGraph(doc, {});
  };
  assert.equal(stepGroup(graph(28, 28), 64), 16);
  assert.equal(stepGroup(graph(28, 28), 256), 5);
  assert.equal(stepGroup(graph(224, 224), 32), 1);
});

test('the looped step graph passes onnx.checker', { skip: checkerSkip }, () => {
  checkModels({ mlp: loopedStep(buildTrainingGraph(mlp({ optimizer: 'adam' }), {})), branch: loopedStep(buildTrainingGraph(branchNet(), {})) });
});
