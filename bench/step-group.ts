// µs per training step when k steps run in one session run (engine/autodiff/step-loop.ts), for
// k in --groups (0: the plain step graph, one run per step). Variants take turns, one session
// open at a time (spinning sessions side by side would starve each other), --rounds times.
//   node --import tsx bench/step-group.ts [mlp|lenet5|small_cnn] [--groups 0,1,4,8,16] [--threads 2] [--spin] [--rounds 3]
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loopedStep } from '../engine/autodiff/step-loop.ts';
import { buildTrainingGraph } from '../engine/autodiff/training-graph.ts';
import { initialValues } from '../engine/graph/compile.ts';
import { parseDocument } from '../engine/graph/document.ts';
import { Rng } from '../engine/graph/rng.ts';
import { encodeModel } from '../engine/onnx/model.ts';
import { openStepSession } from '../engine/train/ort.ts';

const FILES: Record<string, string> = { mlp: 'examples/mlp.json', lenet5: 'examples/lenet5.json', small_cnn: 'examples/small-cnn.json' };
const args = process.argv.slice(2);
const flag = (name: string, d: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : d);
const net = args[0] && !args[0].startsWith('--') ? args[0] : 'mlp';
const groups = flag('groups', '0,1,4,8,16').split(',').map(Number);
const threads = Number(flag('threads', '2'));
const spin = args.includes('--spin');
const rounds = Number(flag('rounds', '3'));

const r = parseDocument(fs.readFileSync(FILES[net], 'utf8'));
if (!r.ok) throw new Error(`cannot load ${FILES[net]}`);
const doc = { ...r.doc, training: { ...r.doc.training, optimizer: 'sgd' as const, lr: 0.01, momentum: 0.9, nesterov: false, weightDecay: 0 } };
const graph = buildTrainingGraph(doc, {});
const values = initialValues(graph.forward, 1);
for (const s of graph.slots) values.set(s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
const shapeOf = (n: string) => graph.model.graph.inputs.find((i) => i.name === n)!.shape as number[];
const N = 64;
const per = 784;
const pool = 32;
const rng = new Rng(1);
const xs = Float32Array.from({ length: pool * N * per }, () => rng.next());
const ys = BigInt64Array.from({ length: pool * N }, () => BigInt(rng.int(10)));

async function measure(k: number): Promise<number> {
  const steps = Math.max(k, 1);
  const session = await openStepSession(encodeModel(k ? loopedStep(graph) : graph.model), threads, spin);
  const stack = (dims: number[]) => (k ? [steps, ...dims] : dims);
  const feeds: Record<string, ort.Tensor> = { lr: new ort.Tensor('float32', new Float32Array(steps).fill(0.01), stack([])) };
  const fetches: Record<string, ort.Tensor> = {};
  for (const [name, out] of graph.next) {
    feeds[name] = new ort.Tensor('float32', values.get(name)!.slice(), shapeOf(name));
    fetches[out] = new ort.Tensor('float32', new Float32Array(values.get(name)!.length), shapeOf(name));
  }
  for (const o of ['loss', 'correct']) fetches[o] = new ort.Tensor('float32', new Float32Array(steps), stack([]));
  let call = 0;
  const go = () => {
    const b = (call++ * steps) % (pool - steps + 1);
    feeds.input = new ort.Tensor('float32', xs.subarray(b * N * per, (b + steps) * N * per), stack([N, 1, 28, 28]));
    feeds.labels = new ort.Tensor('int64', ys.subarray(b * N, (b + steps) * N), stack([N]));
    session.run(feeds, fetches);
  };
  const until = performance.now() + 500;
  while (performance.now() < until) go();
  const windows: number[] = [];
  for (let w = 0; w < 7; w++) {
    const t = performance.now();
    let done = 0;
    while (performance.now() - t < 300) {
      go();
      done += steps;
    }
    windows.push(((performance.now() - t) * 1000) / done);
  }
  await session.release();
  return windows.sort((a, b) => a - b)[3];
}

const results = new Map<number, number[]>(groups.map((k) => [k, []]));
for (let round = 0; round < rounds; round++) for (const k of groups) results.get(k)!.push(await measure(k));
console.log(`${net}, batch ${N}, ${threads} thread(s)${spin ? ', spinning' : ''}: µs per step, median of 7 windows, each round`);
for (const [k, v] of results) console.log(`  ${(k ? `${k} steps a run` : 'one run a step').padEnd(16)} ${v.map((x) => x.toFixed(0)).join(' / ')}`);
