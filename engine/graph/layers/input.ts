import { batched } from './spatial.ts';
import type { LayerDef, Params, ParamSpec } from '../layer.ts';

const CHANNEL = ['red, or gray', 'green', 'blue'];
const channelParams = (kind: 'mean' | 'std'): Record<string, ParamSpec> =>
  Object.fromEntries(
    CHANNEL.map((c, i) => [
      `${kind}${i}`,
      {
        kind: 'float',
        default: kind === 'mean' ? 0 : 1,
        min: kind === 'mean' ? -1000 : 1e-6,
        max: 1000,
        help: `Per-channel ${kind === 'mean' ? 'mean subtracted from' : 'std dividing'} the scaled pixel, channel ${i} (${c}); in the units of \`scale\`.`,
      },
    ]),
  );

export const Input: LayerDef = {
  type: 'Input',
  label: 'Image input',
  category: 'input',
  help: 'A batch of images: each pixel scaled (x/255 by default, so [0, 1]), then (x - mean) / std per channel. Every image is resized to this height and width.',
  params: {
    height: { kind: 'int', default: 28, min: 1, max: 4096, help: 'Image height in pixels.' },
    width: { kind: 'int', default: 28, min: 1, max: 4096, help: 'Image width in pixels.' },
    color: { kind: 'enum', default: 'grayscale', options: ['grayscale', 'rgb'], help: 'Grayscale (1 channel) or RGB (3 channels).' },
    scale: { kind: 'enum', default: '0-1', options: ['0-1', '0-255'], help: "Pixel range before mean/std: '0-1' (x/255) or '0-255' (x)." },
    ...channelParams('mean'),
    ...channelParams('std'),
  },
  inputs: () => 0,
  summary: (p) => [
    { key: 'image-size', params: { h: p.height as number, w: p.width as number } },
    { key: 'color', params: { color: p.color === 'rgb' ? 'rgb' : 'grayscale' } },
    ...(isPlain(p) ? [] : [{ key: 'normalized' } as const]),
  ],
  infer: (p) => ({ shape: [p.color === 'rgb' ? 3 : 1, p.height as number, p.width as number] }),
  lower: (ctx, _p, _i, _s, out) => ctx.g.input('input', 'float32', batched(out)),
  flops: () => 0,
};

/** Whether the Input applies nothing but x/255. */
export function isPlain(p: Params): boolean {
  const c = p.color === 'rgb' ? 3 : 1;
  if ((p.scale ?? '0-1') !== '0-1') return false;
  for (let i = 0; i < c; i++) if ((p[`mean${i}`] ?? 0) !== 0 || (p[`std${i}`] ?? 1) !== 1) return false;
  return true;
}

/**
 * The Input's preprocessing as the data pipeline's normalization, input = (pixel/255 - mean) / std
 * (engine/data/batches.ts): a '0-255' scale folds into mean and std divided by 255.
 */
export function inputNormalization(p: Params): { mean: number[]; std: number[] } {
  const c = p.color === 'rgb' ? 3 : 1;
  const k = p.scale === '0-255' ? 255 : 1;
  const mean: number[] = [];
  const std: number[] = [];
  for (let i = 0; i < c; i++) {
    mean.push(((p[`mean${i}`] as number | undefined) ?? 0) / k);
    std.push(((p[`std${i}`] as number | undefined) ?? 1) / k);
  }
  return { mean, std };
}
