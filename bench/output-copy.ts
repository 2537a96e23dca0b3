// What onnxruntime-node charges for a run's output: the same 800 KB elementwise op (Neg over the
// MLP's first-layer weights) with its result fetched, fetched into a buffer handed over, and
// feeding a scalar output instead. Variants alternate in one process, one thread; µs per run.
//   node --import tsx bench/output-copy.ts
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../engine/onnx/builder.ts';
import { encodeModel, OPSET } from '../engine/onnx/model.ts';
import { openStepSession } from '../engine/train/ort.ts';

const L = 256 * 784;
function model(reduce: boolean): Uint8Array {
  const g = new GraphBuilder();
  g.input('w', 'float32', [L]);
  const neg = g.op('Neg', ['w'], {}, [L]);
  g.output(g.rename(reduce ? g.op('ReduceSum', [neg], { keepdims: { i: 0 } }, []) : neg, 'y'));
  return encodeModel({ graph: g.graph('copy'), opset: OPSET, metadata: {} });
}
const big = await openStepSession(model(false), 1);
const small = await openStepSession(model(true), 1);
const w = new ort.Tensor('float32', new Float32Array(L).fill(1), [L]);
const handed = new ort.Tensor('float32', new Float32Array(L), [L]);
const scalar = new ort.Tensor('float32', new Float32Array(1), []);
const cases: [string, () => unknown][] = [
  ['800 KB output, into a handed buffer', () => big.run({ w }, { y: handed })],
  ['800 KB output, ONNX Runtime allocates', () => big.run({ w }, { y: null as unknown as ort.Tensor })],
  ['the same op feeding a scalar output', () => small.run({ w }, { y: scalar })],
];
const times: number[][] = cases.map(() => []);
for (let round = 0; round < 60; round++) {
  cases.forEach(([, f], i) => {
    const t = performance.now();
    for (let k = 0; k < 30; k++) f();
    times[i].push(((performance.now() - t) * 1000) / 30);
  });
}
for (const [i, [name]] of cases.entries()) console.log(`${name.padEnd(40)} ${times[i].sort((a, b) => a - b)[30].toFixed(1)} µs a run`);
await Promise.all([big.release(), small.release()]);
