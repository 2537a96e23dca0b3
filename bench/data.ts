// npm run bench:data: decode throughput on Fashion-MNIST exported as PNGs (cold, on the decoder
// threads and on one thread, then from the cache), batches/s from the cache, and LeNet-5
// training steps/s on the same machine, so it is plain whether the loader could limit training.
// With --rgb N: an RGB folder (default .cache/jpeg-2000, made by bench/make-jpegs.py) decoded and
// resized to NxN RGB, against a bench net's training rate (--net, default resnet-64).
// Timings only here, never in tests.
// Usage: npm run bench:data [-- DIR] (default .cache/fashion-mnist/train)
//        npm run bench:data -- --rgb 64 [DIR] [--net resnet-64] [--steps 6]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BatchFiller, NO_AUGMENT, unitScale } from '../engine/data/batches.ts';
import { loadDataset } from '../engine/data/cache.ts';
import { FASHION_MNIST_CLASSES, importIdx } from '../engine/data/idx.ts';
import { scanImageFolder } from '../engine/data/scan.ts';
import { parseDocument } from '../engine/graph/document.ts';
import { openStepRunner } from '../engine/train/step.ts';
import { benchNet } from './nets.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const rgb = flag('--rgb');
const netName = flag('--net') ?? 'resnet-64';
const benchSteps = Number(flag('--steps') ?? 6);
const dir = args[0] ?? (rgb ? '.cache/jpeg-2000' : '.cache/fashion-mnist/train');
if (rgb && !fs.existsSync(dir)) throw new Error(`${dir} does not exist: make it with /usr/bin/python3 bench/make-jpegs.py ${dir}`);
if (!fs.existsSync(dir)) {
  const F = '/usr/share/datasets/fashion-mnist';
  console.log(`exporting Fashion-MNIST to ${dir} …`);
  await importIdx(`${F}/train-images-idx3-ubyte.gz`, `${F}/train-labels-idx1-ubyte.gz`, dir, { classes: FASHION_MNIST_CLASSES });
}
const side = rgb ? Number(rgb) : 28;
const spec = { height: side, width: side, channels: (rgb ? 3 : 1) as 1 | 3 };
const per = spec.channels * spec.height * spec.width;
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

const cold: number[] = [];
for (const workers of [os.availableParallelism(), 0]) {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-bench-'));
  const [d, s] = await time(() => loadDataset(scan, spec, { cacheDir, workers }));
  d.close();
  cold.push(n / s);
  row(`cold decode, ${workers ? `${workers} decoder threads` : 'calling thread only'}`, `${Math.round(n / s)} images/s (${s.toFixed(1)} s, ${d.stats.decoded} decoded)`);
  if (workers) {
    const [again, s2] = await time(() => loadDataset(scan, spec, { cacheDir, workers }));
    row('second run, from the cache', `${Math.round(n / s2)} images/s (${s2.toFixed(2)} s, ${again.stats.decoded} decoded, ${again.stats.fromCache} cached)`);
    const [stream] = await time(() => loadDataset(scan, spec, { cacheDir, memoryBudget: 0 }));
    const bs = 64;
    const x = new Float32Array(bs * per);
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
      row(`${name} (batch ${bs})`, `${Math.round(batches / s3)} batches/s (${Math.round((batches * bs) / s3)} images/s)`);
    }
    again.close();
    stream.close();
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
}

if (rgb) {
  // The bench net as training runs it: step.group steps per session run (engine-bench.ts does the same).
  const doc = benchNet(netName);
  doc.training = { ...doc.training, optimizer: 'sgd', lr: 0.01, momentum: 0.9, batchSize: 64 };
  const step = await openStepRunner(doc);
  const G = step.group;
  const x = new Float32Array(G * 64 * per).map((_, i) => (i % 255) / 255);
  const y = BigInt64Array.from({ length: G * 64 }, (_, i) => BigInt(i % 10));
  const lrs = new Array<number>(G).fill(0.01);
  await step.runGroup(x, y, G, 64, lrs);
  const [, s] = await time(async () => {
    for (let i = 0; i < benchSteps; i += G) await step.runGroup(x, y, G, 64, lrs);
  });
  await step.release();
  const trainRate = (Math.ceil(benchSteps / G) * G * 64) / s;
  row(`training, ${netName} (batch 64, CPU, ${os.availableParallelism()} threads)`, `${trainRate.toFixed(1)} samples/s`);
  const [threads, one] = cold;
  const verdict = (rate: number) => `${(rate / trainRate).toFixed(1)}x the training rate: ${rate >= trainRate ? 'keeps up' : 'does NOT keep up'}`;
  row('cold decode on the decoder threads vs training', verdict(threads));
  row('cold decode on one thread vs training', verdict(one));
  process.exit(0);
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
