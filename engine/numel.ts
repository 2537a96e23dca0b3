// The number of elements of a tensor of shape `dims`: the product of its dimensions (1 for a
// scalar). The one helper for it, from the ONNX reader up to the renderer (via graph/layer.ts).
export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
