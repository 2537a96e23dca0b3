// Every gradient rule, one op at a time: for each op in the rule table (engine/autodiff/rules.ts)
// a one-node graph, differentiated by buildGradients, run in ONNX Runtime, and its gradient of
// L = Σ y·dY checked against (a) central finite differences element by element, and (b) PyTorch
// 1.13 (float64, all cases in one python call; skipped with a message without python3-torch),
// at ordinary values, at zero, at ties and at large values. Test names start with the op, so a
// wrong rule is found by name; a rule without a case fails the first test.
//
// Conventions where the function has a kink (no derivative; finite differences do not apply there,
// so these cases check the convention written out below, and PyTorch's, instead):
// - Relu, LeakyRelu, Elu, PRelu at exactly 0: the negative side's slope (0, alpha, alpha, slope).
// - Clip at exactly min or max: 0 (PyTorch's hardtanh / ReLU6; torch.clamp would pass 1).
// - MaxPool with tied maxima: the first maximum of the window in row-major order receives the
//   window's whole gradient (windows that overlap add up).
// - Sqrt at 0: dY / (2·√0), ±infinity with dY's sign.
// Finite differences mirror engine/train/gradcheck.ts (central differences, its float32
// noise bound), per element instead of per direction: gradientCheck works on whole documents
// through a training step, this on one ONNX node.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildGradients } from '../../engine/autodiff/backward.ts';
import { NCHWC_DOMAIN } from '../../engine/autodiff/nchwc.ts';
import { GRAD_RULES, type DiffOp } from '../../engine/autodiff/rules.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { BATCH, GraphBuilder } from '../../engine/onnx/builder.ts';
import { encodeModel, OPSET, type Attr, type Dim } from '../../engine/onnx/model.ts';
import { nchwcBlockSize, ort, sessionOptions } from '../../engine/train/ort.ts';
import { PYTHON, torchAvailable } from '../torch/torch.ts';

type Kind = 'ordinary' | 'zero' | 'ties' | 'large';

interface In {
  name: string;
  shape: number[];
  data: number[];
  /** false: a constant of the graph (Clip bounds, Pad value), no gradient. */
  grad?: boolean;
  /** A graph input that takes no gradient (BatchNorm's statistics inputs). */
  feed?: boolean;
  /** An int64 constant (Reshape's shape, Pad's pads). */
  int64?: boolean;
  /** Dimension 0 is the batch (declared as N, as the layers declare it). */
  batched?: boolean;
}

type Values = Record<string, number[]>;

interface Case {
  op: DiffOp;
  kind: Kind;
  what?: string;
  inputs: In[];
  attrs?: Record<string, Attr>;
  /** Outputs of the node (MaxPool with Indices: 2); gradients flow into the first. */
  outputs?: number;
  /** The same op in PyTorch, over the inputs by name (F: torch.nn.functional). */
  torch: string;
  /** Whether finite differences apply (false at a kink: `expect` gives the convention). */
  fd?: boolean;
  expect?: (v: Values, dy: number[], yDims: number[]) => Values;
  eps?: number;
  /** NCHWc block size the rule may use (the Conv rule's blocked weight gradient). */
  block?: number;
  /** Ops the gradient graph must contain: the strategy this case is there to cover. */
  uses?: string[];
  /** Whether dimension 0 of the output is the batch (default: when an input's is). */
  yBatched?: boolean;
}

const rng = new Rng(17);
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
const normal = (s: number[]) => Array.from({ length: numel(s) }, () => rng.normal());
/** |x| ≥ 0.2: away from the kinks at 0. */
const away = (s: number[]) => normal(s).map((v) => Math.sign(v || 1) * (0.2 + Math.abs(v)));
const positive = (s: number[]) => normal(s).map((v) => 0.5 + Math.abs(v));
/** Distinct values 0.1 apart, shuffled: no ties, no near-ties. */
function distinct(s: number[]): number[] {
  const n = numel(s);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
}
/** Large values: |x| ≥ 1000. */
const large = (s: number[]) => away(s).map((v) => Math.sign(v) * 1000 * (1 + Math.abs(v)));
/** Values for `kind`: zeros, large ones, or `ordinary`'s. */
function gen(kind: Kind, s: number[], ordinary: (s: number[]) => number[] = normal): number[] {
  if (kind === 'zero') return new Array(numel(s)).fill(0);
  // Distinct values stay 1000 apart (softmax, max pool), so that steps of 1% of |x| keep their order.
  if (kind === 'large') return ordinary === distinct ? distinct(s).map((v) => v * 1e4) : large(s);
  return ordinary(s);
}
/** Exact zeros mixed with values away from 0 (the kink cases). */
const zerosAmong = (s: number[]) => away(s).map((v, i) => (i % 3 === 0 ? 0 : v));

