import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsample, mergeOnX, smooth, TrainStore } from '../../renderer/store/train-store.ts';

const epochEvent = (n: number) => ({ type: 'epoch' as const, step: n * 10, epoch: n, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.5, samplesPerSec: 100, seconds: 1 });
const points = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ step: from + i, epoch: 1, loss: 2 - (from + i) / 1000, accuracy: 0.5, samplesPerSec: 100, lr: 0.01 }));

test('the store keeps every point of the coalesced batches and follows the run state', () => {
  const t = new TrainStore();
  t.beginRun('r1');
  t.handle({ runId: 'r1', event: { type: 'started', device: 'cpu', classNames: ['a', 'b'], trainCount: 320, valCount: 10, stepsPerEpoch: 10, totalSteps: 1000 } });
  t.handle({ runId: 'r1', event: { type: 'steps', points: points(1, 300) } });
  t.handle({ runId: 'r1', event: { type: 'paused', step: 300 } });
  assert.equal(t.getState().runState, 'paused');
  t.handle({ runId: 'r1', event: { type: 'resumed', step: 300 } });
  t.handle({ runId: 'r1', event: { type: 'steps', points: points(301, 200) } });
  t.handle({ runId: 'other', event: { type: 'steps', points: points(1, 5) } });
  const s = t.getState();
  assert.deepEqual(s.series.step, Array.from({ length: 500 }, (_, i) => i + 1));
  assert.equal(s.runState, 'running');
  const p = t.progress();
  assert.equal(p.fraction, 0.5);
  assert.ok(Math.abs(p.secondsLeft! - (500 * 32) / 100) < 1e-9);
  t.handle({ runId: 'r1', event: { type: 'done', reason: 'stopped', step: 500, epoch: 50, outDir: '/x', files: [], best: null } });
  assert.equal(t.getState().runState, 'idle');
  assert.equal(t.getState().done?.reason, 'stopped');
});

test('drawing copies: downsampling keeps the span and the means; smoothing is a debiased moving average', () => {
  const x = Array.from({ length: 100_000 }, (_, i) => i + 1);
  const y = x.map((v) => v % 2);
  const [dx, dy] = downsample(x, [y], 2000);
  assert.ok(dx.length <= 2000 && dx.at(-1) === 100_000);
  assert.ok(dy.every((v) => Math.abs(v - 0.5) < 1e-9));
  assert.deepEqual(smooth([1, 1, 1], 0.9).map((v) => +v.toFixed(12)), [1, 1, 1]);
  assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
});

test('the device choice: only an available device can be chosen, and one that becomes unavailable falls back to CPU', () => {
  const t = new TrainStore();
  const cpu = { device: 'cpu' as const, label: 'CPU', available: true };
  t.setDevices([cpu, { device: 'cuda', label: 'CUDA', available: false, reason: 'no provider files' }]);
  t.setDevice('cuda');
  assert.equal(t.getState().device, 'cpu');
  t.setDevices([cpu, { device: 'cuda', label: 'CUDA', available: true }]);
  t.setDevice('cuda');
  assert.equal(t.getState().device, 'cuda');
  t.setDevices([cpu, { device: 'cuda', label: 'CUDA', available: false, reason: 'gone' }]);
  assert.equal(t.getState().device, 'cpu');
});

test('augmentation previews belong to their dataset folder: choosing another clears them', () => {
  const t = new TrainStore();
  t.setDataDir('/data/a');
  t.setPreview({ augmenting: true, augment: { hflip: true }, samples: [{ path: 'x.png', label: 0, original: 'data:,', augmented: ['data:,'] }] });
  assert.equal(t.getState().preview?.samples.length, 1);
  t.setDataDir('/data/a');
  assert.ok(t.getState().preview, 'the same folder keeps them');
  t.setDataDir('/data/b');
  assert.equal(t.getState().preview, null);
  t.setPreview(null, 'cannot read');
  assert.equal(t.getState().previewError, 'cannot read');
});

test('an overlaid run shares the step axis: the union of both x columns, nulls where a run has no point', () => {
  const merged = mergeOnX([[1, 2, 4], [10, 20, 40], [1, 2, 4]], [[2, 3, 4, 5], [0.2, 0.3, 0.4, 0.5]]);
  assert.deepEqual(merged, [[1, 2, 3, 4, 5], [10, 20, null, 40, null], [1, 2, null, 4, null], [null, 0.2, 0.3, 0.4, 0.5]]);
  assert.deepEqual(mergeOnX([[], []], [[1], [5]]), [[1], [null], [5]]);
});

test('a start reply that comes after the run\'s first events keeps them: a refusal is not reset to "starting"', () => {
  const t = new TrainStore();
  // The engine refuses at once: its log and error events reach the page before startTraining's reply.
  t.handle({ runId: 'r2', event: { type: 'log', level: 'info', message: 'preparing' } });
  t.handle({ runId: 'r2', event: { type: 'error', message: 'the network has 4 classes but the folder has 3 class folders' } });
  t.beginRun('r2');
  assert.equal(t.getState().runState, 'idle');
  assert.match(t.getState().error ?? '', /3 class folders/);
  // A new run still starts clean.
  t.beginRun('r3');
  assert.equal(t.getState().runState, 'starting');
  assert.equal(t.getState().error, null);
});

test('a refusal whose error is its only event, before the start reply, is not lost: the row does not stay "starting"', () => {
  const t = new TrainStore();
  t.beginRun('r1');
  t.handle({ runId: 'r1', event: { type: 'error', message: 'no usable training images' } });
  // The next run is refused at once with no log first: its error reaches the page before startTraining's reply.
  t.handle({ runId: 'r2', event: { type: 'error', message: 'the network has 4 classes but the folder has 3 class folders' } });
  assert.match(t.getState().error ?? '', /no usable/, 'the page still shows the run it follows');
  t.beginRun('r2');
  assert.equal(t.getState().runId, 'r2');
  assert.equal(t.getState().runState, 'idle');
  assert.match(t.getState().error ?? '', /3 class folders/);
  // Held events belong to their run only: another run starts clean, and they are not replayed twice.
  t.handle({ runId: 'r3', event: { type: 'error', message: 'refused r3' } });
  t.beginRun('r4');
  assert.equal(t.getState().runState, 'starting');
  assert.equal(t.getState().error, null);
  t.beginRun('r3');
  assert.equal(t.getState().runState, 'starting', 'the held events went when another run began');
});

test('continuing a run (same id) clears its old curves before the request; a refusal leaves nothing running', () => {
  const t = new TrainStore();
  t.beginRun('r4');
  t.handle({ runId: 'r4', event: epochEvent(1) });
  t.handle({ runId: 'r4', event: epochEvent(2) });
  t.handle({ runId: 'r4', event: { type: 'done', reason: 'stopped', step: 20, epoch: 2, outDir: '/x', files: [], best: null } });
  t.continueRun('r4');
  // The continuation's first epoch can arrive before continueTraining's reply.
  t.handle({ runId: 'r4', event: epochEvent(3) });
  t.beginRun('r4');
  assert.deepEqual(t.getState().epochs.map((e) => e.epoch), [3]);
  t.handle({ runId: 'r4', event: { type: 'done', reason: 'finished', step: 30, epoch: 3, outDir: '/x', files: [], best: null } });
  t.continueRun('r4');
  t.continueRefused('r4');
  assert.equal(t.getState().runState, 'idle');
});
