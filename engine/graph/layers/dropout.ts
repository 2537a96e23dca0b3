import { defineLayer } from '../layer.ts';
import { batched } from './spatial.ts';

export const Dropout = defineLayer({
  type: 'Dropout',
  label: 'Dropout',
  category: 'regularization',
  help: 'While training, zeroes each value with probability `rate` and scales the rest by 1/(1-rate); does nothing at inference.',
  params: {
    rate: { kind: 'float', default: 0.5, min: 0, max: 0.95, help: 'Probability of dropping a value.' },
  },
  inputs: () => 1,
  transparent: true,
  summary: (p) => [{ key: 'rate', params: { rate: p.rate } }],
  infer: (_p, [x]) => ({ shape: x }),
  lower(ctx, p, [x], [xs]) {
    if (ctx.mode === 'infer' || ctx.frozen || p.rate === 0) return x;
    // The mask is an input drawn from the run's seeded generator, so runs and resumes are exact.
    return ctx.g.op('Mul', [x, ctx.dropoutMask(xs, p.rate)], {}, batched(xs));
  },
  flops: () => 0,
});