const X = (shape: number[], data: number[], name = 'x'): In => ({ name, shape, data, batched: true });
const W = (shape: number[], data: number[], name: string): In => ({ name, shape, data });
const ints = (v: number[]): Attr => ({ ints: v });
const int = (v: number): Attr => ({ i: v });
const float = (v: number): Attr => ({ f: v });
const KINDS3: Kind[] = ['ordinary', 'zero', 'large'];

/** dx = dY · slope(x), elementwise: the conventions at kinks. */
const pointwise = (slope: (x: number, i: number) => number) => (v: Values, dy: number[]) => ({ x: v.x.map((x, i) => dy[i] * slope(x, i)) });

/** MaxPool's gradient by its convention: each window's first maximum (row-major) gets dY. */
function maxPoolExpect(k: number[], s: number[], p: number[], [h, w]: number[]) {
  return (v: Values, dy: number[], [n, c, ho, wo]: number[]): Values => {
    const dx = new Array(v.x.length).fill(0);
    let o = 0;
    for (let b = 0; b < n * c; b++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++, o++) {
          let best = -1;
          for (let a = 0; a < k[0]; a++) {
            for (let e = 0; e < k[1]; e++) {
              const r = i * s[0] - p[0] + a;
              const q = j * s[1] - p[1] + e;
              if (r < 0 || q < 0 || r >= h || q >= w) continue;
              const at = b * h * w + r * w + q;
              if (best < 0 || v.x[at] > v.x[best]) best = at;
            }
          }
          dx[best] += dy[o];
        }
      }
    }
    return { x: dx };
  };
}

const block = await nchwcBlockSize();

