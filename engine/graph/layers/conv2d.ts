import { numel } from '../../numel.ts';
import { defineLayer, type ParamsOf, type WeightSpec } from '../layer.ts';
import { batched, onnxPads, slide } from './spatial.ts';

const params = {
  filters: { kind: 'int', default: 32, min: 1, max: 4096, help: 'Number of filters (output channels).' },
  kernel: { kind: 'int', default: 3, min: 1, max: 31, help: 'Filter size (square), in pixels; its height when kernelW is set.' },
  kernelW: { kind: 'int', default: 0, min: 0, max: 31, help: 'Filter width when it differs from the height (0: square, kernel x kernel).' },
  stride: { kind: 'int', default: 1, min: 1, max: 16, help: 'Step between filter positions.' },
  padding: { kind: 'enum', default: 'same', options: ['valid', 'same', 'explicit'], help: "'same' keeps the size (at stride 1), 'valid' adds none, 'explicit' adds `pad` pixels on every side." },
  pad: { kind: 'int', default: 0, min: 0, max: 31, help: "Pixels of zero padding per side when padding is 'explicit'." },
  dilation: { kind: 'int', default: 1, min: 1, max: 16, help: 'Spacing between filter taps.' },
  groups: { kind: 'int', default: 1, min: 1, max: 4096, help: 'Split channels into groups convolved separately (input and output channels must divide by it).' },
  bias: { kind: 'bool', default: true, help: 'Add a learned bias per filter.' },
} as const;

export const Conv2D = defineLayer({
  type: 'Conv2D',
  label: 'Conv2D',
  category: 'convolution',
  help: 'Slides learned filters over the image; each filter makes one output channel.',
  params,
  inputs: () => 1,
  summary: (p) => [
    { key: 'filters', params: { n: p.filters } },
    { key: 'kernel', params: { h: p.kernel, w: kw(p) } },
    { key: 'stride', params: { n: p.stride } },
    p.padding === 'explicit' ? { key: 'pad', params: { n: p.pad } } : { key: 'padding', params: { mode: p.padding } },
  ],
  infer(p, [x]) {
    if (x.length !== 3) return { problem: { code: 'rank', params: { form: 'image', layer: 'Conv2D', features: x[0] }, message: `Conv2D needs an image input [C, H, W], but gets a vector of ${x[0]} features` } };
    const g = p.groups;
    if (x[0] % g) return { problem: { param: 'groups', code: 'groups', params: { form: 'channels', n: x[0], groups: g }, message: `input channels (${x[0]}) do not divide by groups (${g})` } };
    if (p.filters % g) return { problem: { param: 'groups', code: 'groups', params: { form: 'filters', n: p.filters, groups: g }, message: `filters (${p.filters}) do not divide by groups (${g})` } };
    const args = [p.stride, p.dilation, p.padding, p.pad] as const;
    const h = slide(x[1], p.kernel, ...args);
    const w = slide(x[2], kw(p), ...args);
    for (const r of [h, w]) {
      if (typeof r === 'string') {
        return { problem: { param: 'kernel', code: 'kernel-too-large', params: { form: 'conv', k: p.kernel, kw: kw(p), h: x[1], w: x[2] }, message: `kernel ${p.kernel}x${kw(p)}: ${r} ${x[1]}x${x[2]}; use a smaller kernel or padding 'same'`, fix: { kind: 'set-param', param: 'padding', value: 'same' } } };
      }
    }
    return { shape: [p.filters, (h as { out: number }).out, (w as { out: number }).out] };
  },
  weights(p, [x]) {
    const k = p.kernel;
    const k2 = kw(p);
    const f = p.filters;
    const g = p.groups;
    const ws: WeightSpec[] = [{ name: 'W', shape: [f, x[0] / g, k, k2], init: 'fan', fanIn: (x[0] / g) * k * k2, fanOut: (f / g) * k * k2 }];
    if (p.bias) ws.push({ name: 'B', shape: [f], init: 'zeros', fanIn: 0, fanOut: 0 });
    return ws;
  },
  lower(ctx, p, [x], [xs], out) {
    const args = [p.stride, p.dilation, p.padding, p.pad] as const;
    const h = slide(xs[1], p.kernel, ...args);
    const w = slide(xs[2], kw(p), ...args);
    if (typeof h === 'string' || typeof w === 'string') throw new Error('conv window does not fit; shape inference should have caught it');
    const k = p.kernel;
    const ins = [x, ctx.weight('W')];
    if (p.bias) ins.push(ctx.weight('B'));
    return ctx.g.op('Conv', ins, {
      kernel_shape: { ints: [k, kw(p)] },
      strides: { ints: [p.stride, p.stride] },
      dilations: { ints: [p.dilation, p.dilation] },
      pads: { ints: onnxPads(h, w) },
      group: { i: p.groups },
    }, batched(out));
  },
  flops: (p, [x], out) => numel(out) * (2 * (x[0] / p.groups) * p.kernel * kw(p) + (p.bias ? 1 : 0)),
});

/** The filter width: kernelW, or the kernel size when it is 0 (square). */
const kw = (p: ParamsOf<typeof params>): number => p.kernelW || p.kernel;
