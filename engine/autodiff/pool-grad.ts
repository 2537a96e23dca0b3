// Pooling gradients for the MaxPool and AveragePool rules (rules.ts). Measurements:
// bench/README.md, "Gradient rules".
import { BATCH, type GraphBuilder } from '../onnx/builder.ts';
import type { NodeIR } from '../onnx/model.ts';
import { tilesExactly } from '../graph/layers/spatial.ts';
import { int, ints, outputPadding, pick } from './grad-util.ts';

/**
 * MaxPool's Indices (flat positions in X, as ONNX defines them) for windows that tile X
 * exactly: X viewed as [N, C, Ho, Wo, k·k] windows, ArgMax picks each window's first max in
 * row-major order, the same position PyTorch and MaxPool's own Indices pick on ties; then
 * window offset + window origin + plane offset. Faster than MaxPool with Indices (measured).
 */
function windowArgmaxIndices(g: GraphBuilder, x: string, k: number[], s: number[], pads: number[]): string {
  const [, ch, h, w] = g.shape(x) as number[];
  const [kh, kw] = k;
  const ho = h / kh;
  const wo = w / kw;
  if (!tilesExactly([h, w], k, s, pads)) {
    throw new Error('MaxPool gradient without Indices needs windows that tile the input (size = stride, no padding)');
  }
  const win = g.op('Reshape', [x, g.constI64([0, ch, ho, kh, wo, kw])], {}, [BATCH, ch, ho, kh, wo, kw]);
  const grouped = g.op('Transpose', [win], { perm: { ints: [0, 1, 2, 4, 3, 5] } }, [BATCH, ch, ho, wo, kh, kw]);
  const flat = g.op('Reshape', [grouped, g.constI64([0, ch, ho, wo, kh * kw])], {}, [BATCH, ch, ho, wo, kh * kw]);
  const arg = g.op('ArgMax', [flat], { axis: { i: -1 }, keepdims: { i: 0 } }, [BATCH, ch, ho, wo]);
  // Window position p → offset (p div kw)·W + p mod kw = p + (p div kw)·(W − kw) (integer
  // arithmetic: a Gather from a table of offsets was slower); window (i, j) → origin i·kh·W + j·kw.
  const row = g.op('Div', [arg, g.constI64([kw], [])], {}, [BATCH, ch, ho, wo]);
  const offset = g.op('Add', [arg, g.op('Mul', [row, g.constI64([w - kw], [])], {}, [BATCH, ch, ho, wo])], {}, [BATCH, ch, ho, wo]);
  const origins = g.constI64(Array.from({ length: ho * wo }, (_, q) => Math.floor(q / wo) * kh * w + (q % wo) * kw), [ho, wo]);
  // Plane (n, c) → offset (n·C + c)·H·W, for the batch size this run has.
  const planes = g.op('Mul', [g.op('Shape', [x], { start: { i: 0 }, end: { i: 1 } }, [1]), g.constI64([ch * h * w])], {}, [1]);
  const starts = g.op('Range', [g.constI64([0], []), g.op('Squeeze', [planes, g.constI64([0])], {}, []), g.constI64([h * w], [])], {}, ['P']);
  const planeOffsets = g.op('Reshape', [starts, g.constI64([-1, ch, 1, 1])], {}, [BATCH, ch, 1, 1]);
  const within = g.op('Add', [offset, origins], {}, [BATCH, ch, ho, wo]);
  return g.op('Add', [within, planeOffsets], {}, [BATCH, ch, ho, wo]);
}


/**
 * dX of a MaxPool: each pooled gradient goes back to the position its max came from: the
 * Indices output, or, for windows that tile the input exactly, the first max of each window
 * found by windowArgmaxIndices.
 */
export function maxPoolGrad(g: GraphBuilder, n: NodeIR, dy: string): string {
  const [x] = n.inputs;
  const k = ints(n, 'kernel_shape');
  const s = ints(n, 'strides', [1, 1]);
  const xShape = g.op('Shape', [x], {}, [4]);
  const idx = n.outputs[1] ?? windowArgmaxIndices(g, x, k, s, ints(n, 'pads', [0, 0, 0, 0]));
  if (s[0] >= k[0] && s[1] >= k[1]) {
    // Windows do not overlap, so no position receives two gradients: MaxUnpool scatters exactly.
    return g.op('MaxUnpool', [dy, idx, xShape], pick(n, ['kernel_shape', 'strides', 'pads']), g.shape(x));
  }
  const flat = g.constI64([1, -1]);
  const zeros = g.op('ConstantOfShape', [g.op('Shape', [g.op('Reshape', [x, flat])])], { value: { t: { name: 'zero', dtype: 'float32', dims: [1], data: new Float32Array(1) } } });
  const scattered = g.op('ScatterElements', [zeros, g.op('Reshape', [idx, flat]), g.op('Reshape', [dy, flat])], { axis: { i: 1 }, reduction: { s: 'add' } });
  return g.op('Reshape', [scattered, xShape], {}, g.shape(x));
}

/**
 * dX of an AveragePool: every input position in a window receives dY/k² (count_include_pad):
 * a depthwise ConvTranspose with a constant kernel does exactly that, overlaps included.
 * Without count_include_pad, each window's dY is first divided by the pixels it covers inside
 * X (a constant map: shapes are static) and spread with a kernel of ones.
 */
export function averagePoolGrad(g: GraphBuilder, n: NodeIR, dy: string): string {
  const [x] = n.inputs;
  if (int(n, 'ceil_mode', 0)) throw new Error('AveragePool gradient assumes ceil_mode=0 (pool2d.ts lowers ceil mode as extra padding)');
  const ch = g.shape(x)[1] as number;
  const [kh, kw] = ints(n, 'kernel_shape');
  let tap = 1 / (kh * kw);
  if (int(n, 'count_include_pad', 0) !== 1) {
    const [, , h, w] = g.shape(x) as number[];
    const [, , ho, wo] = g.shape(n.outputs[0]) as number[];
    const [sh, sw] = ints(n, 'strides', [1, 1]);
    const [pt, pl] = ints(n, 'pads', [0, 0, 0, 0]);
    const inside = (o: number, s: number, p: number, k: number, size: number) => Math.min(o * s - p + k, size) - Math.max(o * s - p, 0);
    const scale: number[] = [];
    for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) scale.push(1 / (inside(i, sh, pt, kh, h) * inside(j, sw, pl, kw, w)));
    dy = g.op('Mul', [dy, g.constF(scale, [ho, wo])], {}, g.shape(dy));
    tap = 1;
  }
  const kernel = g.constF(new Array(ch * kh * kw).fill(tap), [ch, 1, kh, kw]);
  return g.op('ConvTranspose', [dy, kernel], {
    ...pick(n, ['strides', 'pads', 'kernel_shape']),
    group: { i: ch },
    output_padding: { ints: outputPadding(g, x, n.outputs[0], n) },
  }, g.shape(x));
}