function cases(): Case[] {
  const out: Case[] = [];
  const add = (c: Case) => out.push(c);

  // At zero, the data input is zero and the weights are not (all zeros would zero every gradient).
  const weights = (kind: Kind): Kind => (kind === 'zero' ? 'ordinary' : kind);

  // Conv: one case per strategy (conv-grad.ts), then zero and large values.
  const conv = (kind: Kind, what: string, xs: number[], ws: number[], attrs: Record<string, Attr>, torch: string, extra: Partial<Case> = {}) =>
    add({ op: 'Conv', kind, what, inputs: [X(xs, gen(kind, xs)), W(ws, gen(weights(kind), ws), 'w'), W([ws[0]], gen(weights(kind), [ws[0]]), 'b')], attrs: { kernel_shape: ints(ws.slice(2)), ...attrs }, torch, ...extra });
  conv('ordinary', 'stride 2: dX by ConvTranspose, dW as a Conv', [2, 3, 6, 6], [4, 3, 3, 3], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }, 'F.conv2d(x, w, b, stride=2, padding=1)', { uses: ['ConvTranspose'] });
  conv('ordinary', 'C ≥ F: dX by the flipped kernel, dW by taps', [2, 8, 5, 5], [4, 8, 3, 3], { pads: ints([1, 1, 1, 1]) }, 'F.conv2d(x, w, b, padding=1)', { uses: ['MatMul'] });
  conv('ordinary', 'depthwise: flipped depthwise dX, grouped dW', [2, 4, 5, 5], [4, 1, 3, 3], { pads: ints([1, 1, 1, 1]), group: int(4) }, 'F.conv2d(x, w, b, padding=1, groups=4)');
  conv('ordinary', 'depthwise, dY ≥ 16×16: dW tap by tap (Mul, ReduceSum)', [1, 2, 16, 16], [2, 1, 3, 3], { pads: ints([1, 1, 1, 1]), group: int(2) }, 'F.conv2d(x, w, b, padding=1, groups=2)', { uses: ['Mul'] });
  conv('ordinary', 'depthwise, stride 2, uneven padding: grouped dW, grouped ConvTranspose dX', [2, 3, 7, 7], [3, 1, 3, 3], { strides: ints([2, 2]), pads: ints([1, 1, 0, 0]), group: int(3) }, 'F.conv2d(F.pad(x, (1, 0, 1, 0)), w, b, stride=2, groups=3)', { uses: ['ConvTranspose'] });
  conv('ordinary', 'grouped, stride 2, dilation 2', [2, 4, 7, 7], [6, 2, 3, 3], { strides: ints([2, 2]), dilations: ints([2, 2]), group: int(2) }, 'F.conv2d(x, w, b, stride=2, dilation=2, groups=2)', { uses: ['ConvTranspose'] });
  conv('ordinary', 'uneven padding', [2, 2, 5, 5], [3, 2, 2, 2], { pads: ints([0, 0, 1, 1]) }, 'F.conv2d(F.pad(x, (0, 1, 0, 1)), w, b)');
  const f = block || 8;
  conv('ordinary', block ? `blocked dW (NCHWc, block ${block})` : 'narrow dW (no NCHWc kernels here: the plain form)', [3, 3, 6, 6], [f, 3, 3, 3], { pads: ints([1, 1, 1, 1]) }, 'F.conv2d(x, w, b, padding=1)', { block, uses: block ? ['ReorderInput'] : [] });
  conv('zero', 'C ≥ F', [2, 8, 5, 5], [4, 8, 3, 3], { pads: ints([1, 1, 1, 1]) }, 'F.conv2d(x, w, b, padding=1)');
  conv('zero', 'stride 2', [2, 3, 6, 6], [4, 3, 3, 3], { strides: ints([2, 2]), pads: ints([1, 1, 1, 1]) }, 'F.conv2d(x, w, b, stride=2, padding=1)');
  conv('large', 'C ≥ F', [2, 8, 5, 5], [4, 8, 3, 3], { pads: ints([1, 1, 1, 1]) }, 'F.conv2d(x, w, b, padding=1)');
  conv('large', 'depthwise', [2, 4, 5, 5], [4, 1, 3, 3], { pads: ints([1, 1, 1, 1]), group: int(4) }, 'F.conv2d(x, w, b, padding=1, groups=4)');

  // Gemm as Dense emits it (transB), and plain.
  for (const kind of KINDS3) {
    add({ op: 'Gemm', kind, what: 'transB', inputs: [X([3, 4], gen(kind, [3, 4])), W([5, 4], gen(weights(kind), [5, 4]), 'w'), W([5], gen(weights(kind), [5]), 'b')], attrs: { transB: int(1) }, torch: 'F.linear(x, w, b)' });
  }
  add({ op: 'Gemm', kind: 'ordinary', inputs: [X([3, 4], normal([3, 4])), W([4, 5], normal([4, 5]), 'w'), W([5], normal([5]), 'b')], torch: 'x @ w + b' });

  // MaxPool: the window ArgMax (tiling windows), Indices with MaxUnpool, Indices with a scatter.
  const pool = (kind: Kind, what: string, xs: number[], k: number, s: number, p: number[], data: number[], extra: Partial<Case> = {}) => {
    const tiles = k === s && p.every((v) => !v) && xs[2] % k === 0 && xs[3] % k === 0;
    const torchX = p[0] === p[2] && p[1] === p[3] ? 'x' : `F.pad(x, (${p[1]}, ${p[3]}, ${p[0]}, ${p[2]}), value=-inf)`;
    const padding = p[0] === p[2] && p[1] === p[3] ? p[0] : 0;
    const expect = maxPoolExpect([k, k], [s, s], p, xs.slice(2));
    add({
      op: 'MaxPool', kind, what, inputs: [X(xs, data)], outputs: tiles ? 1 : 2, attrs: { kernel_shape: ints([k, k]), strides: ints([s, s]), pads: ints(p) },
      torch: `F.max_pool2d(${torchX}, ${k}, ${s}, ${padding})`, fd: kind === 'ordinary' || kind === 'large',
      expect, ...extra,
    });
  };
  for (const kind of ['ordinary', 'zero', 'large'] as Kind[]) {
    pool(kind, 'tiling 2x2: window ArgMax', [2, 2, 4, 4], 2, 2, [0, 0, 0, 0], gen(kind, [2, 2, 4, 4], distinct), { uses: ['ArgMax', 'MaxUnpool'] });
    pool(kind, 'overlapping 3x3 s1: Indices, scatter-add', [1, 2, 4, 4], 3, 1, [1, 1, 1, 1], gen(kind, [1, 2, 4, 4], distinct), { uses: ['ScatterElements'] });
  }
  pool('ordinary', '2x2 s2 over 5x5 with end padding: Indices, MaxUnpool', [2, 2, 5, 5], 2, 2, [0, 0, 1, 1], distinct([2, 2, 5, 5]), { uses: ['MaxUnpool'] });
  // Ties: values in {0, 1, 2}, so most windows hold their maximum twice or more.
  const ties = (s: number[]) => Array.from({ length: numel(s) }, () => rng.int(3));
  pool('ties', 'tiling 2x2: window ArgMax', [2, 2, 4, 4], 2, 2, [0, 0, 0, 0], ties([2, 2, 4, 4]));
  pool('ties', 'overlapping 3x3 s1: Indices', [1, 2, 5, 5], 3, 1, [1, 1, 1, 1], ties([1, 2, 5, 5]));
  pool('ties', '2x2 s2 over 5x5 with end padding, negative ties', [1, 2, 5, 5], 2, 2, [0, 0, 1, 1], ties([1, 2, 5, 5]).map((v) => -v));

  // AveragePool: counting padding or pixels only, overlapping windows.
  for (const kind of KINDS3) {
    add({ op: 'AveragePool', kind, what: '3x3 s2 pad 1, count_include_pad', inputs: [X([2, 2, 5, 5], gen(kind, [2, 2, 5, 5]))], attrs: { kernel_shape: ints([3, 3]), strides: ints([2, 2]), pads: ints([1, 1, 1, 1]), count_include_pad: int(1) }, torch: 'F.avg_pool2d(x, 3, 2, 1, count_include_pad=True)' });
    add({ op: 'AveragePool', kind, what: '3x3 s1 pad 1, pixels only', inputs: [X([2, 2, 4, 4], gen(kind, [2, 2, 4, 4]))], attrs: { kernel_shape: ints([3, 3]), strides: ints([1, 1]), pads: ints([1, 1, 1, 1]), count_include_pad: int(0) }, torch: 'F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)' });
  }
  add({ op: 'AveragePool', kind: 'ordinary', what: '2x2 s2', inputs: [X([2, 3, 4, 4], normal([2, 3, 4, 4]))], attrs: { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }, torch: 'F.avg_pool2d(x, 2, 2)' });

  for (const kind of KINDS3) {
    add({ op: 'GlobalAveragePool', kind, inputs: [X([2, 3, 3, 4], gen(kind, [2, 3, 3, 4]))], torch: 'x.mean((2, 3), keepdim=True)' });
    add({ op: 'Flatten', kind, inputs: [X([2, 3, 2, 2], gen(kind, [2, 3, 2, 2]))], attrs: { axis: int(1) }, torch: 'torch.flatten(x, 1)' });
    add({ op: 'Reshape', kind, inputs: [X([2, 3, 4], gen(kind, [2, 3, 4])), { name: 'shape', shape: [3], data: [0, 4, 3], int64: true }], torch: 'x.reshape(-1, 4, 3)' });
    add({ op: 'Identity', kind, inputs: [X([2, 5], gen(kind, [2, 5]))], torch: 'x.clone()' });
  }

  // Activations. The kinked ones at zero: exact zeros among other values, checked against the convention.
  const act = (op: DiffOp, torch: string, attrs: Record<string, Attr>, slope: (x: number) => number, kinked: boolean, ordinary = normal) => {
    add({ op, kind: 'ordinary', inputs: [X([2, 3, 4], ordinary([2, 3, 4]))], attrs, torch });
    add({ op, kind: 'zero', what: kinked ? 'exact zeros among others' : undefined, inputs: [X([2, 3, 4], kinked ? zerosAmong([2, 3, 4]) : gen('zero', [2, 3, 4]))], attrs, torch, fd: !kinked, expect: pointwise(slope) });
    add({ op, kind: 'large', inputs: [X([2, 3, 4], large([2, 3, 4]))], attrs, torch, expect: pointwise(slope) });
  };
  act('Relu', 'F.relu(x)', {}, (x) => (x > 0 ? 1 : 0), true, away);
  act('LeakyRelu', 'F.leaky_relu(x, 0.1)', { alpha: float(0.1) }, (x) => (x > 0 ? 1 : Math.fround(0.1)), true, away);
  act('Elu', 'F.elu(x, 0.5)', { alpha: float(0.5) }, (x) => (x > 0 ? 1 : 0.5 * Math.exp(x)), true, away);
  act('Sigmoid', 'torch.sigmoid(x)', {}, (x) => Math.exp(-Math.abs(x)) / (1 + Math.exp(-Math.abs(x))) ** 2, false);
  act('Tanh', 'torch.tanh(x)', {}, (x) => 1 - Math.tanh(x) ** 2, false);
  act('Erf', 'torch.erf(x)', {}, (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x), false);
  // Softmax over the class axis (the layers' axis 1) and the last axis; zero: all logits tied.
  for (const kind of KINDS3) {
    add({ op: 'Softmax', kind, what: 'axis 1', inputs: [X([3, 5], gen(kind, [3, 5], distinct))], attrs: { axis: int(1) }, torch: 'F.softmax(x, 1)' });
    add({ op: 'Softmax', kind, what: 'axis -1', inputs: [X([2, 3, 4], gen(kind, [2, 3, 4], distinct))], attrs: { axis: int(-1) }, torch: 'F.softmax(x, -1)' });
  }
  // Clip as ReLU6: min 0, max 6 as scalar constants; at zero, values exactly on both bounds.
  const bounds = (lo: number, hi: number): In[] => [{ name: 'lo', shape: [], data: [lo], grad: false }, { name: 'hi', shape: [], data: [hi], grad: false }];
  const inside = (x: number) => (x > 0 && x < 6 ? 1 : 0);
  add({ op: 'Clip', kind: 'ordinary', inputs: [X([2, 3, 4], normal([2, 3, 4]).map((v) => 3 + 2.5 * v).map((v) => (Math.abs(v) < 0.2 || Math.abs(v - 6) < 0.2 ? v + 0.5 : v))), ...bounds(0, 6)], torch: 'F.hardtanh(x, 0., 6.)' });
  add({ op: 'Clip', kind: 'zero', what: 'exactly on min and max', inputs: [X([2, 3, 4], Array.from({ length: 24 }, (_, i) => [0, 6, 3, -1, 7, 0.5][i % 6])), ...bounds(0, 6)], torch: 'F.hardtanh(x, 0., 6.)', fd: false, expect: pointwise(inside) });
  add({ op: 'Clip', kind: 'large', inputs: [X([2, 3, 4], large([2, 3, 4])), ...bounds(0, 6)], torch: 'F.hardtanh(x, 0., 6.)', expect: pointwise(inside) });
  add({ op: 'Clip', kind: 'ordinary', what: 'min only', inputs: [X([2, 3], away([2, 3])), { name: 'lo', shape: [], data: [0], grad: false }], torch: 'F.hardtanh(x, 0., inf)' });
  // PRelu, one slope per channel ([C, 1, 1], as the layer emits it).
  const preluExpect = (v: Values, dy: number[]): Values => {
    const ds = [0, 0, 0];
    const dx = v.x.map((x, i) => {
      const ch = Math.floor(i / 4) % 3;
      if (x <= 0) ds[ch] += dy[i] * x;
      return x > 0 ? dy[i] : dy[i] * Math.fround(v.s[ch]);
    });
    return { x: dx, s: ds };
  };
  for (const kind of KINDS3) {
    const xs = kind === 'zero' ? zerosAmong([2, 3, 2, 2]) : kind === 'large' ? large([2, 3, 2, 2]) : away([2, 3, 2, 2]);
    add({ op: 'PRelu', kind, what: kind === 'zero' ? 'exact zeros among others' : undefined, inputs: [X([2, 3, 2, 2], xs), W([3, 1, 1], [0.25, -0.5, 1.5], 's')], torch: 'F.prelu(x, s.reshape(-1))', fd: kind !== 'zero', expect: preluExpect });
  }

  // Arithmetic, with broadcasting (the gradient summed back to the smaller input's shape).
  const arith: [DiffOp, string][] = [['Add', 'a + b'], ['Sub', 'a - b'], ['Mul', 'a * b'], ['Div', 'a / b']];
  for (const [op, torch] of arith) {
    const bGen = op === 'Div' ? positive : normal;
    for (const kind of KINDS3) {
      // At zero: a only (and a zero denominator has no gradient to check).
      const b = (s: number[]) => gen(weights(kind), s, bGen);
      add({ op, kind, what: 'b [3, 1] broadcast', inputs: [X([2, 3, 4], gen(kind, [2, 3, 4]), 'a'), W([3, 1], b([3, 1]), 'b')], torch });
    }
    add({ op, kind: 'ordinary', what: 'same shapes', inputs: [X([2, 3], normal([2, 3]), 'a'), X([2, 3], bGen([2, 3]), 'b')], torch });
    add({ op, kind: 'ordinary', what: 'b [4] over leading axes', inputs: [X([2, 3, 4], normal([2, 3, 4]), 'a'), W([4], bGen([4]), 'b')], torch });
  }
  add({ op: 'Sqrt', kind: 'ordinary', inputs: [X([2, 3], positive([2, 3]))], torch: 'torch.sqrt(x)' });
  add({ op: 'Sqrt', kind: 'zero', what: 'dY / 0: infinities', inputs: [X([2, 3], [0, 0, 0, 0.5, 1, 2])], torch: 'torch.sqrt(x)', fd: false, expect: pointwise((x) => 1 / (2 * Math.sqrt(x))) });
  add({ op: 'Sqrt', kind: 'large', inputs: [X([2, 3], large([2, 3]).map(Math.abs))], torch: 'torch.sqrt(x)' });
  for (const kind of KINDS3) {
    // Over batch and space, as BatchNorm's statistics: the output has no batch axis.
    add({ op: 'ReduceMean', kind, what: 'axes 0, 2, 3', inputs: [X([2, 3, 2, 2], gen(kind, [2, 3, 2, 2]))], attrs: { axes: ints([0, 2, 3]), keepdims: int(1) }, torch: 'x.mean((0, 2, 3), keepdim=True)', yBatched: false });
    add({ op: 'Concat', kind, what: 'axis 1', inputs: [X([2, 2, 3], gen(kind, [2, 2, 3]), 'a'), X([2, 3, 3], gen(kind, [2, 3, 3]), 'b')], attrs: { axis: int(1) }, torch: 'torch.cat([a, b], 1)' });
    add({
      op: 'Pad', kind, what: 'constant 0.5, uneven', inputs: [X([2, 2, 3, 3], gen(kind, [2, 2, 3, 3])), { name: 'pads', shape: [8], data: [0, 0, 1, 2, 0, 0, 2, 1], int64: true }, { name: 'value', shape: [], data: [0.5], grad: false }],
      attrs: { mode: { s: 'constant' } }, torch: 'F.pad(x, (2, 1, 1, 2), value=0.5)',
    });
  }
  add({ op: 'ReduceMean', kind: 'ordinary', what: 'axis 1', inputs: [X([2, 3, 4], normal([2, 3, 4]))], attrs: { axes: ints([1]), keepdims: int(1) }, torch: 'x.mean(1, keepdim=True)' });
  // BatchNormalization, once the table has a rule for it (the fused rule of issue 19): in training
  // mode as the BatchNorm layer emits it (momentum 0, the statistics inputs fed, not constants),
  // and in inference mode (a frozen BatchNorm: gradients pass through its running statistics).
  const BN = 'BatchNormalization' as DiffOp;
  if (BN in GRAD_RULES) {
    const stats = (data: number[]): In[] => [{ name: 'mean', shape: [3], data: data.slice(0, 3), feed: true }, { name: 'var', shape: [3], data: data.slice(3), feed: true }];
    for (const kind of KINDS3) {
      // At zero every value of a channel is the same: the variance is 0 and σ = √ε, so steps of 1e-5.
      const eps = kind === 'zero' ? 1e-5 : undefined;
      for (const xs of [[4, 3, 2, 2], [4, 3]]) {
        add({
          op: BN, kind, what: `training mode, [${xs.slice(1)}]`, eps, attrs: { epsilon: float(1e-5), momentum: float(0), training_mode: int(1) }, outputs: 3,
          inputs: [X(xs, gen(kind, xs)), W([3], [1.5, -0.5, 0.8], 'gamma'), W([3], [0.1, 0.2, -0.3], 'beta'), ...stats([0, 0, 0, 0, 0, 0])],
          torch: 'F.batch_norm(x, None, None, gamma, beta, training=True, momentum=0.0, eps=1e-5)',
        });
      }
      add({
        op: BN, kind, what: 'inference mode (frozen)', attrs: { epsilon: float(1e-5) },
        inputs: [X([2, 3, 2, 2], gen(kind, [2, 3, 2, 2])), W([3], [1.5, -0.5, 0.8], 'gamma'), W([3], [0.1, 0.2, -0.3], 'beta'), ...stats([0.2, -0.1, 0.4, 0.5, 1.2, 2.0])],
        torch: 'F.batch_norm(x, mean, var, gamma, beta, training=False, eps=1e-5)',
      });
    }
  }
  return out;
}

