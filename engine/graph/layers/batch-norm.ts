import { numel } from '../../numel.ts';
import { defineLayer } from '../layer.ts';
import { batched } from './spatial.ts';

export const BatchNorm = defineLayer({
  type: 'BatchNorm',
  label: 'BatchNorm',
  category: 'regularization',
  help: 'Normalizes each channel by the batch mean and variance while training (running averages at inference), then scales and shifts by learned gamma and beta.',
  params: {
    momentum: { kind: 'float', default: 0.1, min: 0, max: 1, help: 'Weight of the current batch in the running averages (PyTorch convention).' },
    epsilon: { kind: 'float', default: 1e-5, min: 1e-12, max: 1, help: 'Added to the variance before the square root.' },
  },
  inputs: () => 1,
  transparent: true,
  summary: (p) => `momentum ${p.momentum}`,
  infer: (_p, [x]) => ({ shape: x }),
  weights: (_p, [x]) => [
    { name: 'gamma', shape: [x[0]], init: 'ones', fanIn: 0, fanOut: 0 },
    { name: 'beta', shape: [x[0]], init: 'zeros', fanIn: 0, fanOut: 0 },
  ],
  states: (_p, [x]) => [
    { name: 'running_mean', shape: [x[0]], init: 'zeros' },
    { name: 'running_var', shape: [x[0]], init: 'ones' },
  ],
  lower(ctx, p, [x], [xs]) {
    const { g } = ctx;
    const eps = p.epsilon;
    const rm = ctx.state('running_mean');
    const rv = ctx.state('running_var');
    if (ctx.mode === 'infer') {
      return g.op('BatchNormalization', [x, ctx.weight('gamma'), ctx.weight('beta'), rm.value, rv.value], { epsilon: { f: eps } }, batched(xs));
    }
    // Training: written with primitive ops so autodiff derives the gradient from its rule table.
    const c = xs[0];
    const axes = xs.length === 3 ? [0, 2, 3] : [0];
    const bshape = xs.length === 3 ? [1, c, 1, 1] : [1, c];
    if (ctx.frozen) {
      // Frozen, below a trainable layer: the running statistics as constants, nothing updated.
      const r = (t: string) => g.op('Reshape', [t, g.constI64(bshape)], {}, bshape);
      const scale = g.op('Div', [r(ctx.weight('gamma')), g.op('Sqrt', [g.op('Add', [r(rv.value), g.constF([eps])])])]);
      return g.op('Add', [g.op('Mul', [g.op('Sub', [x, r(rm.value)]), scale]), r(ctx.weight('beta'))]);
    }
    const mean = g.op('ReduceMean', [x], { axes: { ints: axes }, keepdims: { i: 1 } }, bshape);
    const d = g.op('Sub', [x, mean]);
    const v = g.op('ReduceMean', [g.op('Mul', [d, d])], { axes: { ints: axes }, keepdims: { i: 1 } }, bshape);
    const xhat = g.op('Div', [d, g.op('Sqrt', [g.op('Add', [v, g.constF([eps])])])]);
    const gamma = g.op('Reshape', [ctx.weight('gamma'), g.constI64(bshape)], {}, bshape);
    const beta = g.op('Reshape', [ctx.weight('beta'), g.constI64(bshape)], {}, bshape);
    const y = g.op('Add', [g.op('Mul', [xhat, gamma]), beta]);
    // Running statistics (no gradient flows here): PyTorch keeps the unbiased variance.
    const m = p.momentum;
    const count = g.op('Cast', [g.op('Size', [x], {}, [])], { to: { i: 1 } }, []);
    const n = g.op('Div', [count, g.constF([c])]);
    const unbiased = g.op('Mul', [v, g.op('Div', [n, g.op('Sub', [n, g.constF([1])])])]);
    const flat = g.constI64([c]);
    const blend = (old: string, batch: string) =>
      g.op('Add', [g.op('Mul', [old, g.constF([1 - m])]), g.op('Mul', [g.op('Reshape', [batch, flat], {}, [c]), g.constF([m])])]);
    rm.update(blend(rm.value, mean));
    rv.update(blend(rv.value, unbiased));
    return y;
  },
  flops: (_p, [x]) => 2 * numel(x),
});
