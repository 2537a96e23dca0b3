import { num, str, type LayerDef, type Params, type WeightSpec } from '../layer.ts';
import { batched, onnxPads, prod, slide } from './spatial.ts';

export const Conv2D: LayerDef = {
  type: 'Conv2D',
  label: 'Conv2D',
  category: 'convolution',
  help: 'Slides learned filters over the image; each filter makes one output channel.',
  params: {
    filters: { kind: 'int', default: 32, min: 1, max: 4096, help: 'Number of filters (output channels).' },
    kernel: { kind: 'int', default: 3, min: 1, max: 31, help: 'Filter size (square), in pixels; its height when kernelW is set.' },
    kernelW: { kind: 'int', default: 0, min: 0, max: 31, help: 'Filter width when it differs from the height (0: square, kernel x kernel).' },
    stride: { kind: 'int', default: 1, min: 1, max: 16, help: 'Step between filter positions.' },
    padding: { kind: 'enum', default: 'same', options: ['valid', 'same', 'explicit'], help: "'same' keeps the size (at stride 1), 'valid' adds none, 'explicit' adds `pad` pixels on every side." },
    pad: { kind: 'int', default: 0, min: 0, max: 31, help: "Pixels of zero padding per side when padding is 'explicit'." },
    dilation: { kind: 'int', default: 1, min: 1, max: 16, help: 'Spacing between filter taps.' },
    groups: { kind: 'int', default: 1, min: 1, max: 4096, help: 'Split channels into groups convolved separately (input and output channels must divide by it).' },
    bias: { kind: 'bool', default: true, help: 'Add a learned bias per filter.' },
  },
  inputs: () => 1,
  summary: (p) => `${p.filters} · ${p.kernel}x${kw(p)} · s${p.stride} · ${p.padding === 'explicit' ? `pad ${p.pad}` : p.padding}`,
  infer(p, [x]) {
    if (x.length !== 3) return { problem: { code: 'rank', params: { form: 'image', layer: 'Conv2D', features: x[0] }, message: `Conv2D needs an image input [C, H, W], but gets a vector of ${x[0]} features` } };
    const g = num(p, 'groups');
    if (x[0] % g) return { problem: { param: 'groups', code: 'groups', params: { form: 'channels', n: x[0], groups: g }, message: `input channels (${x[0]}) do not divide by groups (${g})` } };
    if (num(p, 'filters') % g) return { problem: { param: 'groups', code: 'groups', params: { form: 'filters', n: num(p, 'filters'), groups: g }, message: `filters (${p.filters}) do not divide by groups (${g})` } };
    const args = [num(p, 'stride'), num(p, 'dilation'), str(p, 'padding'), num(p, 'pad')] as const;
    const h = slide(x[1], num(p, 'kernel'), ...args);
    const w = slide(x[2], kw(p), ...args);
    for (const r of [h, w]) {
      if (typeof r === 'string') {
        return { problem: { param: 'kernel', code: 'kernel-too-large', params: { form: 'conv', k: num(p, 'kernel'), kw: kw(p), h: x[1], w: x[2] }, message: `kernel ${p.kernel}x${kw(p)}: ${r} ${x[1]}x${x[2]}; use a smaller kernel or padding 'same'`, fix: { kind: 'set-param', param: 'padding', value: 'same' } } };
      }
    }
    return { shape: [num(p, 'filters'), (h as { out: number }).out, (w as { out: number }).out] };
  },
  weights(p, [x]) {
    const k = num(p, 'kernel');
    const k2 = kw(p);
    const f = num(p, 'filters');
    const g = num(p, 'groups');
    const ws: WeightSpec[] = [{ name: 'W', shape: [f, x[0] / g, k, k2], init: 'fan', fanIn: (x[0] / g) * k * k2, fanOut: (f / g) * k * k2 }];
    if (p.bias) ws.push({ name: 'B', shape: [f], init: 'zeros', fanIn: 0, fanOut: 0 });
    return ws;
  },
  lower(ctx, p, [x], [xs], out) {
    const args = [num(p, 'stride'), num(p, 'dilation'), str(p, 'padding'), num(p, 'pad')] as const;
    const h = slide(xs[1], num(p, 'kernel'), ...args);
    const w = slide(xs[2], kw(p), ...args);
    if (typeof h === 'string' || typeof w === 'string') throw new Error('conv window does not fit; shape inference should have caught it');
    const k = num(p, 'kernel');
    const ins = [x, ctx.weight('W')];
    if (p.bias) ins.push(ctx.weight('B'));
    return ctx.g.op('Conv', ins, {
      kernel_shape: { ints: [k, kw(p)] },
      strides: { ints: [num(p, 'stride'), num(p, 'stride')] },
      dilations: { ints: [num(p, 'dilation'), num(p, 'dilation')] },
      pads: { ints: onnxPads(h, w) },
      group: { i: num(p, 'groups') },
    }, batched(out));
  },
  flops: (p, [x], out) => prod(out) * (2 * (x[0] / num(p, 'groups')) * num(p, 'kernel') * kw(p) + (p.bias ? 1 : 0)),
};

/** The filter width: kernelW, or the kernel size when it is 0 (square). */
const kw = (p: Params): number => num(p, 'kernelW') || num(p, 'kernel');