const CASES = cases();
const caseName = (c: Case) => `${c.op} ${c.kind === 'ordinary' ? 'at ordinary values' : c.kind === 'zero' ? 'at zero' : c.kind === 'ties' ? 'at ties' : 'at large values'}${c.what ? ` (${c.what})` : ''}`;

interface Built {
  model: Uint8Array;
  wrt: string[];
  gradOps: string[];
}

/** The one-node graph of `c`; with the output's dims known, its gradients too (dY an input). */
function build(c: Case, yDims?: number[]): Built {
  const g = new GraphBuilder();
  const names: string[] = [];
  const wrt: string[] = [];
  for (const i of c.inputs) {
    if (i.int64) names.push(g.constI64(i.data, i.shape));
    else if (i.grad === false) names.push(g.constF(i.data, i.shape));
    else {
      names.push(g.input(i.name, 'float32', i.batched ? [BATCH, ...i.shape.slice(1)] : i.shape));
      if (!i.feed) wrt.push(i.name);
    }
  }
  const [y0] = g.opN(c.op, names, c.outputs ?? 1, c.attrs ?? {}, []);
  const y = g.rename(y0, 'y');
  let gradOps: string[] = [];
  if (yDims) {
    const batched = c.yBatched ?? c.inputs.some((i) => i.batched);
    const yShape: Dim[] = batched ? [BATCH, ...yDims.slice(1)] : yDims;
    g.shapes.set(y, yShape);
    const dy = g.input('dy', 'float32', yShape);
    const before = g.nodes.length;
    const grads = buildGradients(g, new Map([[y, dy]]), wrt, c.block ?? 0);
    gradOps = g.nodes.slice(before).map((n) => n.op);
    g.output(y);
    for (const w of wrt) g.output(g.rename(grads.get(w)!, `d_${w}`));
  } else {
    g.outputs.push({ name: y, dtype: 'float32', shape: [] });
  }
  const domains = g.nodes.some((n) => n.domain === NCHWC_DOMAIN) ? { [NCHWC_DOMAIN]: 1 } : undefined;
  return { model: encodeModel({ graph: g.graph('per-op'), opset: OPSET, metadata: {}, domains }), wrt, gradOps };
}

