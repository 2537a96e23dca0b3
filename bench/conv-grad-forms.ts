// The candidate forms of a conv's gradients (engine/autodiff/conv-grad.ts) on the RGB nets'
// conv shapes, alone: CPU ms per run on one thread, the forms alternated round by round
// (median of the rounds), and each form's largest difference from the first one.
//   node --import tsx bench/conv-grad-forms.ts [--batch 64] [--rounds 5] [--only NAME_PART]
import * as ort from 'onnxruntime-node';
import {
  convInputGrad, convWeightGradAsConv, flippedPads, convWeightGradBlocked, convWeightGradByTap, depthwiseWeightGradMulSum, tapWindows,
} from '../engine/autodiff/conv-grad.ts';
import { NCHWC_DOMAIN, nchwcOp } from '../engine/autodiff/nchwc.ts';
import { int, ints } from '../engine/onnx/attrs.ts';
import { BATCH, GraphBuilder } from '../engine/onnx/builder.ts';
import { type Dim, encodeModel, OPSET, type NodeIR } from '../engine/onnx/model.ts';
import { nchwcBlockSize, sessionOptions } from '../engine/train/ort.ts';

const args = process.argv.slice(2);
const flag = (name: string, d: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : d);
const batch = Number(flag('batch', '64'));
const rounds = Number(flag('rounds', '5'));
const only = flag('only', '');
const skip = flag('skip', '').split(',').filter(Boolean);
const block = await nchwcBlockSize();

interface Shape { name: string; c: number; f: number; h: number; k: number; pad: number; stride: number; group: number }
type Form = (g: GraphBuilder, x: string, w: string, dy: string, n: NodeIR, wShape: number[]) => string | null;
const dwForms: Record<string, Form> = {
  tap: (g, x, _w, dy, n, ws) => convWeightGradByTap(g, x, dy, n, ws),
  conv: (g, x, _w, dy, n, ws) => convWeightGradAsConv(g, x, dy, n, ws),
  im2col: (g, x, _w, dy, n, ws) => convWeightGradIm2col(g, x, dy, n, ws),
  gemm: (g, x, _w, dy, n, ws) => convWeightGradGemm(g, x, dy, n, ws),
  blocked: (g, x, _w, dy, n, ws) => (ints(n, 'strides', [1, 1])[0] === 1 ? convWeightGradBlocked(g, x, dy, n, ws, block) : null),
};
const depthwiseDwForms: Record<string, Form> = {
  groupedConv: (g, x, _w, dy, n, ws) => convWeightGradAsConv(g, x, dy, n, ws),
  mulSum: (g, x, _w, dy, n, ws) => depthwiseWeightGradMulSum(g, x, dy, n, ws),
  mulSumT: (g, x, _w, dy, n, ws) => depthwiseWeightGradVariant(g, x, dy, n, ws, true),
  einsum: (g, x, _w, dy, n, ws) => depthwiseWeightGradVariant(g, x, dy, n, ws, false, 'einsum'),
  einsumT: (g, x, _w, dy, n, ws) => depthwiseWeightGradVariant(g, x, dy, n, ws, true, 'einsum'),
};
const depthwiseDxForms: Record<string, Form> = {
  current: (g, x, w, dy, n) => convInputGrad(g, x, w, dy, n),
  dilated: (g, x, w, dy, n) => depthwiseInputGradDilated(g, x, w, dy, n),
  blocked: (g, x, w, dy, n) => blockedDepthwise(g, dy, w, n, g.shape(x)),
};
const conv = (name: string, c: number, f: number, h: number, stride: number): Shape => ({ name, c, f, h, k: 3, pad: 1, stride, group: 1 });
const dw = (name: string, c: number, h: number, stride: number): Shape => ({ name, c, f: c, h, k: 3, pad: 1, stride, group: c });
const cases: [string, Shape, Record<string, Form>][] = [
  ['dW', conv('resnet-64 stage 1: 32 → 32, 64×64', 32, 32, 64, 1), dwForms],
  ['dW', conv('resnet-64 s2b1a: 32 → 64, 64×64, stride 2', 32, 64, 64, 2), dwForms],
  ['dW', conv('resnet-64 stage 2: 64 → 64, 32×32', 64, 64, 32, 1), dwForms],
  ['dW', dw('mobilenetv2-96 ir1dw: 32, 48×48', 32, 48, 1), depthwiseDwForms],
  ['dW', dw('mobilenetv2-96 ir2dw: 96, 48×48, stride 2', 96, 48, 2), depthwiseDwForms],
  ['dW', dw('mobilenetv2-96 ir3dw: 144, 24×24', 144, 24, 1), depthwiseDwForms],
  ['dW', dw('mobilenetv2-96 ir4dw: 144, 24×24, stride 2', 144, 24, 2), depthwiseDwForms],
  ['dW', dw('mobilenetv2-96 ir5dw: 192, 12×12', 192, 12, 1), depthwiseDwForms],
  ['dX', dw('mobilenetv2-96 ir1dw: 32, 48×48', 32, 48, 1), depthwiseDxForms],
  ['dX', dw('mobilenetv2-96 ir3dw: 144, 24×24', 144, 24, 1), depthwiseDxForms],
  ['dX', dw('mobilenetv2-96 ir2dw: 96, 48×48, stride 2', 96, 48, 2), depthwiseDxForms],
  ['dX', dw('mobilenetv2-96 ir4dw: 144, 24×24, stride 2', 144, 24, 2), depthwiseDxForms],
];

