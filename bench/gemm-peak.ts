// The fastest matrix product ONNX Runtime runs on this machine: a 1024³ MatMul (and the MLP's
// 64x784x256), on 1 and 2 threads. The ceiling any training step's GEMM work runs under.
//   node --import tsx bench/gemm-peak.ts
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../engine/onnx/builder.ts';
import { encodeModel, OPSET } from '../engine/onnx/model.ts';
import { sessionOptions } from '../engine/train/ort.ts';

for (const [m, k, n] of [[1024, 1024, 1024], [64, 784, 256]]) {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [m, k]);
  const b = g.input('b', 'float32', [k, n]);
  g.output(g.op('MatMul', [a, b], {}, [m, n]));
  const model = encodeModel({ graph: g.graph('gemm'), opset: OPSET, metadata: {} });
  const feeds = { a: new ort.Tensor('float32', new Float32Array(m * k).fill(0.5), [m, k]), b: new ort.Tensor('float32', new Float32Array(k * n).fill(0.5), [k, n]) };
  for (const threads of [1, 2]) {
    const s = await ort.InferenceSession.create(model, sessionOptions('cpu', threads));
    const runs = m > 100 ? 20 : 2000;
    for (let i = 0; i < Math.max(3, runs / 10); i++) await s.run(feeds);
    const times: number[] = [];
    for (let w = 0; w < 5; w++) {
      const t = performance.now();
      for (let i = 0; i < runs; i++) await s.run(feeds);
      times.push((performance.now() - t) / 1000 / runs);
    }
    const best = Math.min(...times);
    console.log(`${m}x${k}x${n}, ${threads} thread(s): ${(best * 1e6).toFixed(0)} µs, ${((2 * m * k * n) / best / 1e9).toFixed(0)} GFLOP/s (best of 5 windows)`);
    await s.release();
  }
}
