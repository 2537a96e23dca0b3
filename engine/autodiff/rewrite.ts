// Rewrites of the forward graph before differentiation that give the same values and the same
// gradients for less work.
import type { GraphBuilder } from '../onnx/builder.ts';

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
