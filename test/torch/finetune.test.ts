// Issue 18's acceptance test: a LeNet-5 pretrained by PyTorch on Fashion-MNIST classes 0-4 is
// exported to ONNX, imported, its head replaced and its convolutions frozen (`netwright train
// --freeze Flatten --replace-head`), and fine-tuned on classes 5-9 with 20 images per class.
// PyTorch fine-tunes the same backbone on the same images with the same settings; Netwright's
// median test accuracy over 3 seeds is within 2 points of PyTorch's. The same net from scratch
// is trained by both too (figures printed with SHOW=1; README "Start from a trained model").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { importIdx, readIdx } from '../../engine/data/idx.ts';
import { freezeUpTo, replaceHead } from '../../engine/graph/finetune.ts';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { importOnnxFile } from '../../engine/session/onnx-import.ts';
import { startTraining } from '../../engine/train/run-client.ts';
import { tempDir } from '../fixtures/temp.ts';

const PYTHON = '/usr/bin/python3';
const FASHION = '/usr/share/datasets/fashion-mnist';
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const script = path.join(here, 'finetune.py');

const skip: false | string = !fs.existsSync(path.join(FASHION, 'train-images-idx3-ubyte.gz'))
  ? `Fashion-MNIST is not in ${FASHION} (Debian's fashion-mnist dataset)`
  : !fs.existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { stdio: 'ignore' }).status !== 0
    ? 'PyTorch/onnx/numpy (Debian python3-torch, python3-onnx, python3-numpy) are not installed'
    : false;

// The settings both frameworks fine-tune (and train from scratch) with.
const S = { lr: 0.05, momentum: 0.9, batch: 10, epochs: 30 };
const SEEDS = [1, 2, 3];
const CLASSES = ['c5', 'c6', 'c7', 'c8', 'c9'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function python(args: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Pretrained model and fine-tune IDX files, made once per version of finetune.py. */
function pretrained(): string {
  const hash = crypto.createHash('sha256').update(fs.readFileSync(script)).digest('hex').slice(0, 16);
  const dir = path.join(root, '.cache', 'finetune', hash);
  if (!fs.existsSync(path.join(dir, 'ft-test-labels-idx1-ubyte'))) python(['pretrain', dir, FASHION]);
  return dir;
}

function netwright(args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'engine/cli.ts'), ...args], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, `netwright ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The same run as `netwright train` with the common flags, in this process (saves a start-up per run). */
async function trainHere(doc: NetworkDocument, dataDir: string, seed: number, outDir: string): Promise<void> {
  const training = { ...doc.training, epochs: S.epochs, batchSize: S.batch, lr: S.lr, optimizer: 'sgd' as const, momentum: S.momentum, valSplit: 0, seed };
  const h = startTraining({ doc: { ...replaceHead(doc, 5).doc, training }, dataDir, outDir, threads: 1 }, () => {});
  const end = await h.finished;
  assert.equal(end.type, 'done', JSON.stringify(end));
}

async function testAccuracy(model: string, dir: string): Promise<number> {
  const x = readIdx(path.join(dir, 'ft-test-images-idx3-ubyte'));
  const y = readIdx(path.join(dir, 'ft-test-labels-idx1-ubyte')).data;
  const n = y.length;
  const s = await ort.InferenceSession.create(model);
  try {
    const names: string[] = JSON.parse((await import('../../engine/onnx/model.ts')).decodeModel(fs.readFileSync(model)).metadata['netwright.class_names']);
    const out = await s.run({ input: new ort.Tensor('float32', Float32Array.from(x.data, (v) => v / 255), [n, 1, 28, 28]) });
    const p = out.probs.data as Float32Array;
    const k = names.length;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
      if (names[best] === CLASSES[y[i]]) correct++;
    }
    return correct / n;
  } finally {
    await s.release();
  }
}

test('fine-tuning an imported PyTorch LeNet-5 on 20 images per class matches PyTorch (median of 3 seeds within 2 points)', { skip }, async () => {
  const dir = pretrained();
  const work = tempDir('nw-finetune-');
  const docPath = path.join(work, 'lenet5.json');
  importOnnxFile(path.join(dir, 'lenet5-pretrained.onnx'), docPath);
  // PyTorch has no divergence stop: neither run has one (from scratch, lr 0.05 has loss spikes it recovers from).
  const imported = JSON.parse(fs.readFileSync(docPath, 'utf8'));
  imported.training.divergence = { lossSpike: 0 };
  fs.writeFileSync(docPath, JSON.stringify(imported));
  const data = path.join(work, 'data');
  await importIdx(path.join(dir, 'ft-train-images-idx3-ubyte'), path.join(dir, 'ft-train-labels-idx1-ubyte'), data, { classes: CLASSES });
  // From scratch: the same document without its weights file.
  const { weights: _, ...scratch } = JSON.parse(fs.readFileSync(docPath, 'utf8')) as NetworkDocument;

  const common = ['--data', data, '--replace-head', '--epochs', String(S.epochs), '--batch', String(S.batch), '--lr', String(S.lr), '--optimizer', 'sgd', '--momentum', String(S.momentum), '--val-split', '0', '--threads', '1'];
  const nw = { finetune: [] as number[], scratch: [] as number[] };
  // The first seed through the command line (--freeze, --replace-head); the others, and the
  // runs from scratch, as the same runs in this process.
  const withWeights = { ...imported, weights: path.join(work, imported.weights) } as NetworkDocument;
  for (const seed of SEEDS) {
    const ft = path.join(work, `ft${seed}`);
    if (seed === SEEDS[0]) {
      const log = netwright(['train', docPath, '--freeze', 'Flatten', '--seed', String(seed), '--out', ft, ...common]);
      assert.match(log, /replaced the head: head has 5 fresh units/);
    } else await trainHere(freezeUpTo(withWeights, 'Flatten'), data, seed, ft);
    nw.finetune.push(await testAccuracy(path.join(ft, 'model.onnx'), dir));
    const sc = path.join(work, `scratch${seed}`);
    await trainHere(scratch, data, seed, sc);
    nw.scratch.push(await testAccuracy(path.join(sc, 'model.onnx'), dir));
  }
  const torch = python(['tune', dir, String(S.lr), String(S.momentum), String(S.batch), String(S.epochs), ...SEEDS.map(String)]) as { finetune: number[]; scratch: number[] };
  const figures = {
    netwright: { finetune: nw.finetune, median: median(nw.finetune), scratch: nw.scratch, scratchMedian: median(nw.scratch) },
    pytorch: { finetune: torch.finetune, median: median(torch.finetune), scratch: torch.scratch, scratchMedian: median(torch.scratch) },
  };
  if (process.env.SHOW) console.log(JSON.stringify(figures));
  const gap = Math.abs(figures.netwright.median - figures.pytorch.median);
  assert.ok(gap <= 0.02, `median test accuracy: Netwright ${figures.netwright.median}, PyTorch ${figures.pytorch.median} (${JSON.stringify(figures)})`);
  // The pretrained backbone is worth having: fine-tuning beats chance by far.
  assert.ok(figures.netwright.median > 0.6, JSON.stringify(figures));
});
