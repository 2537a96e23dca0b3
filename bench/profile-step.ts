// Where a training step's time goes: ONNX Runtime's own profile of the step graph, one thread,
// summed per node and averaged over runs.
//   node --import tsx bench/profile-step.ts <net (bench/nets.ts)> [--batch 32] [--runs 50] [--top 12] [--whole [--group K]] [--head] [--infer] [--threads 1] [--spin] [--by-op]
// By default it profiles the graph each shard of a two-shard step runs (forward and backward,
// gradients out: engine/train/parallel.ts); --whole profiles the single-session step with the
// optimizer (SGD momentum 0.9); with --group K, as K steps looped in one run (autodiff/step-loop.ts),
// every figure per step. --head: the step with everything below the last Dense frozen (as the
// bench's head phase, bench/engine-bench.ts); --infer: the inference model (weights baked in) with
// the engine's inference session options (engine/train/ort.ts inferenceOptions).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loopedStep } from '../engine/autodiff/step-loop.ts';
import { buildTrainingGraph } from '../engine/autodiff/training-graph.ts';
import { buildInferenceModel, initialValues, lowerForward } from '../engine/graph/compile.ts';
import { freezeUpTo } from '../engine/graph/finetune.ts';
import { Rng } from '../engine/graph/rng.ts';
import { encodeModel } from '../engine/onnx/model.ts';
import { inferenceOptions, nchwcBlockSize, sessionOptions } from '../engine/train/ort.ts';
import { upstreamOfHead } from './engine-bench.ts';
import { BENCH_NETS, benchNet } from './nets.ts';

const args = process.argv.slice(2);
const flag = (name: string, d: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : d);
const net = args[0];
if (!BENCH_NETS.includes(net)) throw new Error(`usage: profile-step.ts <${BENCH_NETS.join('|')}> [--batch 32] [--runs 50] [--top 12] [--whole]`);
const n = Number(flag('batch', '32'));
const runs = Number(flag('runs', ['mlp', 'lenet5'].includes(net) ? '60' : '12'));
const infer = args.includes('--infer');
const whole = args.includes('--whole') || args.includes('--head');
const threads = Number(flag('threads', '1'));
const spin = args.includes('--spin');
const group = whole ? Number(flag('group', '1')) : 1;

const plain = benchNet(net);
const doc = args.includes('--head') ? freezeUpTo(plain, upstreamOfHead(plain)) : plain;
doc.training = { ...doc.training, optimizer: 'sgd', lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 };
// As the step builds it (step.ts, openStepRunner): blocked convolutions where this CPU has them (NETWRIGHT_NCHWC=0: none).
const nchwc = process.env.NETWRIGHT_NCHWC === '0' ? 0 : await nchwcBlockSize();
const graph = whole ? buildTrainingGraph(doc, { nchwc }) : buildTrainingGraph(doc, { gradients: true, optimizer: 'none', shardScale: true, nchwc });
const rng = new Rng(1);
const inputParams = doc.nodes.find((d) => d.type === 'Input')!.params;
const dims = [inputParams.color === 'rgb' ? 3 : 1, Number(inputParams.height ?? 28), Number(inputParams.width ?? 28)];
const per = dims[0] * dims[1] * dims[2];
const stack = (dims: number[]) => (group > 1 ? [group, ...dims] : dims);
const feeds: Record<string, ort.Tensor> = {
  input: new ort.Tensor('float32', Float32Array.from({ length: group * n * per }, () => rng.next()), stack([n, ...dims])),
  labels: new ort.Tensor('int64', BigInt64Array.from({ length: group * n }, () => BigInt(rng.int(10))), stack([n])),
};
if (whole) feeds.lr = new ort.Tensor('float32', new Float32Array(group).fill(0.01), stack([]));
else feeds.grad_scale = new ort.Tensor('float32', Float32Array.of(1), []);
const values = initialValues(graph.forward, 1);
for (const s of graph.slots) values.set(s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
for (const i of graph.model.graph.inputs) if (values.has(i.name)) feeds[i.name] = new ort.Tensor('float32', values.get(i.name)!, i.shape as number[]);

const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-prof-')), 'step');
const model = infer ? buildInferenceModel(doc, initialValues(lowerForward(doc, 'infer', 'inputs'), 1), { classNames: [] }) : group > 1 ? loopedStep(graph) : graph.model;
if (infer) for (const k of Object.keys(feeds)) if (k !== 'input') delete feeds[k];
const options = infer ? inferenceOptions('cpu', threads) : sessionOptions('cpu', threads, spin);
const session = await ort.InferenceSession.create(encodeModel(model), { ...options, enableProfiling: true, profileFilePrefix: prefix });
const warm = Math.max(3, Math.floor(runs / 5));
for (let i = 0; i < warm + runs; i++) await session.run(feeds);
await session.release();
// The profile is written when the session is released, as <prefix>_<date>.json.
const dir = path.dirname(prefix);
const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.json'))!);

interface Ev { name: string; cat: string; ts: number; dur: number; args?: { op_name?: string } }
const events = JSON.parse(fs.readFileSync(file, 'utf8')) as Ev[];
const stepRuns = events.filter((e) => e.name === 'model_run').slice(warm);
const from = stepRuns[0].ts;
// Summed per layer and op ("grad/conv2 FusedMatMul x9"): a rule may emit one node per kernel tap.
const byNode = new Map<string, { op: string; us: number; nodes: Set<string> }>();
for (const e of events) {
  // The Scan node's time holds its body's nodes: counted through them.
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from || e.args?.op_name === 'Scan') continue;
  const node = e.name.slice(0, -'_kernel_time'.length);
  const op = e.args?.op_name ?? '?';
  const key = `${node.split('/node/')[0]} ${op}`;
  const cur = byNode.get(key) ?? { op, us: 0, nodes: new Set<string>() };
  cur.us += e.dur;
  cur.nodes.add(node);
  byNode.set(key, cur);
}
const durs = stepRuns.map((e) => e.dur / group).sort((a, b) => a - b);
const perStep = stepRuns.length * group;
const kernels = [...byNode.values()].reduce((a, b) => a + b.us, 0) / perStep;
const ms = (us: number) => (us / 1000).toFixed(3);
console.log(`${net}, ${infer ? 'inference' : args.includes('--head') ? 'head-only step' : whole ? 'whole step' : 'shard'} graph${group > 1 ? `, ${group} steps a run` : ''}, batch ${n}, ${threads} thread(s), ${stepRuns.length} runs: run median ${ms(durs[durs.length >> 1])} ms a step, kernels ${ms(kernels)} ms`);
for (const [key, v] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, Number(flag('top', '12')))) {
  console.log(`  ${ms(v.us / perStep).padStart(7)} ms  ${key}${v.nodes.size > 1 ? ` x${v.nodes.size}` : ''}`);
}
fs.rmSync(path.dirname(file), { recursive: true, force: true });
if (args.includes('--by-op')) {
  // The same time summed per op kind, forward and backward apart: which kind of kernel holds the step.
  const byOp = new Map<string, number>();
  for (const [key, v] of byNode) {
    const k = `${key.startsWith('grad/') ? 'backward' : 'forward'} ${v.op}`;
    byOp.set(k, (byOp.get(k) ?? 0) + v.us);
  }
  console.log('per op kind:');
  for (const [k, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, Number(flag('top', '12')))) console.log(`  ${ms(us / perStep).padStart(7)} ms  ${(100 * us / perStep / 1000 / (kernels / 1000)).toFixed(0).padStart(3)}%  ${k}`);
}
