// Training runs end to end on the worker thread: real images decoded, real ORT sessions, real files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadSplit, scanImageFolder } from '../../engine/data/image-folder.ts';
import type { TrainEvent } from '../../engine/train/messages.ts';
import { readCheckpoint } from '../../engine/train/checkpoint.ts';
import { startTraining } from '../../engine/train/trainer.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const data = sampleData(30);

async function train(training: Parameters<typeof sampleProject>[0], extra: { maxSteps?: number; stopAfter?: number } = {}) {
  const outDir = tempDir();
  const events: TrainEvent[] = [];
  const h = startTraining({ doc: sampleProject(training), dataDir: data, outDir, maxSteps: extra.maxSteps, threads: 1 }, (e) => {
    events.push(e);
    if (extra.stopAfter && e.type === 'step' && e.step === extra.stopAfter) h.stop();
  });
  const end = await h.finished;
  return { outDir, events, end };
}

test('a run trains, validates, and writes model.onnx, init.onnx, metrics.csv and a checkpoint', async () => {
  const { outDir, events, end } = await train({ epochs: 4, batchSize: 16, lr: 0.003, valSplit: 0.25 });
  assert.equal(end.type, 'done', JSON.stringify(end));
  const started = events.find((e) => e.type === 'started')!;
  assert.ok(started.type === 'started' && started.trainCount === 88 && started.valCount === 32 && started.classNames.join() === 'circle,cross,square,triangle');
  const steps = events.filter((e) => e.type === 'step');
  const epochs = events.filter((e) => e.type === 'epoch');
  assert.equal(steps.length, 4 * 6);
  assert.deepEqual(steps.map((s) => s.step), steps.map((_, i) => i + 1));
  assert.equal(epochs.length, 4);
  for (const e of epochs) assert.ok(e.type === 'epoch' && e.valAccuracy !== null && e.valLoss !== null);
  const [first, last] = [epochs[0], epochs[3]];
  assert.ok(first.type === 'epoch' && last.type === 'epoch' && last.loss < first.loss, `training loss should fall: ${first.loss} -> ${last.loss}`);

  for (const f of ['model.onnx', 'init.onnx', 'metrics.csv', 'checkpoint.nwck']) assert.ok(fs.existsSync(path.join(outDir, f)), f);
  const csv = fs.readFileSync(path.join(outDir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'step,epoch,loss,accuracy,val_loss,val_accuracy,samples_per_s');
  assert.equal(csv.length, 1 + 24 + 4);
  const epochRows = csv.slice(1).filter((r) => r.split(',')[4] !== '');
  assert.equal(epochRows.length, 4);
  const ck = readCheckpoint(path.join(outDir, 'checkpoint.nwck'));
  assert.equal(ck.header.step, 24);
  assert.equal(ck.header.epoch, 4);
  assert.ok(ck.values.has('conv1.W') && ck.values.has('conv1.W.m') && ck.values.has('conv1.W.v'));

  // The exported model reproduces the validation accuracy the run reported, and differs from init.
  const session = await ort.InferenceSession.create(path.join(outDir, 'model.onnx'));
  const scan = await scanImageFolder(data, { valSplit: 0.25, seed: 1 });
  const val = await loadSplit(scan.val, { height: 32, width: 32, channels: 3 });
  const x = Float32Array.from(val.pixels, (v) => v / 255);
  const out = await session.run({ input: new ort.Tensor('float32', x, [val.count, 3, 32, 32]) });
  const probs = out.probs.data as Float32Array;
  let correct = 0;
  for (let i = 0; i < val.count; i++) {
    const row = Array.from(probs.subarray(i * 4, i * 4 + 4));
    if (row.indexOf(Math.max(...row)) === val.labels[i]) correct++;
  }
  assert.ok(last.type === 'epoch' && Math.abs(correct / val.count - last.valAccuracy!) < 1e-9);
  const init = await ort.InferenceSession.create(path.join(outDir, 'init.onnx'));
  const initOut = await init.run({ input: new ort.Tensor('float32', x, [val.count, 3, 32, 32]) });
  assert.notDeepEqual(Array.from(initOut.probs.data as Float32Array).slice(0, 4), Array.from(probs).slice(0, 4));
});

test('the same seed gives the same run, step for step', async () => {
  const a = await train({ epochs: 1, batchSize: 16, valSplit: 0.25, seed: 5 }, { maxSteps: 4 });
  const b = await train({ epochs: 1, batchSize: 16, valSplit: 0.25, seed: 5 }, { maxSteps: 4 });
  const c = await train({ epochs: 1, batchSize: 16, valSplit: 0.25, seed: 6 }, { maxSteps: 4 });
  const losses = (r: typeof a) => r.events.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.loss : 0));
  assert.deepEqual(losses(a), losses(b));
  assert.notDeepEqual(losses(a), losses(c));
});

test('--max-steps stops after K steps and still writes every output', async () => {
  const { outDir, end } = await train({ epochs: 5, batchSize: 8, valSplit: 0 }, { maxSteps: 3 });
  assert.ok(end.type === 'done' && end.reason === 'max-steps' && end.step === 3);
  for (const f of ['model.onnx', 'init.onnx', 'metrics.csv', 'checkpoint.nwck']) assert.ok(fs.existsSync(path.join(outDir, f)), f);
  const rows = fs.readFileSync(path.join(outDir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.equal(rows.length, 1 + 3 + 1);
  assert.equal(rows[4].split(',')[4], '', 'no validation with --val-split 0');
});

test('stop ends the run between steps, keeping the outputs', async () => {
  const { end, outDir } = await train({ epochs: 50, batchSize: 8 }, { stopAfter: 2 });
  assert.ok(end.type === 'done' && end.reason === 'stopped', JSON.stringify(end));
  // Steps run in groups of up to 16 (one session run each, TrainingStep.runGroup): the stop lands
  // between groups, within two of the request; the whole run would be 650 steps.
  assert.ok(end.type === 'done' && end.step >= 2 && end.step < 2 + 2 * 16, JSON.stringify(end));
  assert.ok(fs.existsSync(path.join(outDir, 'model.onnx')));
});

test('a class-count mismatch names the fix', async () => {
  const doc = sampleProject();
  const fc = doc.nodes.find((n) => n.id === 'fc')!;
  fc.params.units = 7;
  const h = startTraining({ doc, dataDir: data, outDir: tempDir() }, () => {});
  const end = await h.finished;
  assert.equal(end.type, 'error');
  assert.match(end.type === 'error' ? end.message : '', /output head has 7 classes but .* has 4 class folders \(circle, cross, square, triangle\); set the units of the Dense layer before the output to 4/);
});
