import { batched } from './spatial.ts';
import type { LayerDef } from '../layer.ts';

export const Input: LayerDef = {
  type: 'Input',
  label: 'Image input',
  category: 'input',
  help: 'A batch of images, scaled to [0, 1] (x/255). Every image is resized to this height and width.',
  params: {
    height: { kind: 'int', default: 28, min: 1, max: 4096, help: 'Image height in pixels.' },
    width: { kind: 'int', default: 28, min: 1, max: 4096, help: 'Image width in pixels.' },
    color: { kind: 'enum', default: 'grayscale', options: ['grayscale', 'rgb'], help: 'Grayscale (1 channel) or RGB (3 channels).' },
  },
  inputs: () => 0,
  summary: (p) => `${p.height}x${p.width} · ${p.color === 'rgb' ? 'RGB' : 'gray'}`,
  infer: (p) => ({ shape: [p.color === 'rgb' ? 3 : 1, p.height as number, p.width as number] }),
  lower: (ctx, _p, _i, _s, out) => ctx.g.input('input', 'float32', batched(out)),
  flops: () => 0,
};
