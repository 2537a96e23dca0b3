// The data-parallel step (two shards, one on a replica thread) computes the same step as the
// single session: same parameters and optimizer state after several steps, for odd batches,
// a batch of one, dropout masks and every optimizer; it is deterministic, adopts values set
// from outside (a resumed checkpoint), and is chosen only where it pays.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { NetworkDocument, TrainingSettings } from '../../engine/graph/document.ts';
import { parseDocument } from '../../engine/graph/document.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { openStepRunner, type StepRunner } from '../../engine/train/step.ts';
import { chain, convNet, net } from '../fixtures/nets.ts';

const dropNet = (training: Partial<TrainingSettings> = {}) =>
  net('drop', [
    ['in', 'Input', { height: 10, width: 9, color: 'rgb' }],
    ['c1', 'Conv2D', { filters: 5, kernel: 3, padding: 'same' }],
    ['r1', 'ReLU'],
    ['p1', 'MaxPool2D', { size: 2, stride: 2 }],
    ['c2', 'Conv2D', { filters: 6, kernel: 3, groups: 1 }],
    ['r2', 'ReLU'],
    ['f', 'Flatten'],
    ['d', 'Dropout', { rate: 0.3 }],
    ['fc', 'Dense', { units: 4 }],
    ['out', 'Output', { loss: 'cross_entropy' }],
  ], chain(['in', 'c1', 'r1', 'p1', 'c2', 'r2', 'f', 'd', 'fc', 'out']), { batchSize: 9, ...training });

function batch(n: number, per: number, seed: number) {
  const rng = new Rng(seed);
  return { x: Float32Array.from({ length: n * per }, () => rng.next() * 2 - 1), y: BigInt64Array.from({ length: n }, () => BigInt(rng.int(4))) };
}

/** Runs the same steps through a single-session step and a sharded one. */
async function both(doc: NetworkDocument, sizes: number[]) {
  const single = await openStepRunner(doc, { shards: 1, threads: 1, seed: 5 });
  const sharded = await openStepRunner(doc, { shards: 2, threads: 2, seed: 5 });
  try {
    assert.ok(sharded.kind === 'sharded' && single.kind !== 'sharded');
    const per = single.inputShape.reduce((a, b) => a * b, 1);
    const losses: [number, number][] = [];
    for (const [i, n] of sizes.entries()) {
      const { x, y } = batch(n, per, 100 + i);
      const lr = 0.05 / (i + 1);
      const a = await single.run(x, y, n, lr, single.masks(n, new Rng(i)));
      const b = await sharded.run(x, y, n, lr, sharded.masks(n, new Rng(i)));
      assert.equal(b.correct, a.correct);
      losses.push([a.loss, b.loss]);
    }
    const worst = Math.max(...[...single.values].map(([k, v]) => {
      const w = sharded.values.get(k)!;
      assert.equal(w.length, v.length, k);
      return Math.max(...v.map((s, i) => Math.abs(s - w[i]) / (Math.abs(s) + 1e-3)));
    }));
    return { losses, worst, keys: [[...single.values.keys()].sort(), [...sharded.values.keys()].sort()] };
  } finally {
    await single.release();
    await sharded.release();
  }
}

for (const opt of [
  { optimizer: 'sgd', momentum: 0.9 },
  { optimizer: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
  { optimizer: 'adam' },
  { optimizer: 'adamw', weightDecay: 0.01 },
] as Partial<TrainingSettings>[]) {
  test(`two shards give the single session's step (${JSON.stringify(opt)}), odd batches, a batch of one, dropout`, async () => {
    const r = await both(dropNet(opt), [9, 7, 1, 8, 2]);
    assert.deepEqual(r.keys[1], r.keys[0]);
    for (const [a, b] of r.losses) assert.ok(Math.abs(a - b) < 1e-5 * Math.max(1, Math.abs(a)), `loss ${a} vs ${b}`);
    // float32 sums in a different order: a few ulps per step, amplified by Adam's division.
    assert.ok(r.worst < 1e-4, `parameters differ by ${r.worst}`);
  });
}

test('the sharded step is deterministic and adopts values set from outside', async () => {
  const doc = dropNet({ optimizer: 'adam' });
  const a = await openStepRunner(doc, { shards: 2, threads: 2, seed: 9 });
  const b = await openStepRunner(doc, { shards: 2, threads: 2, seed: 1 });
  try {
    // b starts elsewhere; given a's values (as a resume does), it must follow a exactly.
    for (const [k, v] of a.values) b.values.set(k, Float32Array.from(v));
    const per = a.inputShape.reduce((p, q) => p * q, 1);
    for (let i = 0; i < 4; i++) {
      const { x, y } = batch(9, per, i);
      a.t = b.t = i;
      const ra = await a.run(x, y, 9, 0.01, a.masks(9, new Rng(i)));
      const rb = await b.run(x, y, 9, 0.01, b.masks(9, new Rng(i)));
      assert.deepEqual(rb, ra);
    }
    for (const [k, v] of a.values) assert.deepEqual(b.values.get(k), v, k);
    await assert.rejects(a.run(new Float32Array(600 * per), new BigInt64Array(600), 600, 0.01, a.masks(600, new Rng(0))), /larger than/);
  } finally {
    await a.release();
    await b.release();
  }
});

test('shards are used for conv nets on two or more threads, not for dense-only nets or BatchNorm', async () => {
  const load = (f: string) => {
    const r = parseDocument(fs.readFileSync(`examples/${f}.json`, 'utf8'));
    assert.ok(r.ok);
    return r.doc;
  };
  const shardsOf = async (doc: NetworkDocument, threads: number) => {
    const s = await openStepRunner(doc, { threads });
    await s.release();
    return s.kind === 'sharded' ? 2 : 1;
  };
  assert.equal(await shardsOf(load('lenet5'), 2), 2);
  assert.equal(await shardsOf(load('lenet5'), 1), 1);
  assert.equal(await shardsOf(load('mlp'), 2), 1);
  assert.equal(await shardsOf(convNet(), 2), 1);
  await assert.rejects(openStepRunner(convNet(), { shards: 2, threads: 2 }), /running statistics/);
});

test('a step started while the replica thread is still between "ready" and its wait is not lost', { timeout: 20_000 }, async () => {
  // The replica thread pauses right after saying ready, so the first step is signalled before
  // it starts waiting: it must still see that step (it once read the count too late and hung).
  process.env.NETWRIGHT_REPLICA_PAUSE_MS = '300';
  let step: StepRunner;
  try {
    step = await openStepRunner(dropNet(), { shards: 2, threads: 2, seed: 3 });
  } finally {
    delete process.env.NETWRIGHT_REPLICA_PAUSE_MS;
  }
  try {
    const per = step.inputShape.reduce((a, b) => a * b, 1);
    const { x, y } = batch(8, per, 1);
    const r = await step.run(x, y, 8, 0.05, step.masks(8, new Rng(1)));
    assert.ok(Number.isFinite(r.loss));
  } finally {
    await step.release();
  }
});
