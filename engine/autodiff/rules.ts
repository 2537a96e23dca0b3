// The gradient rules: one row per ONNX op the layers emit. Given the forward node and the
// gradients of its outputs, a rule emits nodes computing the gradient of each input
// (null where an input takes no gradient). The Record type makes the compiler insist on
// exactly one rule per differentiable op; backward.ts fails loudly on any other op.
import { BATCH, type GraphBuilder } from '../onnx/builder.ts';
import type { Attr, Dim, NodeIR } from '../onnx/model.ts';
import { tilesExactly } from '../graph/layers/spatial.ts';
import { nchwcOp } from './nchwc.ts';
import { batchNormGrad } from './batchnorm-grad.ts';

export interface GradContext {
  g: GraphBuilder;
  node: NodeIR;
  /** Gradient of each output (null where nothing downstream needs it). */
  dy: (string | null)[];
  /** Whether each input needs a gradient (depends on a parameter). */
  needs: boolean[];
  /** ONNX Runtime's NCHWc block size where the step may use its blocked kernels (nchwc.ts); 0: not. */
  block: number;
}

export type GradRule = (c: GradContext) => (string | null)[];

export const DIFFERENTIABLE_OPS = [
  'Conv', 'Gemm', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Reshape', 'Identity',
  'Relu', 'LeakyRelu', 'Elu', 'Sigmoid', 'Tanh', 'Erf', 'Softmax', 'Clip', 'PRelu',
  'Add', 'Sub', 'Mul', 'Div', 'Sqrt', 'ReduceMean', 'Concat', 'Pad',
  'BatchNormalization',
] as const;
export type DiffOp = (typeof DIFFERENTIABLE_OPS)[number];

export const ints = (n: NodeIR, k: string, d: number[] = []): number[] => (n.attrs?.[k] as { ints: number[] } | undefined)?.ints ?? d;
export const int = (n: NodeIR, k: string, d: number): number => (n.attrs?.[k] as { i: number } | undefined)?.i ?? d;
const float = (n: NodeIR, k: string, d: number): number => (n.attrs?.[k] as { f: number } | undefined)?.f ?? d;

/** dY of the first output; every single-output rule starts here. */
const dy0 = (c: GradContext): string => {
  if (!c.dy[0]) throw new Error(`${c.node.op}: no gradient for its output`);
  return c.dy[0];
};

/** Shape of X as a tensor: a constant when X's shape is static, else computed at run time. */
function shapeOf(g: GraphBuilder, x: string): string {
  const s = g.shapes.get(x);
  if (s && s.every((d) => typeof d === 'number')) return g.constI64(s as number[]);
  return g.op('Shape', [x], {}, [s?.length ?? 0]);
}

/** Sums a broadcast gradient back down to the shape of the input it belongs to. */
function unbroadcast(g: GraphBuilder, grad: string, target: string): string {
  const gs = g.shape(grad);
  const ts = g.shape(target);
  const lead = gs.length - ts.length;
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) {
    const t: Dim = i < lead ? 1 : ts[i - lead];
    if (i < lead || (t === 1 && gs[i] !== 1)) axes.push(i);
  }
  if (!axes.length) return grad;
  const kept = gs.map((d, i) => (axes.includes(i) ? 1 : d));
  const summed = g.op('ReduceSum', [grad, g.constI64(axes)], { keepdims: { i: 1 } }, kept);
  return lead ? g.op('Reshape', [summed, shapeOf(g, target)], {}, ts) : summed;
}

/** Output padding that makes a ConvTranspose undo a Conv's size change exactly. */
function outputPadding(g: GraphBuilder, x: string, y: string, n: NodeIR): number[] {
  const xs = g.shape(x) as number[];
  const ys = g.shape(y) as number[];
  const k = ints(n, 'kernel_shape');
  const s = ints(n, 'strides', [1, 1]);
  const d = ints(n, 'dilations', [1, 1]);
  const p = ints(n, 'pads', [0, 0, 0, 0]);
  return [0, 1].map((i) => xs[2 + i] - (s[i] * (ys[2 + i] - 1) + d[i] * (k[i] - 1) + 1 - p[i] - p[i + 2]));
}

/**
 * dW one kernel tap at a time: for tap (i, j), the input window the tap saw is a strided Slice
 * of the (padded) input, and dW[:, :, i, j] = Σ over samples of dY · sliceᵀ, a GEMM per sample
 * over the output positions. No patch tensor is built: measured against im2col by a one-hot
 * depthwise Conv (small CNN shard step 43 → 38.5 CPU ms) and against the Conv form (better
 * from 8 input channels; LeNet-5's 1- and 6-channel convs keep the Conv form, bench/README.md).
 */
