// Reverse mode over the emitted forward nodes: walks them backwards from the loss seed,
// applies one rule per node, and sums gradients where a tensor fans out.
import type { GraphBuilder } from '../onnx/builder.ts';
import { GRAD_RULES, type DiffOp } from './rules.ts';

export class GradientError extends Error {}

/**
 * Appends gradient nodes to `g` for the forward nodes already in it. `seeds` maps tensors
 * to their gradient (the loss head's dLogits). Returns the gradient tensor of each `wrt`.
 * `block`: ONNX Runtime's NCHWc block size, where rules may use its blocked kernels (0: none).
 */
export function buildGradients(g: GraphBuilder, seeds: Map<string, string>, wrt: string[], block = 0): Map<string, string> {
  const forward = g.nodes.slice();
  // A tensor needs a gradient if it depends on one of `wrt`.
  const needs = new Set(wrt);
  for (const n of forward) if (n.inputs.some((i) => needs.has(i))) for (const o of n.outputs) needs.add(o);

  const parts = new Map<string, string[]>();
  for (const [t, d] of seeds) parts.set(t, [d]);
  const total = (t: string): string | null => {
    const ps = parts.get(t);
    if (!ps?.length) return null;
    if (ps.length > 1) {
      parts.set(t, [g.op('Sum', ps, {}, g.shapes.get(t), `grad/${t}`)]);
    }
    const d = parts.get(t)![0];
    if (!g.shapes.has(d) && g.shapes.has(t)) g.shapes.set(d, g.shapes.get(t)!);
    return d;
  };

  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (!node.outputs.some((o) => needs.has(o))) continue;
    const dy = node.outputs.map(total);
    if (dy.every((d) => d === null)) continue;
    const rule = GRAD_RULES[node.op as DiffOp];
    if (!rule) throw new GradientError(`no gradient rule for ${node.op} (node ${node.name}); add one to engine/autodiff/rules.ts`);
    const saved = g.scope;
    g.scope = `grad/${node.name ?? node.op}`;
    const dx = rule({ g, node, dy, needs: node.inputs.map((x) => needs.has(x)), block });
    g.scope = saved;
    if (dx.length !== node.inputs.length) {
      throw new GradientError(`rule for ${node.op} returned ${dx.length} gradient(s), expected ${node.inputs.length}`);
    }
    dx.forEach((d, k) => {
      const x = node.inputs[k];
      if (!needs.has(x)) return;
      if (d === null) throw new GradientError(`rule for ${node.op} gave no gradient for input ${k} (${x}), which needs one`);
      const xs = g.shapes.get(x);
      const ds = g.shapes.get(d);
      if (xs && ds && xs.join() !== ds.join()) throw new GradientError(`rule for ${node.op} returned a gradient of shape [${ds}] for input ${k} of shape [${xs}]`);
      if (!parts.has(x)) parts.set(x, []);
      parts.get(x)!.push(d);
    });
  }

  const out = new Map<string, string>();
  for (const w of wrt) {
    const d = total(w);
    if (!d) throw new GradientError(`parameter ${w} receives no gradient: it does not influence the loss`);
    out.set(w, d);
  }
  return out;
}