const open = (model: Uint8Array) => ort.InferenceSession.create(model, sessionOptions('cpu', 1));

function feedsOf(c: Case, override?: [string, Float32Array]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const i of c.inputs) {
    if (i.int64 || i.grad === false) continue;
    const data = override && override[0] === i.name ? override[1] : Float32Array.from(i.data);
    feeds[i.name] = new ort.Tensor('float32', data, i.shape);
  }
  return feeds;
}

// The forward output of every case (its shape sizes dY), then dY, then PyTorch for all at once.
const prepared: ({ dims: number[]; dy: number[] } | { error: string })[] = [];
for (const c of CASES) {
  try {
    const s = await open(build(c).model);
    const y = (await s.run(feedsOf(c))).y;
    await s.release();
    const dims = y.dims.map(Number);
    prepared.push({ dims, dy: normal(dims).map((v) => Math.fround(v)) });
  } catch (e) {
    prepared.push({ error: (e as Error).message.split('\n')[0] });
  }
}

const haveTorch = torchAvailable();
const torchSkip = haveTorch ? false : 'PyTorch (Debian python3-torch) is not installed';
type TorchOut = { shape: number[]; y: (number | string)[]; grads: Record<string, (number | string)[]> } | { error: string };
let torchOut: Record<string, TorchOut> = {};
let torchTime = 0;
if (haveTorch) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'per-op-'));
  const jobs = CASES.map((c, k) => ({
    id: String(k),
    torch: c.torch,
    dy: (prepared[k] as { dy?: number[] }).dy ?? [],
    inputs: c.inputs.map((i) => ({ name: i.name, shape: i.shape, data: i.int64 ? i.data : i.data.map((v) => Math.fround(v)), grad: !i.int64 && i.grad !== false && !i.feed, int64: !!i.int64 })),
  }));
  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(jobs));
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'per_op_torch.py');
  const t0 = performance.now();
  const r = spawnSync(PYTHON, [script, path.join(dir, 'cases.json'), path.join(dir, 'out.json')], { encoding: 'utf8' });
  torchTime = performance.now() - t0;
  if (r.status !== 0) throw new Error(`per_op_torch.py failed: ${r.stderr}`);
  torchOut = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });
}

