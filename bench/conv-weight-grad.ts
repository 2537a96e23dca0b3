// A conv's weight gradient alone, as the training graph builds it without blocked kernels and
// with them (conv-grad.ts: convWeightGrad), for a few conv shapes: CPU ms per run on one thread,
// the two variants alternated; and the largest difference between their results.
//   node --import tsx bench/conv-weight-grad.ts
import * as ort from 'onnxruntime-node';
import { NCHWC_DOMAIN } from '../engine/autodiff/nchwc.ts';
import { GRAD_RULES } from '../engine/autodiff/rules.ts';
import { BATCH, GraphBuilder } from '../engine/onnx/builder.ts';
import { encodeModel, OPSET, type NodeIR } from '../engine/onnx/model.ts';
import { nchwcBlockSize, openStepSession } from '../engine/train/ort.ts';

interface Shape { name: string; n: number; c: number; f: number; h: number; k: number; pad: number }
const shapes: Shape[] = [
  { name: 'LeNet-5 conv2: 6 → 16, 14×14, k5', n: 32, c: 6, f: 16, h: 14, k: 5, pad: 0 },
  { name: '6 → 16, 14×14, k3', n: 32, c: 6, f: 16, h: 14, k: 3, pad: 1 },
  { name: '3 → 16, 32×32, k5', n: 32, c: 3, f: 16, h: 32, k: 5, pad: 0 },
  { name: '3 → 32, 16×16, k7', n: 32, c: 3, f: 32, h: 16, k: 7, pad: 3 },
  { name: '4 → 32, 8×8, k3', n: 32, c: 4, f: 32, h: 8, k: 3, pad: 1 },
  { name: '3 → 32, 32×32, k3', n: 32, c: 3, f: 32, h: 32, k: 3, pad: 1 },
  { name: 'small CNN conv1: 1 → 32, 28×28, k3', n: 32, c: 1, f: 32, h: 28, k: 3, pad: 1 },
  { name: '1 → 16, 28×28, k5', n: 32, c: 1, f: 16, h: 28, k: 5, pad: 2 },
];
const block = await nchwcBlockSize();
if (!block) throw new Error('this CPU has no ONNX Runtime NCHWc kernels');

function model(s: Shape, b: number): Uint8Array {
  const ho = s.h + 2 * s.pad - s.k + 1;
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [BATCH, s.c, s.h, s.h]);
  const w = g.input('w', 'float32', [s.f, s.c, s.k, s.k]);
  const dy = g.input('dy', 'float32', [BATCH, s.f, ho, ho]);
  const node: NodeIR = { op: 'Conv', inputs: [x, w], outputs: ['y'], attrs: { kernel_shape: { ints: [s.k, s.k] }, pads: { ints: [s.pad, s.pad, s.pad, s.pad] } } };
  g.shapes.set('y', [BATCH, s.f, ho, ho]);
  g.output(g.rename(GRAD_RULES.Conv({ g, node, dy: [dy], needs: [false, true], block: b })[1]!, 'dw'));
  return encodeModel({ graph: g.graph('dw'), opset: OPSET, metadata: {}, domains: { [NCHWC_DOMAIN]: 1 } });
}

for (const s of shapes) {
  const ho = s.h + 2 * s.pad - s.k + 1;
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  const feeds = {
    x: new ort.Tensor('float32', rand(s.n * s.c * s.h * s.h), [s.n, s.c, s.h, s.h]),
    w: new ort.Tensor('float32', new Float32Array(s.f * s.c * s.k * s.k), [s.f, s.c, s.k, s.k]),
    dy: new ort.Tensor('float32', rand(s.n * s.f * ho * ho), [s.n, s.f, ho, ho]),
  };
  const variants = await Promise.all([0, block].map(async (b) => ({ session: await openStepSession(model(s, b), 1), dw: new ort.Tensor('float32', new Float32Array(s.f * s.c * s.k * s.k), [s.f, s.c, s.k, s.k]), ms: [] as number[] })));
  for (const v of variants) v.session.run(feeds, { dw: v.dw });
  for (let round = 0; round < 30; round++) {
    for (const v of variants) {
      const t = process.cpuUsage();
      for (let i = 0; i < 10; i++) v.session.run(feeds, { dw: v.dw });
      const u = process.cpuUsage(t);
      v.ms.push((u.user + u.system) / 10 / 1000);
    }
  }
  const [a, b] = variants.map((v) => v.dw.data as Float32Array);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(a[i]));
  }
  const med = (v: number[]) => v.sort((p, q) => p - q)[v.length >> 1].toFixed(3);
  console.log(`${s.name.padEnd(36)} plain ${med(variants[0].ms)} ms, as built with blocked kernels ${med(variants[1].ms)} ms (largest difference ${(diff / scale).toExponential(1)} of the largest value)`);
  await Promise.all(variants.map((v) => v.session.release()));
}
