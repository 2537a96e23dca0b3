// The fastest matrix product ONNX Runtime runs on this machine: a 1024³ MatMul (and the MLP's
// 64x784x256), on 1 and 2 threads. The ceiling any training step's GEMM work runs under.
//   node --import tsx bench/gemm-peak.ts
// bench/run.ts calls gemmPeak() for the ceiling fractions it reports.
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../engine/onnx/builder.ts';
import { encodeModel, OPSET } from '../engine/onnx/model.ts';
import { sessionOptions } from '../engine/train/ort.ts';

/** GFLOP/s of the fastest of 5 windows of an m x k x n MatMul on `threads` threads. */
export async function gemmPeak(threads: number, [m, k, n] = [1024, 1024, 1024]): Promise<number> {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [m, k]);
  const b = g.input('b', 'float32', [k, n]);
  g.output(g.op('MatMul', [a, b], {}, [m, n]));
  const model = encodeModel({ graph: g.graph('gemm'), opset: OPSET, metadata: {} });
  const feeds = { a: new ort.Tensor('float32', new Float32Array(m * k).fill(0.5), [m, k]), b: new ort.Tensor('float32', new Float32Array(k * n).fill(0.5), [k, n]) };
  const s = await ort.InferenceSession.create(model, sessionOptions('cpu', threads));
  const runs = m > 100 ? 20 : 2000;
  for (let i = 0; i < Math.max(3, runs / 10); i++) await s.run(feeds);
  const times: number[] = [];
  for (let w = 0; w < 5; w++) {
    const t = performance.now();
    for (let i = 0; i < runs; i++) await s.run(feeds);
    times.push((performance.now() - t) / 1000 / runs);
  }
  await s.release();
  return (2 * m * k * n) / Math.min(...times) / 1e9;
}

if (process.argv[1]?.endsWith('gemm-peak.ts')) {
  for (const shape of [[1024, 1024, 1024], [64, 784, 256]]) {
    for (const threads of [1, 2]) {
      const gflops = await gemmPeak(threads, shape);
      const us = (2 * shape[0] * shape[1] * shape[2]) / gflops / 1e3;
      console.log(`${shape.join('x')}, ${threads} thread(s): ${us.toFixed(0)} µs, ${gflops.toFixed(0)} GFLOP/s (best of 5 windows)`);
    }
  }
}
