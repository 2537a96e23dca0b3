// Attribute readers and small helpers shared by the gradient rules (rules.ts) and the
// convolution and pooling gradients (conv-grad.ts, pool-grad.ts).
import type { GraphBuilder } from '../onnx/builder.ts';
import type { Attr, NodeIR } from '../onnx/model.ts';

export const ints = (n: NodeIR, k: string, d: number[] = []): number[] => (n.attrs?.[k] as { ints: number[] } | undefined)?.ints ?? d;
export const int = (n: NodeIR, k: string, d: number): number => (n.attrs?.[k] as { i: number } | undefined)?.i ?? d;
export const float = (n: NodeIR, k: string, d: number): number => (n.attrs?.[k] as { f: number } | undefined)?.f ?? d;

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