function convWeightGradByTap(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[]): string {
  const [f, c, kh, kw] = wShape;
  const [, , ho, wo] = g.shape(dy) as number[];
  const hw = ho * wo;
  const pads = ints(n, 'pads', [0, 0, 0, 0]);
  const strides = ints(n, 'strides', [1, 1]);
  const dil = ints(n, 'dilations', [1, 1]);
  const xp = pads.some((v) => v) ? g.op('Pad', [x, g.constI64([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])]) : x;
  const dyFlat = g.op('Reshape', [dy, g.constI64([0, f, hw])], {}, [BATCH, f, hw]);
  const taps: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const start = [i * dil[0], j * dil[1]];
      const end = [start[0] + (ho - 1) * strides[0] + 1, start[1] + (wo - 1) * strides[1] + 1];
      const seen = g.op('Slice', [xp, g.constI64(start), g.constI64(end), g.constI64([2, 3]), g.constI64(strides)], {}, [BATCH, c, ho, wo]);
      // ONNX Runtime folds the Transpose into the MatMul.
      const seenT = g.op('Transpose', [g.op('Reshape', [seen, g.constI64([0, c, hw])], {}, [BATCH, c, hw])], { perm: { ints: [0, 2, 1] } }, [BATCH, hw, c]);
      const perSample = g.op('MatMul', [dyFlat, seenT], {}, [BATCH, f, c]);
      taps.push(g.op('Unsqueeze', [g.op('ReduceSum', [perSample, g.constI64([0])], { keepdims: { i: 0 } }, [f, c]), g.constI64([2])], {}, [f, c, 1]));
    }
  }
  const stacked = taps.length === 1 ? taps[0] : g.op('Concat', taps, { axis: { i: 2 } }, [f, c, kh * kw]);
  return g.op('Reshape', [stacked, g.constI64(wShape)], {}, wShape);
}

/** Weights [F, C, kh, kw] → [C, F, kh, kw], each kernel turned by 180°: a Conv with them undoes a stride-1 Conv's correlation. */
export function flippedKernel(g: GraphBuilder, w: string, [f, c, kh, kw]: number[]): string {
  const swapped = g.op('Transpose', [w], { perm: { ints: [1, 0, 2, 3] } }, [c, f, kh, kw]);
  const end = g.constI64([-(2 ** 62), -(2 ** 62)]);
  return g.op('Slice', [swapped, g.constI64([-1, -1]), end, g.constI64([2, 3]), g.constI64([-1, -1])], {}, [c, f, kh, kw]);
}

/** The padding of that Conv: k−1−p on each side. */
export const flippedPads = (p: number[], kh: number, kw: number): number[] => [kh - 1 - p[0], kw - 1 - p[1], kh - 1 - p[2], kw - 1 - p[3]];

/**
 * Whether the input gradient of Conv (or ConvTranspose) `n` with a kh×kw kernel can be a Conv
 * of dY with flippedKernel, padded by flippedPads: stride 1, dilation 1, one group, p ≤ k−1.
 */
export function flippable(n: NodeIR, kh: number, kw: number): boolean {
  const unit = (k: string) => ints(n, k, [1, 1]).every((v) => v === 1);
  return unit('strides') && unit('dilations') && int(n, 'group', 1) === 1 && ints(n, 'pads', [0, 0, 0, 0]).every((v, i) => v <= (i % 2 ? kw : kh) - 1);
}

/**
 * dX of a Conv. ConvTranspose (a GEMM over the F output channels, then col2im) in general;
 * for stride 1, dilation 1, one group and at least as many input channels as output channels,
 * a Conv of dY with the kernel transposed and flipped, padded k−1−p each side: its GEMM runs
 * over F·k·k instead of F. Measured: small CNN shard step 44-46 → 43-44 CPU ms; where F > C
 * (LeNet-5's second conv, the small CNN's third) ConvTranspose was faster.
 */
