// Output size and padding of a sliding window along one axis, shared by Conv2D and the pools.
import { BATCH } from '../../onnx/builder.ts';
import type { Dim } from '../../onnx/model.ts';
import type { Shape } from '../layer.ts';

export interface Window {
  out: number;
  padBegin: number;
  /** Padding after the input, `over` included. */
  padEnd: number;
  /** Of padEnd, what only ceil mode adds: the last window's overhang past the end padding. */
  over: number;
}

/**
 * `ceil` (pools' ceil_mode, 'valid' and 'explicit' only): the output size rounds up, but as in
 * PyTorch the last window must start inside the input or the left padding. Its overhang past
 * the end padding becomes extra end padding, so ONNX sees a floor-mode window: ONNX Runtime's
 * kernels agree with PyTorch on ceil_mode, but its shape inference does not (it skips that
 * rule), which breaks loading a graph where a Flatten follows (test/graph/pool-ceil.test.ts).
 */
export function slide(size: number, kernel: number, stride: number, dilation: number, padding: string, pad = 0, ceil = false): Window | string {
  const ek = dilation * (kernel - 1) + 1;
  if (padding === 'same') {
    const out = Math.ceil(size / stride);
    const total = Math.max((out - 1) * stride + ek - size, 0);
    return { out, padBegin: Math.floor(total / 2), padEnd: total - Math.floor(total / 2), over: 0 };
  }
  const p = padding === 'explicit' ? pad : 0;
  if (size + 2 * p < ek) return `window ${ek} is larger than the input (${size}${p ? ` + 2x${p} padding` : ''})`;
  if (!ceil) return { out: Math.floor((size + 2 * p - ek) / stride) + 1, padBegin: p, padEnd: p, over: 0 };
  let out = Math.ceil((size + 2 * p - ek) / stride) + 1;
  if ((out - 1) * stride >= size + p) out--;
  const over = Math.max(0, (out - 1) * stride + ek - (size + 2 * p));
  return { out, padBegin: p, padEnd: p + over, over };
}

/** ONNX `pads` for a 2-D window: [top, left, bottom, right]. */
export const onnxPads = (h: Window, w: Window): number[] => [h.padBegin, w.padBegin, h.padEnd, w.padEnd];

/** Whether pooling windows tile an [H, W] input exactly: size = stride, no padding, nothing left over. */
export const tilesExactly = ([h, w]: number[], kernel: number[], strides: number[], pads: number[]): boolean =>
  strides[0] === kernel[0] && strides[1] === kernel[1] && pads.every((p) => p === 0) && h % kernel[0] === 0 && w % kernel[1] === 0;

export const batched = (s: Shape): Dim[] => [BATCH, ...s];
