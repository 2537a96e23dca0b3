// MaxPool2D and AvgPool2D: one window rule, two ONNX ops.
import { numel } from '../../numel.ts';
import { num, str, type LayerDef, type ParamSpec, type Params, type Shape } from '../layer.ts';
import { batched, onnxPads, slide, tilesExactly, type Window } from './spatial.ts';

function windows(p: Params, x: Shape) {
  const args = [num(p, 'size'), num(p, 'stride'), 1, str(p, 'padding'), num(p, 'pad'), p.ceil === true] as const;
  return [slide(x[1], ...args), slide(x[2], ...args)];
}

/**
 * PyTorch's divisor of each output position along one axis, where ceil mode's last window
 * hangs past the end padding: the window clipped to the padded input (count_include_pad).
 */
function paddedCounts(size: number, k: number, s: number, win: Window): number[] {
  const p = win.padBegin;
  return Array.from({ length: win.out }, (_, o) => Math.min(o * s - p + k, size + win.padEnd - win.over) - (o * s - p));
}

function pool(type: 'MaxPool2D' | 'AvgPool2D', op: 'MaxPool' | 'AveragePool', help: string): LayerDef {
  const avg = op === 'AveragePool';
  const params: Record<string, ParamSpec> = {
    size: { kind: 'int', default: 2, min: 1, max: 31, help: 'Window size (square), in pixels.' },
    stride: { kind: 'int', default: 2, min: 1, max: 31, help: 'Step between windows.' },
    padding: { kind: 'enum', default: 'valid', options: ['valid', 'same', 'explicit'], help: "'valid' drops the border that does not fill a window, 'same' pads so every pixel is covered, 'explicit' adds `pad` pixels on every side." },
    pad: { kind: 'int', default: 0, min: 0, max: 30, help: `Pixels of padding per side when padding is 'explicit' (less than the window size${avg ? '' : '; padding never wins the max'}).` },
    ceil: { kind: 'bool', default: false, help: "Round the output size up (PyTorch's ceil_mode): a last, partial window covers the leftover border. For 'valid' and 'explicit' padding." },
  };
  if (avg) params.countPad = { kind: 'bool', default: true, help: "Zero padding counts toward the average (PyTorch's count_include_pad); off: average over the pixels inside the image only." };
  return {
    type,
    label: type,
    category: 'pooling',
    help,
    params,
    inputs: () => 1,
    transparent: true,
    summary: (p) => [
      { key: 'kernel', params: { h: num(p, 'size'), w: num(p, 'size') } },
      { key: 'stride', params: { n: num(p, 'stride') } },
      p.padding === 'explicit' ? { key: 'pad', params: { n: num(p, 'pad') } } : { key: 'padding', params: { mode: str(p, 'padding') } },
      ...(p.ceil ? [{ key: 'ceil' } as const] : []),
      ...(avg && p.countPad === false ? [{ key: 'pixels-only' } as const] : []),
    ],
    infer(p, [x]) {
      if (x.length !== 3) return { problem: { code: 'rank', params: { form: 'image', layer: type, features: x[0] }, message: `${type} needs an image input [C, H, W], but gets a vector of ${x[0]} features` } };
      if (p.padding === 'explicit' && num(p, 'pad') >= num(p, 'size')) {
        return { problem: { param: 'pad', code: 'pad-too-large', params: { pad: num(p, 'pad'), size: num(p, 'size') }, message: `pad ${p.pad} is not smaller than the ${p.size}x${p.size} window: some windows would see only padding`, fix: { kind: 'set-param', param: 'pad', value: Math.floor(num(p, 'size') / 2) } } };
      }
      const [h, w] = windows(p, x);
      if (typeof h === 'string' || typeof w === 'string') {
        return { problem: { param: 'size', code: 'kernel-too-large', params: { form: 'pool', k: num(p, 'size'), kw: num(p, 'size'), h: x[1], w: x[2] }, message: `pool ${p.size}x${p.size}: ${typeof h === 'string' ? h : w} ${x[1]}x${x[2]}`, fix: { kind: 'set-param', param: 'padding', value: 'same' } } };
      }
      return { shape: [x[0], h.out, w.out] };
    },
    lower(ctx, p, [x], [xs], out) {
      const [h, w] = windows(p, xs);
      if (typeof h === 'string' || typeof w === 'string') throw new Error('pool window does not fit');
      const k = num(p, 'size');
      const s = num(p, 'stride');
      const countPad = p.countPad !== false;
      // Ceil mode as a floor-mode window over extra end padding (spatial.ts, slide): exact for
      // the max and for averages over pixels only; counting padding, PyTorch leaves the
      // overhang out of the divisor, so those windows are rescaled by k² / (their padded count).
      const attrs = {
        kernel_shape: { ints: [k, k] },
        strides: { ints: [s, s] },
        pads: { ints: onnxPads(h, w) },
        ...(avg ? { count_include_pad: { i: countPad ? 1 : 0 } } : {}),
      };
      if (avg) {
        const y = ctx.g.op(op, [x], attrs, batched(out));
        if (!countPad || (!h.over && !w.over)) return y;
        const rows = paddedCounts(xs[1], k, s, h);
        const cols = paddedCounts(xs[2], k, s, w);
        const scale = ctx.g.constF(rows.flatMap((r) => cols.map((c) => (k * k) / (r * c))), [h.out, w.out]);
        return ctx.g.op('Mul', [y, scale], {}, batched(out));
      }
      // Training needs to know where each max was. Where the windows tile the input exactly
      // (size = stride, no padding) the gradient rule finds it itself, faster than MaxPool's
      // Indices output (ONNX Runtime computes those in a slow generic loop); otherwise keep Indices.
      const tiles = tilesExactly([xs[1], xs[2]], attrs.kernel_shape.ints, attrs.strides.ints, attrs.pads.ints);
      const n = ctx.mode === 'train' && !tiles ? 2 : 1;
      return ctx.g.opN(op, [x], n, attrs, [batched(out), batched(out)])[0];
    },
    flops: (p, _x, out) => numel(out) * num(p, 'size') ** 2,
  };
}

export const MaxPool2D = pool('MaxPool2D', 'MaxPool', 'Keeps the largest value in each window: smaller maps, some translation tolerance.');
export const AvgPool2D = pool('AvgPool2D', 'AveragePool', 'Averages each window (by default zero padding counts toward the average, as in PyTorch).');