function model(s: Shape, form: Form): Uint8Array {
  const ho = Math.floor((s.h + 2 * s.pad - s.k) / s.stride) + 1;
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [BATCH, s.c, s.h, s.h]);
  const ws = [s.f, s.c / s.group, s.k, s.k];
  const w = g.input('w', 'float32', ws);
  const dy = g.input('dy', 'float32', [BATCH, s.f, ho, ho]);
  const node: NodeIR = { op: 'Conv', inputs: [x, w], outputs: ['y'], attrs: { kernel_shape: { ints: [s.k, s.k] }, pads: { ints: [s.pad, s.pad, s.pad, s.pad] }, strides: { ints: [s.stride, s.stride] }, group: { i: s.group } } };
  g.shapes.set('y', [BATCH, s.f, ho, ho]);
  const out = form(g, x, w, dy, node, ws);
  if (!out) throw new Error('form does not fit');
  g.output(g.rename(out, 'out'));
  return encodeModel({ graph: g.graph('forms'), opset: OPSET, metadata: {}, domains: { [NCHWC_DOMAIN]: 1 } });
}

for (const [what, s, forms] of cases) {
  if (only && !s.name.includes(only)) continue;
  const ho = Math.floor((s.h + 2 * s.pad - s.k) / s.stride) + 1;
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  const ws = [s.f, s.c / s.group, s.k, s.k];
  const feeds = {
    x: new ort.Tensor('float32', rand(batch * s.c * s.h * s.h), [batch, s.c, s.h, s.h]),
    w: new ort.Tensor('float32', rand(ws.reduce((a, b) => a * b)), ws),
    dy: new ort.Tensor('float32', rand(batch * s.f * ho * ho), [batch, s.f, ho, ho]),
  };
  const variants = await Promise.all(Object.entries(forms).filter(([name]) => !skip.includes(name) && (name !== 'blocked' || (block > 0 && s.stride === 1))).map(async ([name, form]) => ({ name, session: await ort.InferenceSession.create(model(s, form), sessionOptions('cpu', 1)), ms: [] as number[], out: null as Float32Array | null })));
  for (const v of variants) {
    v.out = (await v.session.run(feeds)).out.data as Float32Array;
  }
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      const t = process.cpuUsage();
      await v.session.run(feeds);
      const u = process.cpuUsage(t);
      v.ms.push((u.user + u.system) / 1000);
    }
  }
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
  const ref = variants[0].out;
  const line = variants.map((v) => {
    let diff = 0;
    let scale = 0;
    if (ref && v.out) for (let i = 0; i < ref.length; i++) { diff = Math.max(diff, Math.abs(ref[i] - v.out[i])); scale = Math.max(scale, Math.abs(ref[i])); }
    return `${v.name} ${med(v.ms).toFixed(1)}${v.out && ref ? ` (Δ ${(diff / scale).toExponential(0)})` : ''}`;
  });
  console.log(`${what} ${s.name}, batch ${batch}: ${line.join(', ')} ms`);
  await Promise.all(variants.map((v) => v.session.release()));
}

// The forms that lost (bench/README.md, "Conv gradients, 2026-12-03"), kept here to measure again.

/**
 * dW as one GEMM per sample over an im2col patch tensor: the kh·kw tap windows concatenated
 * into [N, kh·kw·C, HW], then dY [N, F, HW] · patchesᵀ → [N, F, kh·kw·C], summed over samples.
 */