function convInputGrad(g: GraphBuilder, x: string, w: string, dy: string, n: NodeIR): string {
  const [f, c, kh, kw] = g.shape(w) as number[];
  const p = ints(n, 'pads', [0, 0, 0, 0]);
  if (depthwiseFlippable(n, [f, c, kh, kw])) {
    // Depthwise: each channel's own kernel turned by 180°, no transpose (one input and one
    // output channel per group), in ONNX Runtime's depthwise Conv. Measured against the grouped
    // ConvTranspose (dX alone, batch 16, 3x3, 1 thread, CPU ms): 96 channels 28×28 38.8 → 15.4,
    // 384 channels 14×14 53.3 → 24.0, 32 channels 56×56 51.3 → 19.0.
    const end = g.constI64([-(2 ** 62), -(2 ** 62)]);
    const flipped = g.op('Slice', [w, g.constI64([-1, -1]), end, g.constI64([2, 3]), g.constI64([-1, -1])], {}, [f, c, kh, kw]);
    return g.op('Conv', [dy, flipped], { kernel_shape: { ints: [kh, kw] }, pads: { ints: flippedPads(p, kh, kw) }, group: { i: f } }, g.shape(x));
  }
  if (c < f || !flippable(n, kh, kw)) {
    return g.op('ConvTranspose', [dy, w], { ...pick(n, ['strides', 'dilations', 'pads', 'group', 'kernel_shape']), output_padding: { ints: outputPadding(g, x, n.outputs[0], n) } }, g.shape(x));
  }
  const flipped = flippedKernel(g, w, [f, c, kh, kw]);
  return g.op('Conv', [dy, flipped], { kernel_shape: { ints: [kh, kw] }, pads: { ints: flippedPads(p, kh, kw) } }, g.shape(x));
}

/** A depthwise Conv (groups = input channels = filters) of stride 1, dilation 1, p ≤ k−1. */
function depthwiseFlippable(n: NodeIR, [f, c, kh, kw]: number[]): boolean {
  const unit = (k: string) => ints(n, k, [1, 1]).every((v) => v === 1);
  return c === 1 && f > 1 && int(n, 'group', 1) === f && unit('strides') && unit('dilations') && ints(n, 'pads', [0, 0, 0, 0]).every((v, i) => v <= (i % 2 ? kw : kh) - 1);
}

/**
 * Whether dW of Conv `n` runs as convWeightGradBlocked: stride 1, dilation 1, one group, a
 * multiple of `block` filters, 2 to 7 input channels (8 or more take the tap form), and dY at
 * most 32 times the kernel's area (dY is that conv's kernel, the kernel its output). Measured
 * (dW alone, batch 32, 1 thread, CPU ms, plain Conv form → blocked): 6 → 16 channels, 14×14,
 * k5 (LeNet-5's second conv) 0.61 → 0.31; 6 → 16, 14×14, k3 0.78 → 0.52; 3 → 16, 32×32, k5
 * 2.81 → 1.47; 3 → 32, 16×16, k7 2.04 → 1.61; 4 → 32, 8×8, k3 0.25 → 0.20; but 3 → 32, 32×32,
 * k3 (dY 114× the kernel) 4.32 → 4.95, and with one input channel 1.11 → 2.25 (1 → 32, 28×28, k3)
 * and 0.93 → 1.11 (1 → 16, 28×28, k5).
 */
function blockableWeightGrad(n: NodeIR, [f, c, kh, kw]: number[], dyShape: Dim[], block: number): boolean {
  const unit = (k: string) => ints(n, k, [1, 1]).every((v) => v === 1);
  const [, , ho, wo] = dyShape as number[];
  return block > 0 && int(n, 'group', 1) === 1 && unit('strides') && unit('dilations') && f % block === 0 && c >= 2 && c < 8 && ho * wo <= 32 * kh * kw;
}

/**
 * dW as the Conv form below (convWeightGrad) run in ONNX Runtime's blocked layout: the batch
 * becomes the input channels (padded with zero samples to a multiple of the block, so any batch
 * fits), dY the weights, reordered into the blocked weight layout by two cheap transposes
 * ([N, F, HW] → [N, HW, F], then the batch blocks past HW: 0.03 ms for LeNet-5's second conv,
 * where one 6-D transpose took 0.2 ms). LeNet-5 training, `bench/engine-bench.ts lenet5`, 3
 * alternated launches: 19,654 / 17,551 / 16,541 → 19,112 / 22,000 / 20,276 samples/s.
 */
