// ONNX Runtime's operator set for its CPU kernels on channel-blocked tensors (NCHWc: channels
// in blocks of its SIMD width, 16 with AVX-512 and 8 with AVX2), where its direct convolution
// kernels run. Used by the blocked-convolution rewrite (rewrite.ts) and the weight-gradient
// rule that convolves in that layout (conv-grad.ts).
import type { GraphBuilder } from '../onnx/builder.ts';
import type { Attr, Dim } from '../onnx/model.ts';

export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

/** Emits an op of NCHWC_DOMAIN. */
export function nchwcOp(g: GraphBuilder, op: string, inputs: string[], attrs: Record<string, Attr> = {}, shape?: Dim[]): string {
  const out = g.op(op, inputs, attrs, shape);
  g.nodes[g.nodes.length - 1].domain = NCHWC_DOMAIN;
  return out;
}
