import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DivergenceCheck, LossWatch, nonFinite, uniformLoss } from '../../engine/train/divergence.ts';

test('a loss that is not finite is divergence, with a null value (not JSON otherwise) and the hint', () => {
  for (const v of [NaN, Infinity, -Infinity]) {
    const d = new LossWatch(3, 1).check(7, v);
    assert.deepEqual(d && { step: d.step, reason: d.reason, value: d.value, hint: d.hint }, { step: 7, reason: 'non-finite-loss', value: null, hint: 'lower the learning rate' });
  }
});

test('a spike over 3x the running mean stops; late noise and a bumpy start do not; 0 turns it off', () => {
  const floor = uniformLoss('cross_entropy', 4);
  assert.equal(floor, Math.log(4));
  assert.equal(uniformLoss('mse', 4), 3 / 16);
  const w = new LossWatch(3, floor);
  for (let i = 1; i <= 200; i++) assert.equal(w.check(i, 1.4 * Math.exp(-i / 20)), null);
  // Many times the recent mean, but under 3x the loss of a uniform guess: a noisy batch.
  assert.equal(w.check(201, 4), null);
  const d = w.check(202, 4.5);
  assert.ok(d && d.reason === 'loss-spike' && d.value === 4.5 && /over 3x the loss of a uniform guess 1\.386/.test(d.message), JSON.stringify(d));
  // A run whose second loss is 4x its first (seen on a real dataset: 2 classes, batches of 4) is not stopped.
  const bumpy = new LossWatch(3, uniformLoss('cross_entropy', 2));
  assert.equal(bumpy.check(1, 0.88), null);
  assert.equal(bumpy.check(2, 3.39), null);
  // An exploding one is (Adam at lr 10 on the sample data: 1.44, then 7.7e8).
  const boom = new LossWatch(3, floor);
  boom.check(1, 1.44);
  assert.equal(boom.check(2, 7.7e8)?.reason, 'loss-spike');
  const off = new LossWatch(0, floor);
  off.check(1, 1);
  assert.equal(off.check(2, 1e9), null);
});

test('the watch resumes from its state exactly', () => {
  const a = new LossWatch(3, 0.1);
  for (let i = 1; i <= 15; i++) a.check(i, 2 / i);
  const b = new LossWatch(3, 0.1, a.state());
  for (let i = 16; i <= 30; i++) assert.deepEqual(a.check(i, 3 / i), b.check(i, 3 / i));
  assert.deepEqual(a.state(), b.state());
});

test('nonFinite finds the first bad value of any tensor', () => {
  const m = new Map([['a', Float32Array.of(1, 2)], ['b', Float32Array.of(0, 3, -Infinity, NaN)]]);
  assert.deepEqual(nonFinite(m), { name: 'b', index: 2, value: -Infinity });
  m.get('b')!.fill(0);
  assert.equal(nonFinite(m), null);
});

test('nonFinite finds a bad value at every position, in each of its four sums and the tail', () => {
  for (let n = 1; n <= 13; n++) {
    for (let at = 0; at < n; at++) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const v = Float32Array.from({ length: n }, (_, i) => i - 5.5);
        v[at] = bad;
        assert.deepEqual(nonFinite(new Map([['ok', Float32Array.of(1, 2, 3, 4, 5)], ['w', v]])), { name: 'w', index: at, value: bad }, `n ${n}, at ${at}, ${bad}`);
      }
    }
  }
  // +Inf in one sum and -Inf in another would cancel to NaN if they were added, and be caught;
  // finite values whose sum overflows a float32 are not flagged (every value is finite).
  assert.deepEqual(nonFinite(new Map([['w', Float32Array.of(Infinity, -Infinity, 0, 0)]])), { name: 'w', index: 0, value: Infinity });
  assert.equal(nonFinite(new Map([['w', new Float32Array(64).fill(3e38)]])), null);
});

test('values are read every 16 steps but not twice within the gap, and always at a boundary', () => {
  let t = 0;
  const good = new Map([['w', new Float32Array(8).fill(0.5)]]);
  const bad = new Map([['w', Float32Array.of(0.5, NaN)]]);
  const losses = new Array(16).fill(1);
  const guard = () => new DivergenceCheck(new LossWatch(3, 1), 100, () => t);

  const first = guard();
  assert.equal(first.check(0, losses.slice(0, 8), bad, false).diverged, null, 'under 16 steps: values not read');
  const d = first.check(8, losses.slice(0, 8), bad, false).diverged;
  assert.ok(d && d.reason === 'non-finite-parameters' && /w\[1\] became NaN by step 16/.test(d.message), JSON.stringify(d));

  const g = guard();
  assert.equal(g.check(0, losses, good, false).diverged, null);
  t = 50;
  assert.equal(g.check(16, losses, bad, false).diverged, null, '16 steps on, but 50 ms after the last read: not read');
  t = 60;
  assert.match(g.check(32, [1], bad, true).diverged?.message ?? '', /at step 33/, 'a boundary always reads them');
  const h = guard();
  h.check(0, losses, good, false);
  t = 170;
  assert.match(h.check(16, losses, bad, false).diverged?.message ?? '', /by step 32/, 'past the gap: read');
});
