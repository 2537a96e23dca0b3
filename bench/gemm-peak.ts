// The fastest matrix product ONNX Runtime runs on this machine: a 1024³ MatMul (and the MLP's
// 64x784x256), and 3x3 convolutions (a convolution is a matrix product too; ONNX Runtime's
// blocked NCHWc kernels reach more of an AVX-512 core than its SGEMM does), on 1 and 2 threads.
// The ceiling any training step's GEMM work runs under is the faster of the two.
//   node --import tsx bench/gemm-peak.ts
// bench/run.ts calls gemmPeak() and convPeak() for the ceiling fractions it reports.
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

/** The 3x3 convolutions timed by convPeak: batch, channels in = out, height = width. */
export const CONV_SHAPES = [[8, 128, 28], [8, 256, 14]] as const;

/** GFLOP/s (2 x multiply-adds) of the fastest of 5 windows of a 3x3 Conv (padding 1, constant weights, as inference runs it) of each CONV_SHAPES, the best of them. */
export async function convPeak(threads: number, shapes: readonly (readonly [number, number, number])[] = CONV_SHAPES): Promise<number> {
  let best = 0;
  for (const [n, c, hw] of shapes) {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', [n, c, hw, hw]);
    const w = g.initializer({ name: 'w', dtype: 'float32', dims: [c, c, 3, 3], data: new Float32Array(c * c * 9).fill(0.01) });
    g.output(g.op('Conv', [x, w], { pads: { ints: [1, 1, 1, 1] } }, [n, c, hw, hw]));
    const model = encodeModel({ graph: g.graph('conv'), opset: OPSET, metadata: {} });
    const s = await ort.InferenceSession.create(model, sessionOptions('cpu', threads));
    const feeds = { x: new ort.Tensor('float32', new Float32Array(n * c * hw * hw).fill(0.5), [n, c, hw, hw]) };
    for (let i = 0; i < 5; i++) await s.run(feeds);
    let t0 = Infinity;
    for (let w5 = 0; w5 < 5; w5++) {
      const t = performance.now();
      for (let i = 0; i < 10; i++) await s.run(feeds);
      t0 = Math.min(t0, (performance.now() - t) / 1000 / 10);
    }
    await s.release();
    best = Math.max(best, (2 * n * c * c * 9 * hw * hw) / t0 / 1e9);
  }
  return best;
}

if (process.argv[1]?.endsWith('gemm-peak.ts')) {
  for (const shape of [[1024, 1024, 1024], [64, 784, 256]]) {
    for (const threads of [1, 2]) {
      const gflops = await gemmPeak(threads, shape);
      const us = (2 * shape[0] * shape[1] * shape[2]) / gflops / 1e3;
      console.log(`${shape.join('x')}, ${threads} thread(s): ${us.toFixed(0)} µs, ${gflops.toFixed(0)} GFLOP/s (best of 5 windows)`);
    }
  }
  for (const threads of [1, 2]) {
    for (const shape of CONV_SHAPES) console.log(`3x3 Conv ${shape.join('x')}, ${threads} thread(s): ${(await convPeak(threads, [shape])).toFixed(0)} GFLOP/s (best of 5 windows)`);
  }
}
