// Attribute readers and small helpers shared by the gradient rules (rules.ts) and the
// convolution and pooling gradients (conv-grad.ts, pool-grad.ts).
import type { GraphBuilder } from '../onnx/builder.ts';
import type { Attr, NodeIR } from '../onnx/model.ts';

export { float, int, ints } from '../onnx/attrs.ts';
import { ints } from '../onnx/attrs.ts';

/** The attributes of `n` among `keys` (those it sets), to pass on to another node. */
export const pick = (n: NodeIR, keys: string[]): Record<string, Attr> => Object.fromEntries(keys.filter((k) => n.attrs?.[k]).map((k) => [k, n.attrs![k]]));

/** Output padding that makes a ConvTranspose undo a Conv's size change exactly. */
export function outputPadding(g: GraphBuilder, x: string, y: string, n: NodeIR): number[] {
  const xs = g.shape(x) as number[];
  const ys = g.shape(y) as number[];
  const k = ints(n, 'kernel_shape');
  const s = ints(n, 'strides', [1, 1]);
  const d = ints(n, 'dilations', [1, 1]);
  const p = ints(n, 'pads', [0, 0, 0, 0]);
  return [0, 1].map((i) => xs[2 + i] - (s[i] * (ys[2 + i] - 1) + d[i] * (k[i] - 1) + 1 - p[i] - p[i + 2]));
}