/** per_op_torch.py sends infinities and NaN as Python writes them: 'inf', '-inf', 'nan'. */
const num = (v: number | string): number => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : NaN);
const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => (Number.isFinite(x) ? Math.max(m, Math.abs(x)) : m), 0);

/** Where `got` differs from `want` by more than rel·(largest |want|) + abs; infinities and NaN must match exactly. */
function mismatch(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs = 0): string | null {
  if (got.length !== want.length) return `${got.length} values, expected ${want.length}`;
  const tol = rel * maxAbs(want) + abs;
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = want[i];
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (!Object.is(a, b) && !(Number.isNaN(a) && Number.isNaN(b))) return `element ${i}: ${a}, expected ${b}`;
    } else if (Math.abs(a - b) > tol) return `element ${i}: ${a}, expected ${b} (tolerance ${tol.toExponential(1)})`;
  }
  return null;
}

interface Ours {
  y: Float32Array;
  grads: Map<string, Float32Array>;
  session: ort.InferenceSession;
  gradOps: string[];
  dy: number[];
}

async function ours(c: Case, dims: number[], dy: number[]): Promise<Ours> {
  const b = build(c, dims);
  const session = await open(b.model);
  const r = await session.run({ ...feedsOf(c), dy: new ort.Tensor('float32', Float32Array.from(dy), dims) });
  return { y: r.y.data as Float32Array, grads: new Map(b.wrt.map((w) => [w, r[`d_${w}`].data as Float32Array])), session, gradOps: b.gradOps, dy };
}

