// The gradient rules: one row per ONNX op the layers emit. Given the forward node and the
// gradients of its outputs, a rule emits nodes computing the gradient of each input
// (null where an input takes no gradient). The Record type makes the compiler insist on
// exactly one rule per differentiable op; backward.ts fails loudly on any other op.
// test/autodiff/per-op.test.ts checks every rule against finite differences and PyTorch.
// Convolution and pooling gradients, where the strategies are, live in conv-grad.ts and
// pool-grad.ts; the measurements behind them in bench/README.md ("Gradient rules").
import type { GraphBuilder } from '../onnx/builder.ts';
import type { Dim, NodeIR } from '../onnx/model.ts';
import { convInputGrad, convWeightGrad } from './conv-grad.ts';
import { float, int, ints } from './grad-util.ts';
import { averagePoolGrad, maxPoolGrad } from './pool-grad.ts';
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

  MaxPool: (c) => [maxPoolGrad(c.g, c.node, dy0(c))],
  AveragePool: (c) => [averagePoolGrad(c.g, c.node, dy0(c))],

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
