// Head-only fine-tuning with cached backbone features (engine/train/features.ts) against PyTorch
// recomputing the frozen backbone every epoch (bench/torch/torch_head_epoch.py): torchvision's
// resnet18 at 224x224 (bench/nets.ts resnet18_224), everything below its last Dense frozen and
// a fresh 10-unit head, on a folder of 1,000 224x224 RGB JPEGs (made once in
// .cache/bench/head-images), batch 32, SGD momentum 0.9, no validation split, every core on both
// sides. Netwright runs the engine's whole run path (startTraining: the worker a `netwright
// train` run uses, decoding, caching, checkpoints and model files included); an epoch's wall
// time is from the previous epoch's event (the first: from the start of the run) to its own.
// Runs alternate Netwright, PyTorch, PyTorch, Netwright, ... ; prints one JSON line per run and
// the medians.
//   node --import tsx bench/head-epoch.ts [--pairs 2] [--epochs 3] [--torch-epochs 3] [--images 1000]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freezeUpTo, headDense, replaceHead } from '../engine/graph/finetune.ts';
import type { NetworkDocument } from '../engine/graph/document.ts';
import type { TrainEvent } from '../engine/train/messages.ts';
import { startTraining } from '../engine/train/run-client.ts';
import { resnet18_224 } from './nets.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string, d: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const pairs = flag('pairs', 2);
const epochs = flag('epochs', 3);
const images = flag('images', 1000);
// PyTorch's epochs are all alike (each recomputes the backbone): fewer of them saves minutes.
const torchEpochs = flag('torch-epochs', epochs);
const PY = '/usr/bin/python3';
const TORCH = path.join(root, 'bench', 'torch', 'torch_head_epoch.py');
const dir = path.join(root, '.cache', 'bench', images === 1000 ? 'head-images' : `head-images-${images}`);
const avx512 = fs.existsSync('/proc/cpuinfo') && /avx512f/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
const torchEnv = { ...process.env, ...(avx512 ? { OPENBLAS_CORETYPE: 'SkylakeX' } : {}) };

interface Result { engine: string; epochs: number[]; [k: string]: unknown }

/** resnet18 with everything below the head frozen and a fresh head (as `train --freeze X --replace-head`). */
export function headDoc(classes: number): NetworkDocument {
  const doc = resnet18_224();
  const head = headDense(doc)!;
  const below = doc.edges.find((e) => e.target === head)!.source;
  const tuned = replaceHead(freezeUpTo(doc, below), classes).doc;
  tuned.training = { ...tuned.training, epochs, batchSize: 32, valSplit: 0, optimizer: 'sgd', lr: 0.01, momentum: 0.9, seed: 1 };
  return tuned;
}

async function netwright(): Promise<Result> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-head-'));
  const marks: number[] = [];
  const engineSeconds: number[] = [];
  let cached = false;
  const t0 = performance.now();
  let started = 0;
  try {
    const h = startTraining({ doc: headDoc(10), dataDir: dir, outDir }, (e: TrainEvent) => {
      if (e.type === 'started') started = performance.now();
      if (e.type === 'log' && /computed once per image/.test(e.message)) cached = true;
      if (e.type === 'epoch') {
        marks.push(performance.now());
        engineSeconds.push(e.seconds);
      }
    });
    const end = await h.finished;
    if (end.type !== 'done') throw new Error(`netwright run failed: ${JSON.stringify(end)}`);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  const wall = marks.map((m, i) => (m - (i ? marks[i - 1] : t0)) / 1000);
  return { engine: 'netwright', epochs: wall, engineSeconds, prepare: (started - t0) / 1000, cached };
}

function pytorch(): Result {
  const r = spawnSync(PY, [TORCH, dir, '--epochs', String(torchEpochs), '--threads', String(os.availableParallelism())], { encoding: 'utf8', env: torchEnv });
  if (r.status !== 0) throw new Error(`torch_head_epoch failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (process.argv[1]?.endsWith('head-epoch.ts')) {
  const made = spawnSync(PY, [TORCH, '--make-images', dir, '--count', String(images)], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`making the images failed: ${made.stderr}`);
  console.log(`head-only resnet18-224, ${images} images in ${path.relative(root, dir)}, ${epochs} epochs (PyTorch ${torchEpochs}), batch 32, ${os.availableParallelism()} threads; ${pairs} pairs, alternating`);
  const nw: Result[] = [];
  const pt: Result[] = [];
  for (let p = 0; p < pairs; p++) {
    for (const side of p % 2 ? ['pt', 'nw'] : ['nw', 'pt']) {
      const r = side === 'nw' ? await netwright() : pytorch();
      (side === 'nw' ? nw : pt).push(r);
      console.log(JSON.stringify(r));
    }
  }
  // Epoch 1 on its own; the later epochs pooled (each run's median of epochs 2..n).
  const first = (rs: Result[]) => median(rs.map((r) => r.epochs[0]));
  const later = (rs: Result[]) => median(rs.map((r) => median(r.epochs.slice(1))));
  const ratios1 = nw.map((r, i) => pt[i].epochs[0] / r.epochs[0]);
  const ratiosN = nw.map((r, i) => median(pt[i].epochs.slice(1)) / median(r.epochs.slice(1)));
  const fmt = (v: number[]) => `${median(v).toFixed(1)}x (${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)})`;
  console.log(`epoch 1:     Netwright ${first(nw).toFixed(2)} s, PyTorch ${first(pt).toFixed(2)} s: ${fmt(ratios1)}`);
  console.log(`later epochs: Netwright ${later(nw).toFixed(3)} s, PyTorch ${later(pt).toFixed(2)} s: ${fmt(ratiosN)}`);
}
