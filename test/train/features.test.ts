// Cached backbone features (engine/train/features.ts): with everything below the head frozen and
// no augmentation, a run computes each image's features once and trains the head on them; it
// reports the same losses and accuracies as the same run without the cache, and the frozen
// weights come out of it exactly as they went in.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import fs from 'node:fs';
import { decodeModel } from '../../engine/onnx/model.ts';
import { freezeUpTo } from '../../engine/graph/finetune.ts';
import { featureCut } from '../../engine/train/features.ts';
import type { TrainEvent } from '../../engine/train/messages.ts';
import { startTraining } from '../../engine/train/run-client.ts';
import { chain, net } from '../fixtures/nets.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const data = sampleData(20);

async function run(cache: boolean, o: { maxSteps?: number; resume?: string } = {}) {
  const doc = freezeUpTo(sampleProject({ epochs: 3, batchSize: 16, valSplit: 0.25 }), 'gap');
  const outDir = o.resume ?? tempDir();
  const events: TrainEvent[] = [];
  const before = process.env.NETWRIGHT_FEATURE_CACHE;
  process.env.NETWRIGHT_FEATURE_CACHE = cache ? '1' : '0';
  try {
    const h = startTraining({ doc: o.resume ? undefined : doc, dataDir: data, outDir, threads: 1, maxSteps: o.maxSteps, resume: !!o.resume }, (e) => events.push(e));
    const end = await h.finished;
    assert.equal(end.type, 'done', JSON.stringify(end));
  } finally {
    if (before === undefined) delete process.env.NETWRIGHT_FEATURE_CACHE;
    else process.env.NETWRIGHT_FEATURE_CACHE = before;
  }
  return { outDir, events, epochs: events.filter((e) => e.type === 'epoch') };
}

/** Named initializers of an ONNX file. */
function weights(file: string, names: string[]): Map<string, Float32Array> {
  const m = decodeModel(new Uint8Array(fs.readFileSync(file)));
  return new Map(names.map((n) => [n, Float32Array.from(m.graph.initializers.find((t) => t.name === n)!.data as Float32Array)]));
}

test('a frozen backbone with no augmentation trains on cached features, with the same figures as without', async () => {
  const doc = freezeUpTo(sampleProject(), 'gap');
  assert.equal(featureCut(doc, 100), 'gap');
  assert.equal(featureCut(freezeUpTo(sampleProject(), 'conv2'), 100), 'pool2', 'frozen up to conv2: the features of pool2 feed conv3, which trains');
  assert.equal(featureCut(sampleProject(), 100), null, 'nothing frozen: no cache');
  const mlp = net('mlp', [['in', 'Input'], ['f', 'Flatten'], ['fc', 'Dense', { units: 10 }], ['out', 'Output', { loss: 'cross_entropy' }]], chain(['in', 'f', 'fc', 'out']));
  assert.equal(featureCut(mlp, 100), null, 'an MLP: the part above Dense (a Flatten) has no weights, its features would be the pixels again');
  assert.equal(featureCut(freezeUpTo(mlp, 'f'), 100), null, 'the same with the Flatten marked frozen');
  assert.equal(featureCut({ ...doc, training: { ...doc.training, data: { resize: 'stretch', normalize: 'x/255', augment: { hflip: true, cropPadding: 0, translate: 0, brightness: 0, contrast: 0 } } } }, 100), null, 'augmentation: no cache');

  const cached = await run(true);
  const plain = await run(false);
  assert.ok(cached.events.some((e) => e.type === 'log' && /computed once per image/.test(e.message)), 'the cached run says so');
  assert.ok(!plain.events.some((e) => e.type === 'log' && /computed once per image/.test(e.message)));
  assert.equal(cached.epochs.length, 3);
  for (const [i, e] of cached.epochs.entries()) {
    const p = plain.epochs[i];
    assert.ok(e.type === 'epoch' && p.type === 'epoch');
    assert.ok(Math.abs(e.loss - p.loss) < 1e-4 * p.loss, `epoch ${i + 1} loss ${e.loss} vs ${p.loss}`);
    assert.equal(e.accuracy, p.accuracy);
    assert.ok(Math.abs(e.valLoss! - p.valLoss!) < 1e-4 * p.valLoss!, `epoch ${i + 1} val loss ${e.valLoss} vs ${p.valLoss}`);
    assert.equal(e.valAccuracy, p.valAccuracy);
  }

  // The exported models agree, and the frozen convs are those of init.onnx, bit for bit, while the head moved.
  const names = ['conv1.W', 'conv3.W', 'fc.W'];
  const init = weights(path.join(cached.outDir, 'init.onnx'), names);
  const final = weights(path.join(cached.outDir, 'model.onnx'), names);
  const other = weights(path.join(plain.outDir, 'model.onnx'), names);
  for (const n of ['conv1.W', 'conv3.W']) {
    assert.ok(Buffer.from(init.get(n)!.buffer).equals(Buffer.from(final.get(n)!.buffer)), `${n} is frozen`);
    assert.ok(Buffer.from(final.get(n)!.buffer).equals(Buffer.from(other.get(n)!.buffer)), `${n}: same in both runs`);
  }
  assert.ok(!Buffer.from(init.get('fc.W')!.buffer).equals(Buffer.from(final.get('fc.W')!.buffer)), 'the head trained');
  let worst = 0;
  const a = final.get('fc.W')!;
  const b = other.get('fc.W')!;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 1e-4, `head weights with and without the cache differ by ${worst}`);
});

test('a cached-features run stopped part way and resumed ends as the run straight through', async () => {
  const whole = await run(true);
  const part = await run(true, { maxSteps: 7 });
  const rest = await run(true, { resume: part.outDir });
  const a = whole.epochs.at(-1)!;
  const b = rest.epochs.at(-1)!;
  assert.ok(a.type === 'epoch' && b.type === 'epoch' && b.epoch === 3);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-5 * a.loss && a.valAccuracy === b.valAccuracy, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  const names = ['conv1.W', 'fc.W'];
  const x = weights(path.join(whole.outDir, 'model.onnx'), names);
  const y = weights(path.join(rest.outDir, 'model.onnx'), names);
  for (const n of names) assert.ok(Buffer.from(x.get(n)!.buffer).equals(Buffer.from(y.get(n)!.buffer)), n);
});
