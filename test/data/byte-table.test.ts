// The batch filler's normalization kernel: the WebAssembly that runs is byte-table.wat, and its
// floats are bit for bit the JS multiply-add's, for every byte value, channel count and length.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import wabtInit from 'wabt';
import { BatchFiller, NO_AUGMENT } from '../../engine/data/batches.ts';
import { BYTE_TABLE_WASM, ByteTable } from '../../engine/data/byte-table.ts';
import { CachedSplit } from '../../engine/data/cache.ts';
import { Rng } from '../../engine/graph/rng.ts';

const jsNormalize = (bytes: Uint8Array, plane: number, scale: number[], bias: number[]): Float32Array => {
  const out = new Float32Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) {
    const c = Math.floor(k / plane) % scale.length;
    out[k] = bytes[k] * scale[c] + bias[c];
  }
  return out;
};

const sameBits = (a: Float32Array, b: Float32Array, what: string) => {
  assert.equal(a.length, b.length, what);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) assert.fail(`${what}: value ${i} is ${a[i]}, the JS expression gives ${b[i]}`);
};

test('the embedded WebAssembly is byte-table.wat assembled', async () => {
  const wabt = await wabtInit();
  const m = wabt.parseWat('byte-table.wat', fs.readFileSync('engine/data/byte-table.wat', 'utf8'));
  m.validate();
  assert.deepEqual(Buffer.from(m.toBinary({}).buffer), Buffer.from(BYTE_TABLE_WASM));
});

test('every byte value, 1 and 3 channels, lengths not a multiple of 4, a memory that grows: the JS floats exactly', () => {
  const rng = new Rng(5);
  for (const [channels, plane, images] of [[1, 784, 3], [1, 7, 5], [3, 25, 4], [3, 4096, 70], [1, 784, 1024]]) {
    const scale = Array.from({ length: channels }, () => (1 / (0.1 + rng.next())) / 255);
    const bias = Array.from({ length: channels }, () => -rng.next() * 3);
    const t = new ByteTable(ByteTable.tables(scale, bias));
    for (const count of [images, images * 2]) {
      const n = count * channels * plane;
      const input = t.input(n);
      for (let i = 0; i < n; i++) input[i] = i < 256 ? i : Math.floor(rng.next() * 256);
      const expected = jsNormalize(input.slice(), plane, scale, bias);
      const out = new Float32Array(n + 3).fill(-7);
      t.run(n, plane, channels, out.subarray(1, n + 1));
      sameBits(out.subarray(1, n + 1), expected, `${channels} x ${plane}, ${count} images`);
      assert.equal(out[0], -7, 'nothing written before the output');
      assert.equal(out[n + 1], -7, 'nothing written after it');
    }
  }
});

test('BatchFiller without augmentation fills the normalized pixels of its order, as (pixel/255 - mean) / std in float32', () => {
  const size = 3 * 8 * 8;
  const count = 40;
  const pixels = Uint8Array.from({ length: count * size }, (_, i) => (i * 2654435761) >>> 24);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 5);
  const norm = { mean: [0.2, 0.5, 0.7], std: [0.3, 0.25, 0.9] };
  const f = new BatchFiller(CachedSplit.fromPixels(pixels, labels, size), { channels: 3, height: 8, width: 8 }, norm, NO_AUGMENT, 3);
  f.order.reverse();
  const x = new Float32Array(16 * size);
  const y = new BigInt64Array(16);
  f.fill(10, 16, x, y);
  const scale = norm.std.map((s) => Math.fround(1 / s) / 255);
  const bias = norm.mean.map((m, c) => Math.fround(-m / norm.std[c]));
  for (let i = 0; i < 16; i++) {
    const j = count - 1 - (10 + i);
    assert.equal(y[i], BigInt(labels[j]));
    sameBits(x.subarray(i * size, (i + 1) * size), jsNormalize(pixels.subarray(j * size, (j + 1) * size), 64, scale, bias), `image ${i}`);
  }
});
