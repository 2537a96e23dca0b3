// npm run bench:data: decode throughput on Fashion-MNIST exported as PNGs (cold, on the decoder
// threads and on one thread, then from the cache), batches/s from the cache, and LeNet-5
// training steps/s on the same machine, so it is plain whether the loader could limit training.
// Timings only here, never in tests. Usage: npm run bench:data [-- DIR] (default .cache/fashion-mnist/train)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchFiller, NO_AUGMENT, unitScale } from '../engine/data/batches.ts';
import { loadDataset } from '../engine/data/cache.ts';
import { FASHION_MNIST_CLASSES, importIdx } from '../engine/data/idx.ts';
import { scanImageFolder } from '../engine/data/scan.ts';
import { parseDocument } from '../engine/graph/document.ts';
import { openStepRunner } from '../engine/train/step.ts';

const dir = process.argv[2] ?? '.cache/fashion-mnist/train';
if (!fs.existsSync(dir)) {
  const F = '/usr/share/datasets/fashion-mnist';
  console.log(`exporting Fashion-MNIST to ${dir} …`);
  await importIdx(`${F}/train-images-idx3-ubyte.gz`, `${F}/train-labels-idx1-ubyte.gz`, dir, { classes: FASHION_MNIST_CLASSES });
}
const spec = { height: 28, width: 28, channels: 1 as const };
const rows: [string, string][] = [];
const row = (what: string, value: string): void => {
  rows.push([what, value]);
  console.log(`${what.padEnd(52)} ${value}`);
};
const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
};

console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`);
const [scan, scanS] = await time(() => scanImageFolder(dir, { valSplit: 0, seed: 1 }));
const n = scan.train.length;
row(`scan ${n} files`, `${scanS.toFixed(2)} s`);

for (const workers of [os.availableParallelism(), 0]) {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-bench-'));
  const [d, s] = await time(() => loadDataset(scan, spec, { cacheDir, workers }));
  d.close();
  row(`cold decode, ${workers ? `${workers} decoder threads` : 'calling thread only'}`, `${Math.round(n / s)} images/s (${s.toFixed(1)} s, ${d.stats.decoded} decoded)`);
  if (workers) {
    const [again, s2] = await time(() => loadDataset(scan, spec, { cacheDir, workers }));
    row('second run, from the cache', `${Math.round(n / s2)} images/s (${s2.toFixed(2)} s, ${again.stats.decoded} decoded, ${again.stats.fromCache} cached)`);
    const [stream] = await time(() => loadDataset(scan, spec, { cacheDir, memoryBudget: 0 }));
    const bs = 64;
    const x = new Float32Array(bs * 784);
    const y = new BigInt64Array(bs);
    for (const [name, split, augment] of [
      ['batches/s from the cache, in memory', again.train, NO_AUGMENT],
      ['batches/s, in memory, all augmentations', again.train, { hflip: true, cropPadding: 2, translate: 0.1, brightness: 0.2, contrast: 0.2 }],
      ['batches/s, streamed from disk (pread per image)', stream.train, NO_AUGMENT],
    ] as const) {
      const f = new BatchFiller(split, spec, unitScale(1), augment, 1);
      const batches = Math.floor(split.count / bs);
      const [, s3] = await time(() => {
        for (let b = 0; b < batches; b++) f.fill(b * bs, bs, x, y);
      });
      row(`${name} (batch ${bs})`, `${Math.round(batches / s3)} batches/s`);
    }
    again.close();
    stream.close();
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
}

for (const example of ['lenet5', 'mlp']) {
  const r = parseDocument(fs.readFileSync(`examples/${example}.json`, 'utf8'));
  if (!r.ok) throw new Error(`examples/${example}.json does not load`);
  const doc = { ...r.doc, training: { ...r.doc.training, batchSize: 64 } };
  const step = await openStepRunner(doc);
  const x = new Float32Array(64 * 784).map((_, i) => (i % 255) / 255);
  const y = BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i % 10));
  for (let i = 0; i < 3; i++) await step.run(x, y, 64, 0.01);
  const steps = 40;
  const [, s] = await time(async () => {
    for (let i = 0; i < steps; i++) await step.run(x, y, 64, 0.01);
  });
  await step.release();
  row(`training steps/s, ${example} (batch 64, CPU)`, `${(steps / s).toFixed(1)} steps/s`);
}
