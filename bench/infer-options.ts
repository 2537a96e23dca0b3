// Inference session options A/B: one bench net's inference model (weights baked in, as
// bench/engine-bench.ts and `netwright eval` run it) under several session option sets, in one
// process, the variants taking turns window by window (wall time, samples/s, median of rounds).
//   node --import tsx bench/infer-options.ts <net> [--rounds 5] [--threads 2] [--variants base,spin,...]
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { buildInferenceModel, initialValues, lowerForward } from '../engine/graph/compile.ts';
import { Rng } from '../engine/graph/rng.ts';
import { encodeModel } from '../engine/onnx/model.ts';
import { inferenceOptions, sessionOptions } from '../engine/train/ort.ts';
import { benchNet, inferBatch } from './nets.ts';

const args = process.argv.slice(2);
const net = args[0] ?? 'resnet-64';
const flag = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const rounds = Number(flag('rounds', '5'));
const threads = Number(flag('threads', String(os.availableParallelism())));
type Opts = ort.InferenceSession.SessionOptions & { extra?: Record<string, unknown> };
const base = () => sessionOptions('cpu', threads) as Opts;
const withSession = (o: Opts, s: Record<string, unknown>): Opts => ({ ...o, extra: { ...o.extra, session: { ...(o.extra?.session as object), ...s } } });
const VARIANTS: Record<string, () => Opts> = {
  // sessionOptions as before: no spinning.
  base,
  // What inference sessions use (engine/train/ort.ts inferenceOptions).
  engine: () => inferenceOptions('cpu', threads) as Opts,
  spin: () => withSession(base(), { intra_op: { allow_spinning: '1' } }),
  'spin-stop': () => withSession(base(), { intra_op: { allow_spinning: '1' }, force_spinning_stop: '1' }),
  'no-mem-pattern': () => ({ ...base(), enableMemPattern: false }),
  parallel: () => ({ ...base(), executionMode: 'parallel', interOpNumThreads: threads }),
  'fixed-batch': () => ({ ...base(), freeDimensionOverrides: { N: batchOf() } }),
  'one-thread': () => sessionOptions('cpu', 1) as Opts,
};
const names = flag('variants', 'base,spin-stop,fixed-batch').split(',');

const doc = benchNet(net);
const forward = lowerForward(doc, 'infer', 'inputs');
const model = encodeModel(buildInferenceModel(doc, initialValues(forward, 1), { classNames: [] }));
const input = doc.nodes.find((n) => n.type === 'Input')!.params;
const dims = [input.color === 'rgb' ? 3 : 1, Number(input.height ?? 28), Number(input.width ?? 28)];
const per = dims[0] * dims[1] * dims[2];
const batchOf = () => inferBatch(net, per);
const B = batchOf();
const rng = new Rng(1);
const x = new ort.Tensor('float32', Float32Array.from({ length: B * per }, () => rng.next()), [B, ...dims]);
const probs = new ort.Tensor('float32', new Float32Array(B * 10), [B, 10]);

const sessions: Record<string, ort.InferenceSession> = {};
for (const n of names) {
  const t0 = performance.now();
  sessions[n] = await ort.InferenceSession.create(model, VARIANTS[n]());
  const created = performance.now() - t0;
  for (let i = 0; i < 3; i++) await sessions[n].run({ input: x }, { probs });
  console.log(`${n}: session ${created.toFixed(0)} ms`);
}
// Calls per window: about 1 s of the first variant.
const t0 = performance.now();
await sessions[names[0]].run({ input: x }, { probs });
const calls = Math.max(3, Math.round(1000 / (performance.now() - t0)));
const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (const n of r % 2 ? [...names].reverse() : names) {
    const s = performance.now();
    for (let i = 0; i < calls; i++) await sessions[n].run({ input: x }, { probs });
    rates[n].push((calls * B) / ((performance.now() - s) / 1000));
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const ref = median(rates[names[0]]);
for (const n of names) console.log(`${n.padEnd(16)} ${median(rates[n]).toFixed(1).padStart(9)} samples/s (${rates[n].map((v) => v.toFixed(0)).join(' ')}) ${(median(rates[n]) / ref).toFixed(2)}x of ${names[0]}`);
for (const s of Object.values(sessions)) await s.release();
