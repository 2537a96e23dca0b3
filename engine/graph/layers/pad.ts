// Constant padding of an image: PyTorch's ZeroPad2d / ConstantPad2d, and the asymmetric SAME
// padding of older exporters (Pad, then a 'valid' Conv2D or pool).
import { defineLayer } from '../layer.ts';
import { batched } from './spatial.ts';

const side = (where: string) => ({ kind: 'int' as const, default: 1, min: 0, max: 64, help: `Pixels added at the ${where}.` });

export const Pad = defineLayer({
  type: 'Pad',
  label: 'Pad',
  category: 'convolution',
  help: 'Adds a border of constant pixels (zeros by default), each side its own width: ZeroPad2d / ConstantPad2d.',
  params: {
    top: side('top'),
    bottom: side('bottom'),
    left: side('left'),
    right: side('right'),
    value: { kind: 'float', default: 0, min: -1e6, max: 1e6, help: 'Value of the added pixels.' },
  },
  inputs: () => 1,
  transparent: true,
  summary: (p) => [
    { key: 'sides', params: { top: p.top, right: p.right, bottom: p.bottom, left: p.left } },
    ...(p.value ? [{ key: 'fill', params: { value: p.value } } as const] : []),
  ],
  infer(p, [x]) {
    if (x.length !== 3) return { problem: { code: 'rank', params: { form: 'image', layer: 'Pad', features: x[0] }, message: `Pad needs an image input [C, H, W], but gets a vector of ${x[0]} features` } };
    return { shape: [x[0], x[1] + p.top + p.bottom, x[2] + p.left + p.right] };
  },
  lower(ctx, p, [x], _s, out) {
    const { g } = ctx;
    const pads = [0, 0, p.top, p.left, 0, 0, p.bottom, p.right];
    if (pads.every((v) => v === 0)) return g.op('Identity', [x], {}, batched(out));
    return g.op('Pad', [x, g.constI64(pads), g.constF([p.value])], { mode: { s: 'constant' } }, batched(out));
  },
  flops: () => 0,
});
