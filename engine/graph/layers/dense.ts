import { defineLayer, fmtShape, type WeightSpec } from '../layer.ts';
import { batched } from './spatial.ts';

export const Dense = defineLayer({
  type: 'Dense',
  label: 'Dense',
  category: 'dense',
  help: 'Fully connected: every output is a learned weighted sum of every input feature (y = x·Wᵀ + b).',
  params: {
    units: { kind: 'int', default: 128, min: 1, max: 65536, help: 'Number of outputs.' },
    bias: { kind: 'bool', default: true, help: 'Add a learned bias per output.' },
  },
  inputs: () => 1,
  summary: (p) => [{ key: 'units', params: { n: p.units } }],
  infer(p, [x]) {
    if (x.length !== 1) {
      return { problem: { code: 'rank', params: { form: 'vector', layer: 'Dense', shape: fmtShape(x) }, message: `Dense needs a vector input, but gets an image ${fmtShape(x)}: insert a Flatten before it`, fix: { kind: 'insert-before', layer: 'Flatten' } } };
    }
    return { shape: [p.units] };
  },
  weights(p, [x]) {
    const u = p.units;
    const ws: WeightSpec[] = [{ name: 'W', shape: [u, x[0]], init: 'fan', fanIn: x[0], fanOut: u }];
    if (p.bias) ws.push({ name: 'B', shape: [u], init: 'zeros', fanIn: 0, fanOut: 0 });
    return ws;
  },
  lower(ctx, p, [x], _s, out) {
    const ins = [x, ctx.weight('W')];
    if (p.bias) ins.push(ctx.weight('B'));
    return ctx.g.op('Gemm', ins, { transB: { i: 1 } }, batched(out));
  },
  flops: (p, [x]) => p.units * (2 * x[0] + (p.bias ? 1 : 0)),
});
