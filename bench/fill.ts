// The batch fill alone: BatchFiller.fill of 1,024 shuffled 28x28 images (the MLP's step group)
// through the byte table (engine/data/byte-table.ts), against the JS multiply-add per pixel it
// replaced (written out here, same reads and the same floats). One thread, alternating the two
// round by round; prints ms per group (median of 9 x 20 fills).
// `node --import tsx bench/fill.ts [rounds]`
import { BatchFiller, NO_AUGMENT } from '../engine/data/batches.ts';
import { CachedSplit } from '../engine/data/cache.ts';

const rounds = Number(process.argv[2] ?? 3);
const size = 784;
const count = 60000;
const N = 1024;
const norm = { mean: [0.286], std: [0.353] };
const pixels = Uint8Array.from({ length: count * size }, (_, i) => (i * 2654435761) >>> 24);
const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
const split = CachedSplit.fromPixels(pixels, labels, size);
const filler = new BatchFiller(split, { channels: 1, height: 28, width: 28 }, norm, NO_AUGMENT, 1);
for (let i = count - 1; i > 0; i--) {
  const j = (i * 7919) % (i + 1);
  [filler.order[i], filler.order[j]] = [filler.order[j], filler.order[i]];
}
const x = new Float32Array(N * size);
const y = new BigInt64Array(N);
// The JS loop the table replaced: read each image, then out[k] = raw[k] * s + b.
const raw = new Uint8Array(size);
const s = Math.fround(1 / norm.std[0]) / 255;
const b = Math.fround(-norm.mean[0] / norm.std[0]);
const jsFill = (start: number): void => {
  for (let i = 0; i < N; i++) {
    const j = filler.order[start + i];
    split.read(j, raw, 0);
    for (let k = 0, o = i * size; k < size; k++) x[o + k] = raw[k] * s + b;
    y[i] = BigInt(labels[j]);
  }
};
const time = (fill: (start: number) => void): number => {
  const t: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    for (let g = 0; g < 20; g++) fill(g * N);
    t.push((performance.now() - t0) / 20);
  }
  return t.sort((p, q) => p - q)[4];
};
jsFill(0);
const expected = x.slice(0, N * size);
filler.fill(0, N, x, y);
if (!x.every((v, i) => Object.is(v, expected[i]))) throw new Error('the byte table and the JS loop disagree');
for (let r = 0; r < rounds; r++) console.log(`round ${r}: byte table ${time((st) => filler.fill(st, N, x, y)).toFixed(3)} ms, JS ${time(jsFill).toFixed(3)} ms per group of ${N} images`);
