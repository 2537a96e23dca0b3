import { numel } from '../../numel.ts';
import { defineLayer } from '../layer.ts';
import { batched } from './spatial.ts';

export const Flatten = defineLayer({
  type: 'Flatten',
  label: 'Flatten',
  category: 'dense',
  help: 'Turns an image [C, H, W] into a vector of C·H·W features, so Dense layers can follow.',
  params: {},
  inputs: () => 1,
  summary: () => [{ key: 'to-vector' }],
  infer: (_p, [x]) => ({ shape: [numel(x)] }),
  lower: (ctx, _p, [x], _s, out) => ctx.g.op('Flatten', [x], { axis: { i: 1 } }, batched(out)),
  flops: () => 0,
});