function convWeightGradBlocked(g: GraphBuilder, x: string, dy: string, n: NodeIR, [f, c, kh, kw]: number[], block: number): string {
  const [, , h, w] = g.shape(x) as number[];
  const [, , ho, wo] = g.shape(dy) as number[];
  // Zero samples up to a multiple of the block: (block − N mod block) mod block of them.
  const count = g.op('Shape', [x], { start: { i: 0 }, end: { i: 1 } }, [1]);
  const b = g.constI64([block]);
  const extra = g.op('Mod', [g.op('Sub', [b, g.op('Mod', [count, b], {}, [1])], {}, [1]), b], {}, [1]);
  const pads = g.op('Concat', [g.constI64([0, 0, 0, 0]), extra, g.constI64([0, 0, 0])], { axis: { i: 0 } }, [8]);
  const padded = (t: string, shape: number[]) => g.op('Pad', [t, pads], {}, ['Np', ...shape]);
  // Input: [C, Np, H, W], blocked by ReorderInput.
  const xt = g.op('Transpose', [padded(x, [c, h, w])], { perm: { ints: [1, 0, 2, 3] } }, [c, 'Np', h, w]);
  const xb = nchwcOp(g, 'ReorderInput', [xt], {}, [c, 'Np', h, w]);
  // Weights: dY as [F, Np, ho, wo] in the blocked order [F/b][Np/b][ho·wo][n_b][f_b].
  const hw = ho * wo;
  const perSample = g.op('Transpose', [g.op('Reshape', [padded(dy, [f, ho, wo]), g.constI64([0, f, hw])], {}, ['Np', f, hw])], { perm: { ints: [0, 2, 1] } }, ['Np', hw, f]);
  const byBlock = g.op('Reshape', [perSample, g.constI64([-1, block, hw, f])], {}, ['Nb', block, hw, f]);
  let wb = g.op('Transpose', [byBlock], { perm: { ints: [0, 2, 1, 3] } }, ['Nb', hw, block, f]);
  if (f > block) {
    const split = g.op('Reshape', [wb, g.constI64([0, hw, block, f / block, block])], {}, ['Nb', hw, block, f / block, block]);
    wb = g.op('Transpose', [split], { perm: { ints: [3, 0, 1, 2, 4] } }, [f / block, 'Nb', hw, block, block]);
  }
  const weights = g.op('Reshape', [wb, g.constI64([f, -1, ho, wo])], {}, [f, 'Np', ho, wo]);
  const yb = nchwcOp(g, 'Conv', [xb, weights], { kernel_shape: { ints: [ho, wo] }, pads: { ints: ints(n, 'pads', [0, 0, 0, 0]) } }, [c, f, kh, kw]);
  const y = nchwcOp(g, 'ReorderOutput', [yb], { channels: { i: f } }, [c, f, kh, kw]);
  return g.op('Transpose', [y], { perm: { ints: [1, 0, 2, 3] } }, [f, c, kh, kw]);
}

function convWeightGrad(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[], block: number): string {
  if (blockableWeightGrad(n, wShape, g.shape(dy), block)) return convWeightGradBlocked(g, x, dy, n, wShape, block);
  if (int(n, 'group', 1) === 1 && wShape[1] >= 8) return convWeightGradByTap(g, x, dy, n, wShape);
  // dW[f, c] = correlation of X[:, c] with dY[:, f] over the batch: a Conv with batch and
  // channels swapped, where the forward stride becomes the dilation (and vice versa).
  const [f, cg, kh, kw] = wShape;
  const groups = int(n, 'group', 1);
  const xs = g.shape(x);
  const ys = g.shape(dy);
  const perGroup = (xg: string, dyg: string, fo: number): string => {
    const xt = g.op('Transpose', [xg], { perm: { ints: [1, 0, 2, 3] } });
    const dyt = g.op('Transpose', [dyg], { perm: { ints: [1, 0, 2, 3] } });
    const r = g.op('Conv', [xt, dyt], {
      strides: { ints: ints(n, 'dilations', [1, 1]) },
      dilations: { ints: ints(n, 'strides', [1, 1]) },
      pads: { ints: ints(n, 'pads', [0, 0, 0, 0]) },
    });
    const sliced = g.op('Slice', [r, g.constI64([0, 0]), g.constI64([kh, kw]), g.constI64([2, 3])]);
    return g.op('Transpose', [sliced], { perm: { ints: [1, 0, 2, 3] } }, [fo, cg, kh, kw]);
  };
  if (groups === 1) return perGroup(x, dy, f);
  // Grouped (depthwise included): the same Conv for every group at once, as one grouped Conv.
  // X becomes [cg, G·N, H, W] (channel c of group g, sample n at g·N + n), dY the weights
  // [F, N, ho, wo]; with G groups each filter sees only its group's N planes. One node
  // instead of a Split, five nodes per group and a Concat: building a 384-channel depthwise
  // layer's session went 2,241 → 9 ms, its dW (batch 16, 14×14, 3x3, 1 thread) 82.6 → 55.5 ms;
  // 96 channels 28×28: 45.7 → 42.5 ms, stride 2: 49.6 → 27.5 ms (scratch bench of the two forms, same values).
  const [, , h, w] = xs as number[];
  const [, , ho, wo] = ys as number[];
  const grouped = g.op('Reshape', [x, g.constI64([0, groups, cg, h, w])], {}, [BATCH, groups, cg, h, w]);
  const moved = g.op('Transpose', [grouped], { perm: { ints: [2, 1, 0, 3, 4] } }, [cg, groups, BATCH, h, w]);
  const xt = g.op('Reshape', [moved, g.constI64([cg, -1, h, w])], {}, [cg, 'GN', h, w]);
  const dyt = g.op('Transpose', [dy], { perm: { ints: [1, 0, 2, 3] } }, [f, BATCH, ho, wo]);
  const r = g.op('Conv', [xt, dyt], {
    strides: { ints: ints(n, 'dilations', [1, 1]) },
    dilations: { ints: ints(n, 'strides', [1, 1]) },
    pads: { ints: ints(n, 'pads', [0, 0, 0, 0]) },
    group: { i: groups },
  });
  const sliced = g.op('Slice', [r, g.constI64([0, 0]), g.constI64([kh, kw]), g.constI64([2, 3])], {}, [cg, f, kh, kw]);
  return g.op('Transpose', [sliced], { perm: { ints: [1, 0, 2, 3] } }, wShape);
}

