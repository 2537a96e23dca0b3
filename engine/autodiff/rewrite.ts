// Rewrites of training graphs that give the same values and the same gradients for less work:
// of the forward graph before differentiation, and of the whole step after it.
import type { GraphBuilder } from '../onnx/builder.ts';
import type { Attr } from '../onnx/model.ts';
import { nchwcOp } from './nchwc.ts';
import { flippable, flippedKernel, flippedPads } from './conv-grad.ts';
import { int, ints } from './grad-util.ts';

/**
 * ReLU then MaxPool becomes MaxPool then ReLU. max(relu(x)) = relu(max(x)) because ReLU never
 * decreases, so the values are the same; the ReLU, and in the backward pass its mask, then
 * touch the pooled tensor, a quarter of the size for 2×2 pooling. The gradients are the same
 * too: where a window's max is positive both pick the same (first) position; where it is not,
 * the ReLU gradient is zero either way. Applies where the ReLU's output feeds that MaxPool only.
 * Measured (1 thread, batch 32, interleaved): LeNet-5 3.29-3.36 → 3.16-3.27 CPU ms, small CNN
 * 38.3-38.6 → 37.8. Returns how many pairs were swapped.
 */
export function poolBeforeRelu(g: GraphBuilder): number {
  const outputs = new Set(g.outputs.map((o) => o.name));
  let swapped = 0;
  for (const relu of [...g.nodes]) {
    if (relu.op !== 'Relu') continue;
    const y = relu.outputs[0];
    const users = g.nodes.filter((n) => n.inputs.includes(y));
    const pool = users[0];
    if (users.length !== 1 || pool.op !== 'MaxPool' || pool.inputs.length !== 1 || outputs.has(y)) continue;
    const pooled = pool.outputs[0];
    const pre = g.fresh(`${pooled}/pre-relu`);
    g.shapes.set(pre, g.shape(pooled));
    pool.inputs = [relu.inputs[0]];
    pool.outputs = [pre, ...pool.outputs.slice(1)];
    relu.inputs = [pre];
    relu.outputs = [pooled];
    g.nodes.splice(g.nodes.indexOf(relu), 1);
    g.nodes.splice(g.nodes.indexOf(pool) + 1, 0, relu);
    g.shapes.delete(y);
    swapped++;
  }
  return swapped;
}

const staticShape = (g: GraphBuilder, t: string): number[] | undefined => {
  const s = g.shapes.get(t);
  return s && s.every((d) => typeof d === 'number') ? (s as number[]) : undefined;
};

/**
 * Convolutions run in ONNX Runtime's blocked layout, NCHWc: channels in blocks of `block`
 * (its SIMD width: 16 with AVX-512, 8 with AVX2), where its direct convolution kernels run
 * instead of im2col + GEMM. ONNX Runtime does this itself for convolutions whose weights are
 * constants; a training step's weights are inputs, so here the step reorders them itself (a
 * Reshape and a Transpose of a few thousand values) and each blocked Conv sits between a
 * ReorderInput and a ReorderOutput, so the tensors around it stay NCHW.
 *
 * Rewritten: 2-D, one-group Convs with a multiple of `block` output channels and either a
 * multiple of `block` input channels or 4 to `block`−1 of them (those read NCHW as it is), and
 * stride-1 ConvTransposes (input gradients) under the same conditions, as the Conv of the
 * output gradient with the flipped kernel. The values are those of the convolutions replaced.
 * Measured (1 thread, batch 32, CPU ms): the small CNN's second conv 7.27 → 5.78 forward,
 * its third 3.17 → 2.42 forward and 4.01 (ConvTranspose) → 2.77 input gradient, LeNet-5's
 * second 0.41 → 0.22 forward; 1-channel convs gained nothing (0.31 → 0.31, 0.73 → 0.81) and
 * LeNet-5's second conv's input gradient (6 output channels) stays a ConvTranspose (0.42
 * against 0.78 as a blocked Conv). Returns how many convolutions were rewritten.
 */
export function blockedConvs(g: GraphBuilder, block: number): number {
  let rewritten = 0;
  for (const n of [...g.nodes]) {
    if ((n.op !== 'Conv' && n.op !== 'ConvTranspose') || n.domain) continue;
    const w = staticShape(g, n.inputs[1]);
    const x = g.shapes.get(n.inputs[0]);
    if (!w || w.length !== 4 || !x) continue;
    // Depthwise Convs (one input and one output channel per group; forward, and the input
    // gradient as a flipped depthwise Conv) run in the blocked depthwise kernel.
    const group = int(n, 'group', 1);
    const depthwise = n.op === 'Conv' && group > 1 && group === w[0] && w[1] === 1 && x[1] === group;
    if (group !== 1 && !depthwise) continue;
    const [kh, kw] = w.slice(2);
    const pads = ints(n, 'pads', [0, 0, 0, 0]);
    // Conv: weights [F, C, kh, kw]. ConvTranspose: [C_in, C_out, kh, kw], the flipped Conv's [C_out, C_in].
    const [f, c] = n.op === 'Conv' ? w : [w[1], w[0]];
    const fits = f % block === 0 && (depthwise || c % block === 0 || (c >= 4 && c < block));
    if (!fits) continue;
    if (n.op === 'ConvTranspose' && (!flippable(n, kh, kw) || ints(n, 'output_padding', [0, 0]).some((v) => v) || n.inputs[2])) continue;
    const start = g.nodes.length;
    let weights = n.inputs[1];
    const attrs: Record<string, Attr> = { kernel_shape: { ints: [kh, kw] }, pads: { ints: pads } };
    if (n.op === 'ConvTranspose') {
      weights = flippedKernel(g, weights, w);
      attrs.pads = { ints: flippedPads(pads, kh, kw) };
    } else {
      for (const k of ['strides', 'dilations']) if (n.attrs?.[k]) attrs[k] = n.attrs[k];
      if (depthwise) attrs.group = { i: group };
    }
    // OIHW → [F/b][C/b][kh][kw][c_b][f_b] (blocked input) or [F/b][C][kh][kw][f_b] (NCHW input,
    // and depthwise weights, C = 1, whose input is blocked).
    const blockedIn = depthwise || c % block === 0;
    const perFilter = depthwise || c % block !== 0;
    const split = perFilter ? [f / block, block, c, kh, kw] : [f / block, block, c / block, block, kh, kw];
    const perm = perFilter ? [0, 2, 3, 4, 1] : [0, 2, 4, 5, 3, 1];
    const parts = g.op('Reshape', [weights, g.constI64(split)], {}, split);
    const moved = g.op('Transpose', [parts], { perm: { ints: perm } }, perm.map((p) => split[p]));
    const wb = g.op('Reshape', [moved, g.constI64([f, c, kh, kw])], {}, [f, c, kh, kw]);
    const xb = blockedIn ? nchwcOp(g, 'ReorderInput', [n.inputs[0]], {}, x) : n.inputs[0];
    const y = n.outputs[0];
    const yb = nchwcOp(g, 'Conv', [xb, wb, ...(n.op === 'Conv' && n.inputs[2] ? [n.inputs[2]] : [])], attrs, g.shapes.get(y));
    nchwcOp(g, 'ReorderOutput', [yb], { channels: { i: f } }, g.shapes.get(y));
    g.nodes[g.nodes.length - 1].outputs = [y];
    const added = g.nodes.splice(start);
    g.nodes.splice(g.nodes.indexOf(n), 1, ...added);
    rewritten++;
  }
  return rewritten;
}
