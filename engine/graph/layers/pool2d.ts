// MaxPool2D and AvgPool2D: one window rule, two ONNX ops.
import { num, str, type LayerDef, type Params, type Shape } from '../layer.ts';
import { batched, onnxPads, prod, slide, tilesExactly } from './spatial.ts';

function windows(p: Params, x: Shape) {
  const args = [num(p, 'size'), num(p, 'stride'), 1, str(p, 'padding')] as const;
  return [slide(x[1], ...args), slide(x[2], ...args)];
}

function pool(type: 'MaxPool2D' | 'AvgPool2D', op: 'MaxPool' | 'AveragePool', help: string): LayerDef {
  return {
    type,
    label: type,
    category: 'pooling',
    help,
    params: {
      size: { kind: 'int', default: 2, min: 1, max: 31, help: 'Window size (square), in pixels.' },
      stride: { kind: 'int', default: 2, min: 1, max: 31, help: 'Step between windows.' },
      padding: { kind: 'enum', default: 'valid', options: ['valid', 'same'], help: "'valid' drops the border that does not fill a window, 'same' pads so every pixel is covered." },
    },
    inputs: () => 1,
    transparent: true,
    summary: (p) => `${p.size}x${p.size} · s${p.stride} · ${p.padding}`,
    infer(p, [x]) {
      if (x.length !== 3) return { problem: { code: 'rank', message: `${type} needs an image input [C, H, W], but gets a vector of ${x[0]} features` } };
      const [h, w] = windows(p, x);
      if (typeof h === 'string' || typeof w === 'string') {
        return { problem: { param: 'size', code: 'kernel-too-large', message: `pool ${p.size}x${p.size}: ${typeof h === 'string' ? h : w} ${x[1]}x${x[2]}`, fix: { kind: 'set-param', param: 'padding', value: 'same' } } };
      }
      return { shape: [x[0], h.out, w.out] };
    },
    lower(ctx, p, [x], [xs], out) {
      const [h, w] = windows(p, xs);
      if (typeof h === 'string' || typeof w === 'string') throw new Error('pool window does not fit');
      const attrs = {
        kernel_shape: { ints: [num(p, 'size'), num(p, 'size')] },
        strides: { ints: [num(p, 'stride'), num(p, 'stride')] },
        pads: { ints: onnxPads(h, w) },
        ...(op === 'AveragePool' ? { count_include_pad: { i: 1 } } : {}),
      };
      // Training needs to know where each max was. Where the windows tile the input exactly
      // (size = stride, no padding) the gradient rule finds it itself, faster than MaxPool's
      // Indices output (ONNX Runtime computes those in a slow generic loop); otherwise keep Indices.
      const tiles = tilesExactly([xs[1], xs[2]], attrs.kernel_shape.ints, attrs.strides.ints, attrs.pads.ints);
      const n = op === 'MaxPool' && ctx.mode === 'train' && !tiles ? 2 : 1;
      return ctx.g.opN(op, [x], n, attrs, [batched(out), batched(out)])[0];
    },
    flops: (p, _x, out) => prod(out) * num(p, 'size') ** 2,
  };
}

export const MaxPool2D = pool('MaxPool2D', 'MaxPool', 'Keeps the largest value in each window: smaller maps, some translation tolerance.');
export const AvgPool2D = pool('AvgPool2D', 'AveragePool', 'Averages each window (zero padding counts toward the average, as in PyTorch).');
