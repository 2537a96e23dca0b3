import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LossWatch, nonFinite } from '../../engine/train/divergence.ts';

test('a loss that is not finite is divergence, with a null value (not JSON otherwise) and the hint', () => {
  for (const v of [NaN, Infinity, -Infinity]) {
    const d = new LossWatch(3).check(7, v);
    assert.deepEqual(d && { step: d.step, reason: d.reason, value: d.value, hint: d.hint }, { step: 7, reason: 'non-finite-loss', value: null, hint: 'lower the learning rate' });
  }
});

test('a spike over 3x the running mean stops; late noise below the first losses does not; 0 turns it off', () => {
  const w = new LossWatch(3);
  for (let i = 1; i <= 200; i++) assert.equal(w.check(i, 1.4 * Math.exp(-i / 20)), null);
  // Ten times the recent mean, but still under the loss the run started at: a noisy batch.
  assert.equal(w.check(201, 0.9), null);
  const d = w.check(202, 4.5);
  assert.ok(d && d.reason === 'loss-spike' && d.value === 4.5, JSON.stringify(d));
  const off = new LossWatch(0);
  off.check(1, 1);
  assert.equal(off.check(2, 1e9), null);
});

test('the watch resumes from its state exactly', () => {
  const a = new LossWatch(3);
  for (let i = 1; i <= 15; i++) a.check(i, 2 / i);
  const b = new LossWatch(3, a.state());
  for (let i = 16; i <= 30; i++) assert.deepEqual(a.check(i, 3 / i), b.check(i, 3 / i));
  assert.deepEqual(a.state(), b.state());
});

test('nonFinite finds the first bad value of any tensor', () => {
  const m = new Map([['a', Float32Array.of(1, 2)], ['b', Float32Array.of(0, 3, -Infinity, NaN)]]);
  assert.deepEqual(nonFinite(m), { name: 'b', index: 2, value: -Infinity });
  m.get('b')!.fill(0);
  assert.equal(nonFinite(m), null);
});