function convWeightGradIm2col(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[]): string {
  const [f, c, kh, kw] = wShape;
  const [, , ho, wo] = g.shape(dy) as number[];
  const hw = ho * wo;
  const taps = tapWindows(g, x, n, [kh, kw], [ho, wo], [BATCH, c]);
  const patches = g.op('Concat', taps, { axis: { i: 1 } }, [BATCH, kh * kw * c, ho, wo]);
  const pT = g.op('Transpose', [g.op('Reshape', [patches, g.constI64([0, kh * kw * c, hw])], {}, [BATCH, kh * kw * c, hw])], { perm: { ints: [0, 2, 1] } }, [BATCH, hw, kh * kw * c]);
  const dyFlat = g.op('Reshape', [dy, g.constI64([0, f, hw])], {}, [BATCH, f, hw]);
  const perSample = g.op('MatMul', [dyFlat, pT], {}, [BATCH, f, kh * kw * c]);
  const summed = g.op('ReduceSum', [perSample, g.constI64([0])], { keepdims: { i: 0 } }, [f, kh * kw * c]);
  const byTap = g.op('Reshape', [summed, g.constI64([f, kh * kw, c])], {}, [f, kh * kw, c]);
  return g.op('Reshape', [g.op('Transpose', [byTap], { perm: { ints: [0, 2, 1] } }, [f, c, kh * kw]), g.constI64(wShape)], {}, wShape);
}

/**
 * dW as one 2-D GEMM: Xᵀ [C, N, H, W] and dYᵀ [F, N·HW] transposed once, the tap windows of
 * Xᵀ concatenated into patches [kh·kw·C, N·HW], then dW = dYᵀ · patchesᵀ (one Gemm, K = N·HW).
 */
function convWeightGradGemm(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[]): string {
  const [f, c, kh, kw] = wShape;
  const [, , h, w] = g.shape(x) as number[];
  const [, , ho, wo] = g.shape(dy) as number[];
  const xt = g.op('Transpose', [x], { perm: { ints: [1, 0, 2, 3] } }, [c, BATCH, h, w]);
  const taps = tapWindows(g, xt, n, [kh, kw], [ho, wo], [c, BATCH]);
  const patches = g.op('Reshape', [g.op('Concat', taps, { axis: { i: 0 } }, [kh * kw * c, BATCH, ho, wo]), g.constI64([kh * kw * c, -1])], {}, [kh * kw * c, 'K']);
  const dyt = g.op('Reshape', [g.op('Transpose', [dy], { perm: { ints: [1, 0, 2, 3] } }, [f, BATCH, ho, wo]), g.constI64([f, -1])], {}, [f, 'K']);
  const dw = g.op('Gemm', [dyt, patches], { transB: { i: 1 } }, [f, kh * kw * c]);
  const byTap = g.op('Reshape', [dw, g.constI64([f, kh * kw, c])], {}, [f, kh * kw, c]);
  return g.op('Reshape', [g.op('Transpose', [byTap], { perm: { ints: [0, 2, 1] } }, [f, c, kh * kw]), g.constI64(wShape)], {}, wShape);
}

/**
 * Depthwise dW (weights [C, 1, kh, kw]) tap by tap as a Mul and a ReduceSum: dW[c, tap] =
 * Σ over samples and positions of dY · the tap's window. With `transposed`, X and dY are first
 * turned to [C, N, H, W], so each ReduceSum runs over contiguous rows.
 */
function depthwiseWeightGradVariant(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[], transposed: boolean, how: 'mulsum' | 'einsum' = 'mulsum'): string {
  const [c, , kh, kw] = wShape;
  const [, , h, w] = g.shape(x) as number[];
  const [, , ho, wo] = g.shape(dy) as number[];
  const lead: Dim[] = transposed ? [c, BATCH] : [BATCH, c];
  const xs = transposed ? g.op('Transpose', [x], { perm: { ints: [1, 0, 2, 3] } }, [c, BATCH, h, w]) : x;
  const dys = transposed ? g.op('Transpose', [dy], { perm: { ints: [1, 0, 2, 3] } }, [c, BATCH, ho, wo]) : dy;
  const axes = g.constI64(transposed ? [1, 2, 3] : [0, 2, 3]);
  const taps = tapWindows(g, xs, n, [kh, kw], [ho, wo], lead).map((win) =>
    how === 'einsum'
      ? g.op('Einsum', [win, dys], { equation: { s: transposed ? 'cnhw,cnhw->c' : 'nchw,nchw->c' } }, [c])
      : g.op('ReduceSum', [g.op('Mul', [win, dys], {}, [...lead, ho, wo]), axes], { keepdims: { i: 0 } }, [c]));
  const stacked = g.op('Concat', taps.map((t) => g.op('Unsqueeze', [t, g.constI64([1])], {}, [c, 1])), { axis: { i: 1 } }, [c, kh * kw]);
  return g.op('Reshape', [stacked, g.constI64(wShape)], {}, wShape);
}

