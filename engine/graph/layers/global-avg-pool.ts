import { numel } from '../../numel.ts';
import { defineLayer } from '../layer.ts';
import { batched } from './spatial.ts';

export const GlobalAvgPool = defineLayer({
  type: 'GlobalAvgPool',
  label: 'Global average pool',
  category: 'pooling',
  help: 'Averages each channel over the whole image, giving one value per channel (a vector).',
  params: {},
  inputs: () => 1,
  transparent: true,
  summary: () => [{ key: 'mean-hw' }],
  infer: (_p, [x]) => (x.length === 3 ? { shape: [x[0]] } : { problem: { code: 'rank', params: { form: 'image', layer: 'GlobalAvgPool', features: x[0] }, message: `GlobalAvgPool needs an image input [C, H, W], but gets a vector of ${x[0]} features` } }),
  lower(ctx, _p, [x], [xs], out) {
    const pooled = ctx.g.op('GlobalAveragePool', [x], {}, batched([xs[0], 1, 1]));
    return ctx.g.op('Flatten', [pooled], { axis: { i: 1 } }, batched(out));
  },
  flops: (_p, [x]) => numel(x),
});
