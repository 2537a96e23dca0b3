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
  summary: (p) => [{ key: 'momentum', params: { momentum: p.momentum } }],
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
    // Inference, and a frozen BatchNorm in training (below a trainable layer, gradients pass
    // through): the running statistics as they are, nothing updated.
    if (ctx.mode === 'infer' || ctx.frozen) {
      return g.op('BatchNormalization', [x, ctx.weight('gamma'), ctx.weight('beta'), rm.value, rv.value], { epsilon: { f: eps } }, batched(xs));
    }
    // Training: one BatchNormalization in training mode, momentum 0, so its second and third
    // outputs are the batch mean and biased variance (the running averages are blended below, as
    // PyTorch does); its gradient is one rule (engine/autodiff/batchnorm-grad.ts).
    const c = xs[0];
    // Its mean and variance inputs (multiplied by momentum 0) are zeros computed in the step, not
    // constants: ONNX Runtime writes those two outputs into the input buffers (the kernel aliases
    // them), and with constants it would overwrite an initializer that its ConstantSharing pass
    // shares with every other zero vector of that size (wrong gradients, test/autodiff/gradcheck).
    const zeros = (t: string) => g.op('Sub', [t, t], {}, [c]);
    const [gamma, beta] = [ctx.weight('gamma'), ctx.weight('beta')];
    const [y, mean, v] = g.opN('BatchNormalization', [x, gamma, beta, zeros(gamma), zeros(beta)], 3,
      { epsilon: { f: eps }, momentum: { f: 0 }, training_mode: { i: 1 } }, [batched(xs), [c], [c]]);
    // Running statistics (no gradient flows here): PyTorch keeps the unbiased variance.
    const m = p.momentum;
    const count = g.op('Cast', [g.op('Size', [x], {}, [])], { to: { i: 1 } }, []);
    const n = g.op('Div', [count, g.constF([c])]);
    const unbiased = g.op('Mul', [v, g.op('Div', [n, g.op('Sub', [n, g.constF([1])])])]);
    const blend = (old: string, batch: string) => g.op('Add', [g.op('Mul', [old, g.constF([1 - m])]), g.op('Mul', [batch, g.constF([m])])]);
    rm.update(blend(rm.value, mean));
    rv.update(blend(rv.value, unbiased));
    return y;
  },
  flops: (_p, [x]) => 2 * numel(x),
});