/**
 * Depthwise dX for any stride: dY with s−1 zeros put after each value (rows and columns),
 * then a stride-1 depthwise Conv with each kernel turned by 180°. Null where it does not fit
 * (dilation ≠ 1, or the zero-filled dY too long for the input's size).
 */
function depthwiseInputGradDilated(g: GraphBuilder, x: string, w: string, dy: string, n: NodeIR): string | null {
  const [f, c, kh, kw] = g.shape(w) as number[];
  if (c !== 1 || int(n, 'group', 1) !== f || ints(n, 'dilations', [1, 1]).some((v) => v !== 1)) return null;
  const [s0, s1] = ints(n, 'strides', [1, 1]);
  const p = ints(n, 'pads', [0, 0, 0, 0]);
  const [, , h, wd] = g.shape(x) as number[];
  const [, , ho, wo] = g.shape(dy) as number[];
  const padL = [kh - 1 - p[0], kw - 1 - p[1]];
  const padR = [h - ho * s0 - padL[0] + kh - 1, wd - wo * s1 - padL[1] + kw - 1];
  if ([...padL, ...padR].some((v) => v < 0)) return null;
  let u = dy;
  if (s0 > 1 || s1 > 1) {
    const six = g.op('Reshape', [dy, g.constI64([0, f, ho, 1, wo, 1])], {}, [BATCH, f, ho, 1, wo, 1]);
    const filled = g.op('Pad', [six, g.constI64([0, 0, 0, 0, 0, 0, 0, 0, 0, s0 - 1, 0, s1 - 1])], {}, [BATCH, f, ho, s0, wo, s1]);
    u = g.op('Reshape', [filled, g.constI64([0, f, ho * s0, wo * s1])], {}, [BATCH, f, ho * s0, wo * s1]);
  }
  const end = g.constI64([-(2 ** 62), -(2 ** 62)]);
  const flipped = g.op('Slice', [w, g.constI64([-1, -1]), end, g.constI64([2, 3]), g.constI64([-1, -1])], {}, [f, c, kh, kw]);
  return g.op('Conv', [u, flipped], { kernel_shape: { ints: [kh, kw] }, pads: { ints: [padL[0], padL[1], padR[0], padR[1]] }, group: { i: f } }, g.shape(x));
}

/** Depthwise dX (stride 1) as a depthwise Conv in ONNX Runtime's blocked layout (NCHWc): dY reordered, the flipped kernel as [C/b, 1, kh, kw, b]. */
function blockedDepthwise(g: GraphBuilder, dy: string, w: string, n: NodeIR, xShape: Dim[]): string | null {
  const [f, , kh, kw] = g.shape(w) as number[];
  if (ints(n, 'strides', [1, 1]).some((v) => v !== 1) || f % block) return null;
  const end = g.constI64([-(2 ** 62), -(2 ** 62)]);
  const flipped = g.op('Slice', [w, g.constI64([-1, -1]), end, g.constI64([2, 3]), g.constI64([-1, -1])], {}, [f, 1, kh, kw]);
  const split = [f / block, block, 1, kh, kw];
  const moved = g.op('Transpose', [g.op('Reshape', [flipped, g.constI64(split)], {}, split)], { perm: { ints: [0, 2, 3, 4, 1] } }, [f / block, 1, kh, kw, block]);
  const wb = g.op('Reshape', [moved, g.constI64([f, 1, kh, kw])], {}, [f, 1, kh, kw]);
  const yb = nchwcOp(g, 'Conv', [nchwcOp(g, 'ReorderInput', [dy], {}, g.shape(dy)), wb], { kernel_shape: { ints: [kh, kw] }, pads: { ints: flippedPads(ints(n, 'pads', [0, 0, 0, 0]), kh, kw) }, group: { i: f } }, xShape);
  return nchwcOp(g, 'ReorderOutput', [yb], { channels: { i: f } }, xShape);
}
