// Netwright's side of the speed benchmark: training steps (batch 64, SGD momentum 0.9) and
// inference (batch 256; 64 for RGB nets) for one bench net (bench/nets.ts), measured like bench/torch/benchutil.py
// (warm-up, then timed windows; median samples/s). Prints one JSON line.
//   node --import tsx bench/engine-bench.ts <net (bench/nets.ts)> [windows] [threads]
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildInferenceModel, initialValues, lowerForward } from '../engine/graph/compile.ts';
import type { NetworkDocument } from '../engine/graph/document.ts';
import { freezeUpTo, headDense } from '../engine/graph/finetune.ts';
import { Rng } from '../engine/graph/rng.ts';
import { encodeModel } from '../engine/onnx/model.ts';
import { openRunner } from '../engine/train/ort.ts';
import { openStepRunner } from '../engine/train/step.ts';
import { benchNet, benchPlan, inferBatch } from './nets.ts';

/**
 * bench/paired.ts runs this side and PyTorch's in turn, window by window: with NW_LOCKSTEP set,
 * each warm-up, window and the work after the last window waits for a line on stdin ("wait" on
 * stdout says so), and every window's rate is printed ("rate R"); as bench/torch/benchutil.py.
 */
const LOCKSTEP = !!process.env.NW_LOCKSTEP;
function gate() {
  if (!LOCKSTEP) return;
  process.stdout.write('wait\n');
  const b = Buffer.alloc(1);
  for (;;) {
    let n = 0;
    try {
      n = fs.readSync(0, b, 0, 1, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0 || b[0] === 10) return;
  }
}

export async function timedWindows(step: () => Promise<void>, samplesPerCall: number, windows = 7, windowS = 1, warmupS = 1) {
  gate();
  let t0 = performance.now();
  let n = 0;
  let el = 0;
  for (;;) {
    await step();
    n++;
    el = (performance.now() - t0) / 1000;
    if (el >= warmupS && n >= 3) break;
  }
  const calls = Math.max(3, Math.round(windowS / (el / n)));
  const rates: number[] = [];
  for (let w = 0; w < windows; w++) {
    gate();
    t0 = performance.now();
    for (let i = 0; i < calls; i++) await step();
    rates.push((calls * samplesPerCall) / ((performance.now() - t0) / 1000));
    if (LOCKSTEP) process.stdout.write(`rate ${rates.at(-1)}\n`);
  }
  gate();
  const sorted = [...rates].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], rates };
}

/** The bench's document for `name` with its training settings (SGD, lr 0.01, momentum 0.9, the plan's batch). */
export function benchDoc(name: string): NetworkDocument {
  const doc = benchNet(name);
  doc.training = { ...doc.training, optimizer: 'sgd', lr: 0.01, momentum: 0.9, batchSize: benchPlan(name).batch };
  return doc;
}

/**
 * Random inputs for `doc`: the speed of these kernels does not depend on pixel values. A pool
 * of batches (fewer for big images) cycled through, as the PyTorch side does.
 */
export function inputPool(doc: NetworkDocument) {
  const batch = doc.training.batchSize;
  const input = doc.nodes.find((n) => n.type === 'Input')!.params;
  const dims = [input.color === 'rgb' ? 3 : 1, Number(input.height ?? 28), Number(input.width ?? 28)];
  const per = dims[0] * dims[1] * dims[2];
  const batches = Math.max(2, Math.min(32, Math.floor((64 << 20) / (batch * per * 4))));
  const rng = new Rng(1);
  const xs = Float32Array.from({ length: batch * batches * per }, () => rng.next());
  const ys = BigInt64Array.from({ length: batch * batches }, () => BigInt(rng.int(10)));
  return { xs, ys, dims, per, batches };
}

/**
 * One call of the training (or, frozen below the head, head-only) step as training runs it:
 * step.group steps per call (one looped session run, or one run each), over the input pool.
 */
export async function openTrainPhase(doc: NetworkDocument, phase: 'train' | 'head', threads?: number, pool = inputPool(doc)) {
  const d = phase === 'head' ? freezeUpTo(doc, upstreamOfHead(doc)) : doc;
  const step = await openStepRunner(d, { threads });
  const G = step.group;
  const batch = doc.training.batchSize;
  const { xs, ys, per, batches } = pool;
  const lrs = new Array<number>(G).fill(0.01);
  let b = 0;
  return {
    samplesPerCall: batch * G,
    call: async () => {
      let o = (b++ * G) % batches;
      if (o + G > batches) o = 0;
      o *= batch;
      await step.runGroup(xs.subarray(o * per, (o + batch * G) * per), ys.subarray(o, o + batch * G), G, batch, lrs);
    },
    release: () => step.release(),
  };
}

async function main() {
  const name = process.argv[2];
  const windows = Number(process.argv[3] ?? 7);
  // Default: every core, as training uses them.
  const threads = process.argv[4] ? Number(process.argv[4]) : undefined;
  const doc = benchDoc(name);
  const { phases } = benchPlan(name);
  const pool = inputPool(doc);
  const { xs, dims, per } = pool;
  const out: Record<string, unknown> = { engine: 'netwright', net: name };
  // 'train': every layer trains; 'head': everything below the last Dense frozen (no backward
  // there, no optimizer state), as fine-tuning a backbone does.
  for (const phase of phases.filter((p) => p !== 'infer') as ('train' | 'head')[]) {
    const t = await openTrainPhase(doc, phase, threads, pool);
    out[phase] = await timedWindows(t.call, t.samplesPerCall, windows);
    await t.release();
  }
  const forward = lowerForward(doc, 'infer', 'inputs');
  const { totals } = forward.analysis;
  const model = encodeModel(buildInferenceModel(doc, initialValues(forward, 1), { classNames: [] }));
  // As evaluation runs it (Scorer, through openRunner), outputs into a preallocated buffer.
  const { runner } = await openRunner(model, 'cpu', threads);
  const ib = inferBatch(name, per);
  const xi = new ort.Tensor('float32', xs.subarray(0, ib * per), [ib, ...dims]);
  const probs = new ort.Tensor('float32', new Float32Array(ib * 10), [ib, 10]);
  out.infer = await timedWindows(async () => {
    await runner.run({ input: xi }, { probs });
  }, ib, windows);
  await runner.release();
  console.log(JSON.stringify({ ...out, params: totals.params, flopsPerSample: totals.flops }));
}

/** The layer the head Dense reads: freezing up to it leaves only the head to train. */
export function upstreamOfHead(doc: NetworkDocument): string {
  const head = headDense(doc);
  const edge = doc.edges.find((e) => e.target === head);
  if (!head || !edge) throw new Error(`${doc.name}: no head Dense to fine-tune`);
  return edge.source;
}

if (process.argv[1]?.endsWith('engine-bench.ts')) await main();
