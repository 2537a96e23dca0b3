// Convolution gradients, the strategies the Conv rule (rules.ts) picks from: dX as a
// ConvTranspose, a flipped-kernel Conv or a depthwise flipped Conv; dW as a Conv with batch and
// channels swapped (one grouped Conv for grouped and depthwise convs), one GEMM per kernel tap,
// or a Conv in ONNX Runtime's blocked layout (nchwc.ts). Which strategy wins where was measured:
// bench/README.md, "Gradient rules".
import { BATCH, type GraphBuilder } from '../onnx/builder.ts';
import type { Dim, NodeIR } from '../onnx/model.ts';
import { int, ints, outputPadding, pick } from './grad-util.ts';
import { nchwcOp } from './nchwc.ts';

/**
 * dW one kernel tap at a time: for tap (i, j), the input window the tap saw is a strided Slice
 * of the (padded) input, and dW[:, :, i, j] = Σ over samples of dY · sliceᵀ, a GEMM per sample
 * over the output positions. No patch tensor is built. Used from 8 input channels (measured).
 */
export function convWeightGradByTap(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[]): string {
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
 * over F·k·k instead of F (measured; where F > C ConvTranspose was faster).
 */
export function convInputGrad(g: GraphBuilder, x: string, w: string, dy: string, n: NodeIR): string {
  const [f, c, kh, kw] = g.shape(w) as number[];
  const p = ints(n, 'pads', [0, 0, 0, 0]);
  if (depthwiseFlippable(n, [f, c, kh, kw])) {
    // Depthwise: each channel's own kernel turned by 180°, no transpose (one input and one
    // output channel per group), in ONNX Runtime's depthwise Conv: faster than the grouped
    // ConvTranspose (measured).
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
 * most 32 times the kernel's area (dY is that conv's kernel, the kernel its output): where it
 * was measured faster than the plain Conv form (with one input channel, or a larger dY, slower).
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
 * ([N, F, HW] → [N, HW, F], then the batch blocks past HW; one 6-D transpose was slower).
 */
export function convWeightGradBlocked(g: GraphBuilder, x: string, dy: string, n: NodeIR, [f, c, kh, kw]: number[], block: number): string {
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

/** dW of a Conv: blocked, by tap, or as a Conv with batch and channels swapped. */
export function convWeightGrad(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[], block: number): string {
  if (blockableWeightGrad(n, wShape, g.shape(dy), block)) return convWeightGradBlocked(g, x, dy, n, wShape, block);
  if (int(n, 'group', 1) === 1 && wShape[1] >= 8) return convWeightGradByTap(g, x, dy, n, wShape);
  if (depthwiseByTap(n, wShape, g.shape(dy))) return depthwiseWeightGradMulSum(g, x, dy, n, wShape);
  return convWeightGradAsConv(g, x, dy, n, wShape);
}

/**
 * Whether a depthwise Conv's dW runs tap by tap (depthwiseWeightGradMulSum): stride 1 and dY
 * of at least 16×16 positions, where it was measured faster than the grouped Conv (bench/README.md,
 * "Conv gradients, 2026-12-03"); strided, its Slices are slower and it loses.
 */
export function depthwiseByTap(n: NodeIR, [f, c]: number[], dyShape: Dim[]): boolean {
  const [, , ho, wo] = dyShape as number[];
  const unit = (k: string) => ints(n, k, [1, 1]).every((v) => v === 1);
  return c === 1 && f > 1 && int(n, 'group', 1) === f && unit('strides') && ho * wo >= 256;
}

/** dW as a Conv with batch and channels swapped (one grouped Conv for grouped and depthwise convs). */
export function convWeightGradAsConv(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[]): string {
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
  // instead of a Split, five nodes per group and a Concat (faster to build and to run, measured).
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

/** The (padded) input windows each kernel tap saw, tap by tap: Slices of X, each [...lead, ho, wo]. */
export function tapWindows(g: GraphBuilder, x: string, n: NodeIR, [kh, kw]: number[], [ho, wo]: number[], lead: Dim[]): string[] {
  const pads = ints(n, 'pads', [0, 0, 0, 0]);
  const strides = ints(n, 'strides', [1, 1]);
  const dil = ints(n, 'dilations', [1, 1]);
  const xp = pads.some((v) => v) ? g.op('Pad', [x, g.constI64([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])]) : x;
  const out: string[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const start = [i * dil[0], j * dil[1]];
      const end = [start[0] + (ho - 1) * strides[0] + 1, start[1] + (wo - 1) * strides[1] + 1];
      out.push(g.op('Slice', [xp, g.constI64(start), g.constI64(end), g.constI64([2, 3]), g.constI64(strides)], {}, [...lead, ho, wo]));
    }
  }
  return out;
}

/**
 * Depthwise dW (weights [C, 1, kh, kw]) tap by tap: dW[c, tap] = Σ over samples and positions
 * of dY · the tap's input window, a Slice, a Mul and a ReduceSum per tap (used where
 * depthwiseByTap says; measured in bench/README.md, "Conv gradients, 2026-12-03").
 */
export function depthwiseWeightGradMulSum(g: GraphBuilder, x: string, dy: string, n: NodeIR, wShape: number[]): string {
  const [c, , kh, kw] = wShape;
  const [, , ho, wo] = g.shape(dy) as number[];
  const axes = g.constI64([0, 2, 3]);
  const taps = tapWindows(g, x, n, [kh, kw], [ho, wo], [BATCH, c]).map((win) =>
    g.op('ReduceSum', [g.op('Mul', [win, dy], {}, [BATCH, c, ho, wo]), axes], { keepdims: { i: 0 } }, [c]));
  const stacked = taps.length === 1 ? g.op('Unsqueeze', [taps[0], g.constI64([1])], {}, [c, 1]) : g.op('Concat', taps.map((t) => g.op('Unsqueeze', [t, g.constI64([1])], {}, [c, 1])), { axis: { i: 1 } }, [c, kh * kw]);
  return g.op('Reshape', [stacked, g.constI64(wShape)], {}, wShape);
}
