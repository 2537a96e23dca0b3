// batches.ts: normalization, seeded shuffling and augmentation that does what it says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchFiller, channelStats, NO_AUGMENT, toInput, unitScale } from '../../engine/data/batches.ts';
import { CachedSplit } from '../../engine/data/cache.ts';
import { Rng } from '../../engine/graph/rng.ts';

const [C, H, W] = [3, 5, 6];
const SIZE = C * H * W;
/** An in-memory split of n random images (labels i % 3). */
function split(n: number): CachedSplit {
  const rng = new Rng(4);
  const pixels = Uint8Array.from({ length: n * SIZE }, () => rng.int(256));
  return CachedSplit.fromPixels(pixels, Int32Array.from({ length: n }, (_, i) => i % 3), SIZE);
}
const image = (s: CachedSplit, i: number): Uint8Array => {
  const out = new Uint8Array(SIZE);
  s.read(i, out);
  return out;
};
const batch = (f: BatchFiller, start: number, n: number) => {
  const x = new Float32Array(n * SIZE);
  const y = new BigInt64Array(n);
  f.fill(start, n, x, y);
  return { x, y };
};

test('x/255 by default; mean/std from the split; toInput agrees with the batches', () => {
  const s = split(7);
  const plain = batch(new BatchFiller(s, { channels: C, height: H, width: W }, unitScale(C), NO_AUGMENT, 1), 0, 7);
  for (let i = 0; i < 7; i++) {
    const img = image(s, i);
    for (let k = 0; k < SIZE; k++) assert.ok(Math.abs(plain.x[i * SIZE + k] - img[k] / 255) < 1e-6);
    assert.equal(plain.y[i], BigInt(i % 3));
  }
  const norm = channelStats(s, C, 3);
  for (let c = 0; c < C; c++) {
    const vals: number[] = [];
    for (let i = 0; i < 7; i++) vals.push(...image(s, i).subarray(c * H * W, (c + 1) * H * W));
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length / 255;
    const std = Math.sqrt(vals.reduce((a, b) => a + (b / 255 - mean) ** 2, 0) / vals.length);
    assert.ok(Math.abs(norm.mean[c] - mean) < 1e-9 && Math.abs(norm.std[c] - std) < 1e-9);
  }
  const normed = batch(new BatchFiller(s, { channels: C, height: H, width: W }, norm, NO_AUGMENT, 1), 0, 7);
  const viaInput = new Float32Array(7 * SIZE);
  toInput(s.readRange(0, 7), viaInput, H * W, norm);
  for (let k = 0; k < viaInput.length; k++) assert.ok(Math.abs(normed.x[k] - viaInput[k]) < 1e-5);
  // Normalized training pixels have mean 0 and std 1 per channel.
  for (let c = 0; c < C; c++) {
    const v: number[] = [];
    for (let i = 0; i < 7; i++) v.push(...normed.x.subarray(i * SIZE + c * H * W, i * SIZE + (c + 1) * H * W));
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(Math.abs(m) < 1e-4 && Math.abs(Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) - 1) < 1e-4);
  }
});

test('hflip gives each image as is or mirrored, both occur, fixed by the seed', () => {
  const s = split(40);
  const make = (seed: number) => batch(new BatchFiller(s, { channels: C, height: H, width: W }, unitScale(C), { ...NO_AUGMENT, hflip: true }, seed), 0, 40).x;
  const x = make(9);
  let flipped = 0;
  for (let i = 0; i < 40; i++) {
    const img = image(s, i);
    const same = Array.from({ length: SIZE }, (_, k) => img[k] / 255).every((v, k) => Math.abs(v - x[i * SIZE + k]) < 1e-6);
    const mirror = (k: number): number => {
      const [c, y, xx] = [Math.floor(k / (H * W)), Math.floor(k / W) % H, k % W];
      return img[c * H * W + y * W + (W - 1 - xx)] / 255;
    };
    const flip = Array.from({ length: SIZE }, (_, k) => mirror(k)).every((v, k) => Math.abs(v - x[i * SIZE + k]) < 1e-6);
    assert.ok(same || flip, `image ${i} is neither itself nor its mirror`);
    if (flip && !same) flipped++;
  }
  assert.ok(flipped > 5 && flipped < 35, `${flipped} of 40 flipped`);
  assert.deepEqual(make(9), x);
  assert.notDeepEqual(make(10), x);
});

test('crop with padding and translation shift the image with zero fill; jitter stays in range', () => {
  const s = split(20);
  const pad = 2;
  const x = batch(new BatchFiller(s, { channels: C, height: H, width: W }, unitScale(C), { ...NO_AUGMENT, cropPadding: pad }, 3), 0, 20).x;
  let moved = 0;
  for (let i = 0; i < 20; i++) {
    const img = image(s, i);
    const matches = (dx: number, dy: number): boolean => {
      for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
        const [sy, sx] = [y - dy, xx - dx];
        const want = sy < 0 || sy >= H || sx < 0 || sx >= W ? 0 : img[c * H * W + sy * W + sx] / 255;
        if (Math.abs(x[i * SIZE + c * H * W + y * W + xx] - want) > 1e-6) return false;
      }
      return true;
    };
    const shifts: [number, number][] = [];
    for (let dy = -pad; dy <= pad; dy++) for (let dx = -pad; dx <= pad; dx++) if (matches(dx, dy)) shifts.push([dx, dy]);
    assert.ok(shifts.length > 0, `image ${i} is no shift within ±${pad}`);
    if (!shifts.some(([a, b]) => a === 0 && b === 0)) moved++;
  }
  assert.ok(moved > 0);
  const jit = batch(new BatchFiller(s, { channels: C, height: H, width: W }, unitScale(C), { ...NO_AUGMENT, translate: 0.2, brightness: 0.5, contrast: 0.5 }, 3), 0, 20).x;
  assert.ok(jit.every((v) => v >= 0 && v <= 1));
  assert.notDeepEqual(jit, batch(new BatchFiller(s, { channels: C, height: H, width: W }, unitScale(C), NO_AUGMENT, 3), 0, 20).x);
});