/** Central differences of L = Σ y·dY, element by element, and where they disagree with autodiff. */
async function finiteDifferences(c: Case, o: Ours, dy: number[]): Promise<string[]> {
  // The forward node alone, without the gradient nodes.
  const forward = await open(build(c).model);
  const loss = async (name: string, data: Float32Array) => {
    const y = (await forward.run(feedsOf(c, [name, data]))).y.data as Float32Array;
    let l = 0;
    for (let i = 0; i < y.length; i++) l += y[i] * dy[i];
    return l;
  };
  try {
    return await differences(c, o, loss);
  } finally {
    await forward.release();
  }
}

async function differences(c: Case, o: Ours, loss: (name: string, data: Float32Array) => Promise<number>): Promise<string[]> {
  const dy = o.dy;
  let base = 0;
  for (let i = 0; i < o.y.length; i++) base += Math.abs(o.y[i] * dy[i]);
  const problems: string[] = [];
  for (const [name, grad] of o.grads) {
    const x = Float32Array.from(c.inputs.find((i) => i.name === name)!.data);
    const scale = Math.max(maxAbs(grad), 1e-6);
    for (let k = 0; k < x.length; k++) {
      const eps = (c.eps ?? 1e-2) * Math.max(1, Math.abs(x[k]));
      const p = Float32Array.from(x);
      p[k] = x[k] + eps;
      const hi = p[k];
      const up = await loss(name, p);
      p[k] = x[k] - eps;
      const down = await loss(name, p);
      // Over the step float32 actually took.
      const numeric = (up - down) / (hi - p[k]);
      // As gradcheck.ts: float32 rounds the loss to about 6e-8 of its size; divided by 2ε, the slope's noise.
      const noise = (base + 1) * 6e-8 * 8 / (2 * eps);
      if (Math.abs(numeric - grad[k]) > 1e-2 * scale + noise) {
        problems.push(`d${name}[${k}]: autodiff ${grad[k]}, finite differences ${numeric.toPrecision(6)}`);
        if (problems.length >= 5) return problems;
      }
    }
  }
  return problems;
}

