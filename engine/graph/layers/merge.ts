// Add and Concat: the layers with several input ports (port i = input i, in order).
import { numel } from '../../numel.ts';
import { defineLayer, fmtShape } from '../layer.ts';
import { batched } from './spatial.ts';

const ports = { kind: 'int', default: 2, min: 2, max: 8, help: 'Number of input ports.' } as const;

export const Add = defineLayer({
  type: 'Add',
  label: 'Add',
  category: 'merge',
  help: 'Adds its inputs element by element (residual connections). All inputs must have the same shape.',
  params: { inputs: ports },
  inputs: (p) => p.inputs,
  summary: (p) => [{ key: 'inputs', params: { n: p.inputs } }],
  infer(_p, xs) {
    const bad = xs.findIndex((s) => s.join() !== xs[0].join());
    if (bad > 0) return { problem: { code: 'shape-mismatch', params: { form: 'add', first: fmtShape(xs[0]), input: bad + 1, other: fmtShape(xs[bad]) }, message: `Add needs equal shapes, but input 1 is ${fmtShape(xs[0])} and input ${bad + 1} is ${fmtShape(xs[bad])}` } };
    return { shape: xs[0] };
  },
  lower: (ctx, _p, xs, _s, out) => xs.slice(1).reduce((acc, x) => ctx.g.op('Add', [acc, x], {}, batched(out)), xs[0]),
  flops: (_p, xs, out) => (xs.length - 1) * numel(out),
});

export const Concat = defineLayer({
  type: 'Concat',
  label: 'Concat',
  category: 'merge',
  help: 'Stacks its inputs along the channel axis (features for vectors). Other dimensions must match.',
  params: { inputs: ports },
  inputs: (p) => p.inputs,
  summary: (p) => [{ key: 'inputs', params: { n: p.inputs } }],
  infer(_p, xs) {
    for (let i = 1; i < xs.length; i++) {
      if (xs[i].length !== xs[0].length || xs[i].slice(1).join() !== xs[0].slice(1).join()) {
        return { problem: { code: 'shape-mismatch', params: { form: 'concat', first: fmtShape(xs[0]), input: i + 1, other: fmtShape(xs[i]) }, message: `Concat needs inputs that differ only in channels, but input 1 is ${fmtShape(xs[0])} and input ${i + 1} is ${fmtShape(xs[i])}` } };
      }
    }
    return { shape: [xs.reduce((s, x) => s + x[0], 0), ...xs[0].slice(1)] };
  },
  lower: (ctx, _p, xs, _s, out) => ctx.g.op('Concat', xs, { axis: { i: 1 } }, batched(out)),
  flops: () => 0,
});