/**
 * MaxPool's Indices (flat positions in X, as ONNX defines them) for windows that tile X
 * exactly: X viewed as [N, C, Ho, Wo, k·k] windows, ArgMax picks each window's first max in
 * row-major order, the same position PyTorch and MaxPool's own Indices pick on ties; then
 * window offset + window origin + plane offset. Measured 2.5× faster than MaxPool with
 * Indices on LeNet-5's first pool (bench/README.md).
 */
function windowArgmaxIndices(g: GraphBuilder, x: string, k: number[], s: number[], pads: number[]): string {
  const [, ch, h, w] = g.shape(x) as number[];
  const [kh, kw] = k;
  const ho = h / kh;
  const wo = w / kw;
  if (!tilesExactly([h, w], k, s, pads)) {
    throw new Error('MaxPool gradient without Indices needs windows that tile the input (size = stride, no padding)');
  }
  const win = g.op('Reshape', [x, g.constI64([0, ch, ho, kh, wo, kw])], {}, [BATCH, ch, ho, kh, wo, kw]);
  const grouped = g.op('Transpose', [win], { perm: { ints: [0, 1, 2, 4, 3, 5] } }, [BATCH, ch, ho, wo, kh, kw]);
  const flat = g.op('Reshape', [grouped, g.constI64([0, ch, ho, wo, kh * kw])], {}, [BATCH, ch, ho, wo, kh * kw]);
  const arg = g.op('ArgMax', [flat], { axis: { i: -1 }, keepdims: { i: 0 } }, [BATCH, ch, ho, wo]);
  // Window position p → offset (p div kw)·W + p mod kw = p + (p div kw)·(W − kw) (integer
  // arithmetic: a Gather from a table of offsets ran 6× slower); window (i, j) → origin i·kh·W + j·kw.
  const row = g.op('Div', [arg, g.constI64([kw], [])], {}, [BATCH, ch, ho, wo]);
  const offset = g.op('Add', [arg, g.op('Mul', [row, g.constI64([w - kw], [])], {}, [BATCH, ch, ho, wo])], {}, [BATCH, ch, ho, wo]);
  const origins = g.constI64(Array.from({ length: ho * wo }, (_, q) => Math.floor(q / wo) * kh * w + (q % wo) * kw), [ho, wo]);
  // Plane (n, c) → offset (n·C + c)·H·W, for the batch size this run has.
  const planes = g.op('Mul', [g.op('Shape', [x], { start: { i: 0 }, end: { i: 1 } }, [1]), g.constI64([ch * h * w])], {}, [1]);
  const starts = g.op('Range', [g.constI64([0], []), g.op('Squeeze', [planes, g.constI64([0])], {}, []), g.constI64([h * w], [])], {}, ['P']);
  const planeOffsets = g.op('Reshape', [starts, g.constI64([-1, ch, 1, 1])], {}, [BATCH, ch, 1, 1]);
  const within = g.op('Add', [offset, origins], {}, [BATCH, ch, ho, wo]);
  return g.op('Add', [within, planeOffsets], {}, [BATCH, ch, ho, wo]);
}

const pick = (n: NodeIR, keys: string[]): Record<string, Attr> => Object.fromEntries(keys.filter((k) => n.attrs?.[k]).map((k) => [k, n.attrs![k]]));

