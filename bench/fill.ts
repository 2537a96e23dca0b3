// The batch fill alone: BatchFiller.fill of 1,024 shuffled 28x28 images (the MLP's step group)
// through the byte table (engine/data/byte-table.ts) against the JS multiply-add it replaced.
// One thread, alternating the two round by round; prints ms per group (median of 9 x 20 fills).
// `node --import tsx bench/fill.ts [rounds]`
import { BatchFiller, NO_AUGMENT } from '../engine/data/batches.ts';
import { CachedSplit } from '../engine/data/cache.ts';

const rounds = Number(process.argv[2] ?? 3);
const size = 784;
const count = 60000;
const N = 1024;
const pixels = Uint8Array.from({ length: count * size }, (_, i) => (i * 2654435761) >>> 24);
const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
const filler = () => new BatchFiller(CachedSplit.fromPixels(pixels, labels, size), { channels: 1, height: 28, width: 28 }, { mean: [0.286], std: [0.353] }, NO_AUGMENT, 1);
const table = filler();
const js = filler();
(js as unknown as { table: null }).table = null; // the JS path, as without WebAssembly
for (const f of [table, js]) {
  for (let i = count - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [f.order[i], f.order[j]] = [f.order[j], f.order[i]];
  }
}
const x = new Float32Array(N * size);
const y = new BigInt64Array(N);
const time = (f: BatchFiller): number => {
  const t: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    for (let g = 0; g < 20; g++) f.fill(g * N, N, x, y);
    t.push((performance.now() - t0) / 20);
  }
  return t.sort((a, b) => a - b)[4];
};
for (let r = 0; r < rounds; r++) console.log(`round ${r}: byte table ${time(table).toFixed(3)} ms, JS ${time(js).toFixed(3)} ms per group of ${N} images`);
