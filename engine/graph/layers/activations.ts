// Element-wise activations: each is a LayerDef made by one factory, lowered to ONNX ops.
import { numel } from '../../numel.ts';
import type { LayerDef, LowerContext, ParamSpec, Params } from '../layer.ts';
import type { SummaryPart } from '../summary.ts';
import { num } from '../layer.ts';
import { batched } from './spatial.ts';

function activation(
  type: string,
  help: string,
  lower: (ctx: LowerContext, p: Params, x: string) => string,
  opts: { params?: Record<string, ParamSpec>; reluFamily?: boolean; summary?: (p: Params) => SummaryPart[]; flopsPerValue?: number; label?: string; infer?: LayerDef['infer'] } = {},
): LayerDef {
  return {
    type,
    label: opts.label ?? type,
    category: 'activation',
    help,
    params: opts.params ?? {},
    reluFamily: opts.reluFamily,
    inputs: () => 1,
    summary: opts.summary ?? (() => []),
    infer: opts.infer ?? ((_p, [x]) => ({ shape: x })),
    lower: (ctx, p, [x]) => lower(ctx, p, x),
    flops: (_p, [x]) => numel(x) * (opts.flopsPerValue ?? 1),
  };
}

const alpha = (d: number, help: string): Record<string, ParamSpec> => ({ alpha: { kind: 'float', default: d, min: 0, max: 10, help } });

export const ReLU = activation('ReLU', 'max(0, x).', (c, _p, x) => c.g.op('Relu', [x]), { reluFamily: true });
export const LeakyReLU = activation('LeakyReLU', 'x for x > 0, alpha·x otherwise.', (c, p, x) => c.g.op('LeakyRelu', [x], { alpha: { f: num(p, 'alpha') } }), {
  reluFamily: true,
  params: alpha(0.01, 'Slope for negative inputs.'),
  summary: (p) => [{ key: 'alpha', params: { alpha: num(p, 'alpha') } }],
});
export const ELU = activation('ELU', 'x for x > 0, alpha·(eˣ − 1) otherwise.', (c, p, x) => c.g.op('Elu', [x], { alpha: { f: num(p, 'alpha') } }), {
  reluFamily: true,
  params: alpha(1, 'Saturation value for negative inputs.'),
  summary: (p) => [{ key: 'alpha', params: { alpha: num(p, 'alpha') } }],
  flopsPerValue: 3,
});
export const Sigmoid = activation('Sigmoid', '1 / (1 + e⁻ˣ): squashes to (0, 1).', (c, _p, x) => c.g.op('Sigmoid', [x]), { flopsPerValue: 4 });
export const Tanh = activation('Tanh', 'Hyperbolic tangent: squashes to (−1, 1).', (c, _p, x) => c.g.op('Tanh', [x]), { flopsPerValue: 4 });
// Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), from opset-17 primitives (Gelu itself is opset 20).
export const GELU = activation(
  'GELU',
  'x·Φ(x): a smooth ReLU used by transformers (exact erf form).',
  (c, _p, x) => {
    const { g } = c;
    const e = g.op('Erf', [g.op('Mul', [x, g.constF([Math.SQRT1_2])])]);
    return g.op('Mul', [g.op('Mul', [x, g.constF([0.5])]), g.op('Add', [e, g.constF([1])])]);
  },
  { reluFamily: true, flopsPerValue: 8 },
);
export const Softmax = activation('Softmax', 'Turns scores into probabilities along the channel/feature axis. Not needed before a cross-entropy head, which applies it itself.', (c, _p, x) =>
  c.g.op('Softmax', [x], { axis: { i: 1 } }), { flopsPerValue: 5 });
// min(max(x, min), max); ReLU6 is Clip(0, 6). ONNX Clip takes its bounds as scalar inputs (opset 11+).
export const Clip = activation(
  'Clip',
  'Clamps to [min, max]: ReLU6 (MobileNet) is min 0, max 6. No gradient at or beyond the bounds, as PyTorch\'s ReLU6/Hardtanh.',
  (c, p, x) => c.g.op('Clip', [x, c.g.constF([num(p, 'min')]), c.g.constF([num(p, 'max')])], {}, c.g.shapes.get(x)),
  {
    label: 'ReLU6 / Clip',
    reluFamily: true,
    params: {
      min: { kind: 'float', default: 0, min: -1e6, max: 1e6, help: 'Lower bound.' },
      max: { kind: 'float', default: 6, min: -1e6, max: 1e6, help: 'Upper bound (at least min).' },
    },
    summary: (p) => [{ key: 'range', params: { min: num(p, 'min'), max: num(p, 'max') } }],
    infer: (p, [x]) => (num(p, 'min') > num(p, 'max') ? { problem: { param: 'max', code: 'clip-range', params: { min: num(p, 'min'), max: num(p, 'max') }, message: `max (${p.max}) is below min (${p.min})` } } : { shape: x }),
    flopsPerValue: 2,
  },
);

// x for x > 0, slope·x otherwise, with a learned slope per channel (or one for all), as PyTorch's PReLU.
export const PReLU: LayerDef = {
  type: 'PReLU',
  label: 'PReLU',
  category: 'activation',
  help: 'x for x > 0, slope·x otherwise, the slope learned (one per channel, or one shared), starting at 0.25.',
  params: {
    perChannel: { kind: 'bool', default: true, help: 'One slope per channel (features for vectors); off: one slope shared by all.' },
  },
  reluFamily: true,
  inputs: () => 1,
  summary: (p) => [{ key: 'slope', params: { form: p.perChannel === false ? 'shared' : 'per-channel' } }],
  infer: (_p, [x]) => ({ shape: x }),
  weights: (p, [x]) => [{ name: 'slope', shape: [p.perChannel === false ? 1 : x[0]], init: { constant: 0.25 }, fanIn: 0, fanOut: 0 }],
  lower(ctx, p, [x], [xs]) {
    const { g } = ctx;
    let slope = ctx.weight('slope');
    // ONNX PRelu broadcasts the slope from the right: [C] → [C, 1, 1] for images.
    if (p.perChannel !== false && xs.length === 3) slope = g.op('Reshape', [slope, g.constI64([xs[0], 1, 1])], {}, [xs[0], 1, 1]);
    return g.op('PRelu', [x, slope], {}, batched(xs));
  },
  flops: (_p, [x]) => 2 * numel(x),
};