export const GRAD_RULES: Record<DiffOp, GradRule> = {
  Conv(c) {
    const { g, node: n } = c;
    const [x, w, b] = n.inputs;
    const dy = dy0(c);
    const dx = c.needs[0] ? convInputGrad(g, x, w, dy, n) : null;
    const dw = c.needs[1] ? convWeightGrad(g, x, dy, n, g.shape(w) as number[], c.block) : null;
    const db = b && c.needs[2] ? g.op('ReduceSum', [dy, g.constI64([0, 2, 3])], { keepdims: { i: 0 } }, g.shape(b)) : null;
    return b ? [dx, dw, db] : [dx, dw];
  },

  Gemm(c) {
    // Y = A·op(B) + C, with op(B) = Bᵀ when transB (Dense stores W as [out, in]).
    const { g, node: n } = c;
    if (int(n, 'transA', 0) || float(n, 'alpha', 1) !== 1 || float(n, 'beta', 1) !== 1) throw new Error('Gemm gradient supports transA=0, alpha=beta=1');
    const [a, b, bias] = n.inputs;
    const dy = dy0(c);
    const tB = int(n, 'transB', 0);
    const da = c.needs[0] ? (tB ? g.op('MatMul', [dy, b], {}, g.shape(a)) : g.op('Gemm', [dy, b], { transB: { i: 1 } }, g.shape(a))) : null;
    const db = c.needs[1] ? (tB ? g.op('Gemm', [dy, a], { transA: { i: 1 } }, g.shape(b)) : g.op('Gemm', [a, dy], { transA: { i: 1 } }, g.shape(b))) : null;
    const dc = bias && c.needs[2] ? unbroadcast(g, dy, bias) : null;
    return bias ? [da, db, dc] : [da, db];
  },

  MaxPool(c) {
    // Each pooled gradient goes back to the position its max came from: the Indices output,
    // or, for windows that tile the input exactly, the first max of each window found here.
    const { g, node: n } = c;
    const [x] = n.inputs;
    const dy = dy0(c);
    const k = ints(n, 'kernel_shape');
    const s = ints(n, 'strides', [1, 1]);
    const xShape = g.op('Shape', [x], {}, [4]);
    const idx = n.outputs[1] ?? windowArgmaxIndices(g, x, k, s, ints(n, 'pads', [0, 0, 0, 0]));
    if (s[0] >= k[0] && s[1] >= k[1]) {
      // Windows do not overlap, so no position receives two gradients: MaxUnpool scatters exactly.
      return [g.op('MaxUnpool', [dy, idx, xShape], pick(n, ['kernel_shape', 'strides', 'pads']), g.shape(x))];
    }
    const flat = g.constI64([1, -1]);
    const zeros = g.op('ConstantOfShape', [g.op('Shape', [g.op('Reshape', [x, flat])])], { value: { t: { name: 'zero', dtype: 'float32', dims: [1], data: new Float32Array(1) } } });
    const scattered = g.op('ScatterElements', [zeros, g.op('Reshape', [idx, flat]), g.op('Reshape', [dy, flat])], { axis: { i: 1 }, reduction: { s: 'add' } });
    return [g.op('Reshape', [scattered, xShape], {}, g.shape(x))];
  },

  AveragePool(c) {
    // Every input position in a window receives dY/k² (count_include_pad): a depthwise
    // ConvTranspose with a constant kernel does exactly that, overlaps included. Without
    // count_include_pad, each window's dY is first divided by the pixels it covers inside X
    // (a constant map: shapes are static) and spread with a kernel of ones.
    const { g, node: n } = c;
    const [x] = n.inputs;
    if (int(n, 'ceil_mode', 0)) throw new Error('AveragePool gradient assumes ceil_mode=0 (pool2d.ts lowers ceil mode as extra padding)');
    const ch = g.shape(x)[1] as number;
    const [kh, kw] = ints(n, 'kernel_shape');
    let dy = dy0(c);
    let tap = 1 / (kh * kw);
    if (int(n, 'count_include_pad', 0) !== 1) {
      const [, , h, w] = g.shape(x) as number[];
      const [, , ho, wo] = g.shape(n.outputs[0]) as number[];
      const [sh, sw] = ints(n, 'strides', [1, 1]);
      const [pt, pl] = ints(n, 'pads', [0, 0, 0, 0]);
      const inside = (o: number, s: number, p: number, k: number, size: number) => Math.min(o * s - p + k, size) - Math.max(o * s - p, 0);
      const scale: number[] = [];
      for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) scale.push(1 / (inside(i, sh, pt, kh, h) * inside(j, sw, pl, kw, w)));
      dy = g.op('Mul', [dy, g.constF(scale, [ho, wo])], {}, g.shape(dy));
      tap = 1;
    }
    const kernel = g.constF(new Array(ch * kh * kw).fill(tap), [ch, 1, kh, kw]);
    return [
      g.op('ConvTranspose', [dy, kernel], {
        ...pick(n, ['strides', 'pads', 'kernel_shape']),
        group: { i: ch },
        output_padding: { ints: outputPadding(g, x, n.outputs[0], n) },
      }, g.shape(x)),
    ];
  },

  GlobalAveragePool(c) {
    const { g, node: n } = c;
    const [x] = n.inputs;
    const xs = g.shape(x) as number[];
    const spread = g.op('Expand', [dy0(c), g.op('Shape', [x], {}, [4])], {}, xs);
    return [g.op('Mul', [spread, g.constF([1 / (xs[2] * xs[3])])])];
  },

  Flatten: (c) => [c.g.op('Reshape', [dy0(c), shapeOf(c.g, c.node.inputs[0])], {}, c.g.shape(c.node.inputs[0]))],
  Reshape: (c) => [c.g.op('Reshape', [dy0(c), shapeOf(c.g, c.node.inputs[0])], {}, c.g.shape(c.node.inputs[0])), null],
  Identity: (c) => [dy0(c)],

  Relu(c) {
    const { g, node: n } = c;
    return [g.op('Where', [g.op('Greater', [n.outputs[0], g.constF([0])]), dy0(c), g.constF([0])])];
  },
  LeakyRelu(c) {
    const { g, node: n } = c;
    const dy = dy0(c);
    return [g.op('Where', [g.op('Greater', [n.inputs[0], g.constF([0])]), dy, g.op('Mul', [dy, g.constF([float(n, 'alpha', 0.01)])])])];
  },
  Elu(c) {
    // For x ≤ 0, d/dx α(eˣ − 1) = αeˣ = y + α.
    const { g, node: n } = c;
    const dy = dy0(c);
    const slope = g.op('Add', [n.outputs[0], g.constF([float(n, 'alpha', 1)])]);
    return [g.op('Where', [g.op('Greater', [n.inputs[0], g.constF([0])]), dy, g.op('Mul', [dy, slope])])];
  },
  Clip(c) {
    // dy passes strictly inside (min, max): at a bound the gradient is 0, as PyTorch's
    // Hardtanh/ReLU6 (and ReLU at 0) define it. Bounds are constants: no gradient.
    const { g, node: n } = c;
    const [x, lo, hi] = n.inputs;
    const xs = g.shape(x);
    const inside = [lo ? g.op('Greater', [x, lo], {}, xs) : '', hi ? g.op('Less', [x, hi], {}, xs) : ''].filter((t) => t);
    if (!inside.length) return [dy0(c), ...n.inputs.slice(1).map(() => null)];
    const mask = inside.length === 2 ? g.op('And', inside, {}, xs) : inside[0];
    return [g.op('Where', [mask, dy0(c), g.constF([0])], {}, xs), ...n.inputs.slice(1).map(() => null)];
  },
  PRelu(c) {
    // y = x for x > 0, slope·x otherwise (at 0 the slope side, as PyTorch): dx = dy or
    // slope·dy; dslope = Σ dy·x over the negative side, summed down to the slope's shape.
    const { g, node: n } = c;
    const [x, slope] = n.inputs;
    const dy = dy0(c);
    const xs = g.shape(x);
    const pos = g.op('Greater', [x, g.constF([0])], {}, xs);
    const dx = c.needs[0] ? g.op('Where', [pos, dy, g.op('Mul', [dy, slope], {}, xs)], {}, xs) : null;
    const ds = c.needs[1] ? unbroadcast(g, g.op('Where', [pos, g.constF([0]), g.op('Mul', [dy, x], {}, xs)], {}, xs), slope) : null;
    return [dx, ds];
  },
  Sigmoid(c) {
    const { g, node: n } = c;
    const y = n.outputs[0];
    return [g.op('Mul', [dy0(c), g.op('Mul', [y, g.op('Sub', [g.constF([1]), y])])])];
  },
  Tanh(c) {
    const { g, node: n } = c;
    const y = n.outputs[0];
    return [g.op('Mul', [dy0(c), g.op('Sub', [g.constF([1]), g.op('Mul', [y, y])])])];
  },
  Erf(c) {
    const { g, node: n } = c;
    const x = n.inputs[0];
    const gauss = g.op('Exp', [g.op('Neg', [g.op('Mul', [x, x])])]);
    return [g.op('Mul', [dy0(c), g.op('Mul', [gauss, g.constF([2 / Math.sqrt(Math.PI)])])])];
  },
  Softmax(c) {
    // dx = y ⊙ (dy − Σ(dy ⊙ y)) along the softmax axis.
    const { g, node: n } = c;
    const y = n.outputs[0];
    const dy = dy0(c);
    const axis = int(n, 'axis', -1);
    const ys = g.shape(y);
    const keep = ys.map((d, i) => (i === (axis + ys.length) % ys.length ? 1 : d));
    const dot = g.op('ReduceSum', [g.op('Mul', [dy, y]), g.constI64([axis])], { keepdims: { i: 1 } }, keep);
    return [g.op('Mul', [y, g.op('Sub', [dy, dot])])];
  },

  Add(c) {
    const [a, b] = c.node.inputs;
    const dy = dy0(c);
    return [c.needs[0] ? unbroadcast(c.g, dy, a) : null, c.needs[1] ? unbroadcast(c.g, dy, b) : null];
  },
  Sub(c) {
    const { g, node: n } = c;
    const dy = dy0(c);
    return [c.needs[0] ? unbroadcast(g, dy, n.inputs[0]) : null, c.needs[1] ? unbroadcast(g, g.op('Neg', [dy]), n.inputs[1]) : null];
  },
  Mul(c) {
    const { g, node: n } = c;
    const [a, b] = n.inputs;
    const dy = dy0(c);
    return [c.needs[0] ? unbroadcast(g, g.op('Mul', [dy, b]), a) : null, c.needs[1] ? unbroadcast(g, g.op('Mul', [dy, a]), b) : null];
  },
  Div(c) {
    // y = a / b: da = dy / b, db = −dy · y / b.
    const { g, node: n } = c;
    const [a, b] = n.inputs;
    const dy = dy0(c);
    const da = c.needs[0] ? unbroadcast(g, g.op('Div', [dy, b]), a) : null;
    const db = c.needs[1] ? unbroadcast(g, g.op('Neg', [g.op('Div', [g.op('Mul', [dy, n.outputs[0]]), b])]), b) : null;
    return [da, db];
  },
  Sqrt(c) {
    const { g, node: n } = c;
    return [g.op('Div', [g.op('Mul', [dy0(c), g.constF([0.5])]), n.outputs[0]])];
  },
  ReduceMean(c) {
    // Each input element receives dy / (number of elements averaged together).
    const { g, node: n } = c;
    if (int(n, 'keepdims', 1) !== 1) throw new Error('ReduceMean gradient assumes keepdims=1');
    const [x] = n.inputs;
    const y = n.outputs[0];
    const size = (t: string) => g.op('Cast', [g.op('Size', [t], {}, [])], { to: { i: 1 } }, []);
    const count = g.op('Div', [size(x), size(y)]);
    const spread = g.op('Expand', [dy0(c), g.op('Shape', [x])], {}, g.shape(x));
    return [g.op('Div', [spread, count])];
  },
  Pad(c) {
    // Constant padding: the gradient is dY with the border cut off. Pads must be a constant.
    const { g, node: n } = c;
    const [x, padsName] = n.inputs;
    const mode = (n.attrs?.mode as { s: string } | undefined)?.s ?? 'constant';
    const t = g.initializers.find((i) => i.name === padsName);
    if (mode !== 'constant' || !t) throw new Error('Pad gradient needs mode constant and constant pads');
    const pads = Array.from(t.data as BigInt64Array, Number);
    const xs = g.shape(x);
    const r = xs.length;
    if (pads.some((v) => v < 0)) throw new Error('Pad gradient needs pads >= 0');
    const axes = [...xs.keys()].filter((a) => pads[a] || pads[a + r]);
    if (axes.some((a) => typeof xs[a] !== 'number')) throw new Error('Pad gradient needs static sizes on the padded axes');
    const starts = axes.map((a) => pads[a]);
    const ends = axes.map((a) => pads[a] + (xs[a] as number));
    return [g.op('Slice', [dy0(c), g.constI64(starts), g.constI64(ends), g.constI64(axes)], {}, xs), ...n.inputs.slice(1).map(() => null)];
  },
  Concat(c) {
    const { g, node: n } = c;
    const axis = int(n, 'axis', 1);
    const sizes = n.inputs.map((i) => g.shape(i)[axis] as number);
    const parts = g.opN('Split', [dy0(c), g.constI64(sizes)], sizes.length, { axis: { i: axis } }, n.inputs.map((i) => g.shape(i)));
    return parts.map((p, i) => (c.needs[i] ? p : null));
  },
  BatchNormalization: batchNormGrad,
};