test('every op with a gradient rule has cases at ordinary values, at zero and at large values (and MaxPool at ties)', () => {
  for (const op of Object.keys(GRAD_RULES)) {
    for (const kind of [...KINDS3, ...(op === 'MaxPool' ? ['ties' as const] : [])]) {
      assert.ok(CASES.some((c) => c.op === op && c.kind === kind), `no case for ${op} at ${kind}: add one to test/autodiff/per-op.test.ts`);
    }
  }
  for (const c of CASES) assert.ok(c.op in GRAD_RULES, `${caseName(c)}: ${c.op} has no gradient rule`);
  console.log(`  ${CASES.length} cases over ${Object.keys(GRAD_RULES).length} ops; PyTorch: ${haveTorch ? `${torchTime.toFixed(0)} ms for all in one call` : 'not installed'}`);
});

test('the check finds a wrong rule: Tanh as dY·(1 − y) instead of dY·(1 − y²)', async () => {
  const k = CASES.findIndex((c) => c.op === 'Tanh' && c.kind === 'ordinary');
  const p = prepared[k] as { dims: number[]; dy: number[] };
  const right = GRAD_RULES.Tanh;
  GRAD_RULES.Tanh = (c) => [c.g.op('Mul', [c.dy[0]!, c.g.op('Sub', [c.g.constF([1]), c.node.outputs[0]])])];
  let o: Ours;
  try {
    o = await ours(CASES[k], p.dims, p.dy);
  } finally {
    GRAD_RULES.Tanh = right;
  }
  try {
    assert.ok((await finiteDifferences(CASES[k], o, p.dy)).length > 0, 'finite differences did not notice');
    const r = torchOut[String(k)];
    if (r && 'grads' in r) assert.ok(mismatch(o.grads.get('x')!, r.grads.x.map(num), 1e-4, 1e-7), 'the PyTorch comparison did not notice');
  } finally {
    await o.session.release();
  }
});

CASES.forEach((c, k) => {
  test(caseName(c), async (t) => {
    const p = prepared[k];
    if ('error' in p) assert.fail(`the forward node does not run: ${p.error}`);
    const o = await ours(c, p.dims, p.dy);
    try {
      for (const op of c.uses ?? []) assert.ok(o.gradOps.includes(op), `the gradient graph has no ${op}: this case no longer covers that strategy (${[...new Set(o.gradOps)].join(', ')})`);
      for (const [w, g] of o.grads) assert.ok(g.every((v) => !Number.isNaN(v)), `d${w} has NaN`);
      if (c.fd !== false) {
        await t.test('finite differences', async () => {
          const problems = await finiteDifferences(c, o, p.dy);
          assert.deepEqual(problems, [], `${caseName(c)}: autodiff disagrees with finite differences:\n${problems.join('\n')}`);
        });
      }
      if (c.expect) {
        await t.test('convention', () => {
          const v: Values = Object.fromEntries(c.inputs.map((i) => [i.name, i.data.map((x) => Math.fround(x))]));
          const want = c.expect!(v, p.dy, p.dims);
          for (const [w, g] of o.grads) {
            if (!want[w]) continue;
            const m = mismatch(g, want[w], 1e-5, 1e-30);
            assert.equal(m, null, `${caseName(c)}: d${w} breaks the convention: ${m}`);
          }
        });
      }
      await t.test('PyTorch', { skip: torchSkip }, () => {
        const r = torchOut[String(k)];
        assert.ok(r, 'no PyTorch result');
        if ('error' in r) assert.fail(`PyTorch: ${r.error}`);
        assert.deepEqual(r.shape, p.dims, 'output shape differs from PyTorch: the torch expression is not this node');
        const ym = mismatch(o.y, r.y.map(num), 1e-5, 1e-6);
        assert.equal(ym, null, `output differs from PyTorch's (the torch expression is not this node): ${ym}`);
        for (const [w, g] of o.grads) {
          const m = mismatch(g, r.grads[w].map(num), 1e-4, 1e-7);
          assert.equal(m, null, `${caseName(c)}: d${w} differs from PyTorch: ${m}`);
        }
      });
    } finally {
      await o.session.release();
    }
  });
});
