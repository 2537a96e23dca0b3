import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionEvent } from '../../engine/protocol.ts';
import { StepCoalescer } from '../../engine/session/coalesce.ts';
import { lrAt } from '../../engine/train/schedule.ts';
import { scheduleSchema } from '../../engine/graph/document.ts';

const step = (i: number) => ({ type: 'step' as const, step: i, epoch: 1, loss: 1 / i, accuracy: 0.5, samplesPerSec: 100, lr: 0.1 });

test('step events become one batch per interval, every point kept; other events flush the points before them', async () => {
  const out: SessionEvent[] = [];
  const c = new StepCoalescer((e) => out.push(e), 20);
  for (let i = 1; i <= 10_000; i++) c.push(step(i));
  assert.equal(out.length, 0);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(out.length, 1);
  assert.ok(out[0].type === 'steps' && out[0].points.length === 10_000 && out[0].points[9999].step === 10_000);
  c.push(step(10_001));
  c.push({ type: 'epoch', step: 10_001, epoch: 1, loss: 0, accuracy: 0, valLoss: null, valAccuracy: null, samplesPerSec: 1, seconds: 1 });
  assert.deepEqual(out.slice(1).map((e) => e.type), ['steps', 'epoch']);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(out.length, 3, 'no empty batches');
});

test('learning-rate schedules: constant, step decay, cosine, linear warm-up', () => {
  const s = (o: object) => scheduleSchema.parse(o);
  assert.equal(lrAt(0.1, s({}), 500, 10, 1000), 0.1);
  assert.equal(lrAt(0.1, s({ kind: 'step', stepEpochs: 2, gamma: 0.5 }), 20, 10, 1000), 0.1);
  assert.equal(lrAt(0.1, s({ kind: 'step', stepEpochs: 2, gamma: 0.5 }), 21, 10, 1000), 0.05);
  assert.ok(Math.abs(lrAt(0.1, s({ kind: 'step', stepEpochs: 2, gamma: 0.5 }), 41, 10, 1000) - 0.025) < 1e-12);
  assert.equal(lrAt(0.1, s({ kind: 'cosine' }), 1, 10, 101), 0.1);
  assert.ok(Math.abs(lrAt(0.1, s({ kind: 'cosine' }), 51, 10, 101) - 0.05) < 1e-12);
  // Math.abs: a one-sided `lr - 0.01 < 1e-12` passes for any lr <= 0.01 (a schedule that ends at 0).
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} is not ${b}`);
  close(lrAt(0.1, s({ kind: 'cosine', minFactor: 0.1 }), 101, 10, 101), 0.01);
  close(lrAt(0.1, s({ kind: 'cosine', minFactor: 0.1 }), 51, 10, 101), 0.055);
  assert.equal(lrAt(0.1, s({ warmupSteps: 4 }), 1, 10, 100), 0.025);
  assert.equal(lrAt(0.1, s({ warmupSteps: 4 }), 4, 10, 100), 0.1);
  assert.equal(lrAt(0.1, s({ warmupSteps: 4 }), 5, 10, 100), 0.1);
});
