// A training step with large activations runs without ONNX Runtime's memory pattern (step.ts,
// memPattern): which nets get it, the override, and that the steps are the same either way.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { parseDocument } from '../../engine/graph/document.ts';
import { estimateMemory } from '../../engine/graph/memory.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { MEM_PATTERN_LIMIT, memPattern, openStepRunner } from '../../engine/train/step.ts';
import { resnet64 } from '../../bench/nets.ts';

function withEnv<T>(value: string | undefined, f: () => T): T {
  const old = process.env.NETWRIGHT_MEM_PATTERN;
  if (value === undefined) delete process.env.NETWRIGHT_MEM_PATTERN;
  else process.env.NETWRIGHT_MEM_PATTERN = value;
  try {
    return f();
  } finally {
    if (old === undefined) delete process.env.NETWRIGHT_MEM_PATTERN;
    else process.env.NETWRIGHT_MEM_PATTERN = old;
  }
}

test('the memory pattern is off for a step whose activations pass the limit, on below it, and the override wins', () => {
  const resnet = resnet64();
  resnet.training = { ...resnet.training, batchSize: 64 };
  const r = parseDocument(fs.readFileSync('examples/lenet5.json', 'utf8'));
  assert.ok(r.ok);
  const lenet = { ...r.doc, training: { ...r.doc.training, batchSize: 64 } };
  const act = (d: typeof lenet) => estimateMemory(d).activations.forward + estimateMemory(d).activations.backward;
  assert.ok(act(resnet) > MEM_PATTERN_LIMIT && act(lenet) < MEM_PATTERN_LIMIT);
  withEnv(undefined, () => {
    assert.equal(memPattern(resnet), false);
    assert.equal(memPattern(lenet), true);
    // The estimate follows the batch: resnet-64 at batch 4 is far below the limit.
    assert.equal(memPattern({ ...resnet, training: { ...resnet.training, batchSize: 4 } }), true);
  });
  withEnv('1', () => assert.equal(memPattern(resnet), true));
  withEnv('0', () => assert.equal(memPattern(lenet), false));
});

test('steps without the memory pattern are the same steps, bit for bit (BatchNorm net, single session)', async () => {
  const doc = resnet64();
  doc.training = { ...doc.training, batchSize: 4, optimizer: 'sgd', lr: 0.05, momentum: 0.9 };
  const runs: Map<string, Float32Array>[] = [];
  const losses: number[][] = [];
  for (const flag of ['1', '0']) {
    const step = await withEnv(flag, () => openStepRunner(doc, { threads: 1, seed: 5, group: 1 }));
    try {
      const per = step.inputShape.reduce((a, b) => a * b, 1);
      const rng = new Rng(9);
      const l: number[] = [];
      for (let s = 0; s < 3; s++) {
        const x = Float32Array.from({ length: 4 * per }, () => rng.next() * 2 - 1);
        const y = BigInt64Array.from({ length: 4 }, () => BigInt(rng.int(10)));
        const [res] = await step.runGroup(x, y, 1, 4, [0.05], step.masks(4, new Rng(s), 1));
        l.push(res.loss);
      }
      losses.push(l);
      runs.push(new Map([...step.values].map(([k, v]) => [k, Float32Array.from(v)])));
    } finally {
      await step.release();
    }
  }
  assert.deepEqual(losses[1], losses[0]);
  assert.deepEqual([...runs[1].keys()].sort(), [...runs[0].keys()].sort());
  for (const [name, v] of runs[0]) assert.deepEqual(runs[1].get(name), v, name);
});
