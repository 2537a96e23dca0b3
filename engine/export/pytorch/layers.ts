// PyTorch counterpart of every layer kind, one row per kind: the nn.Module it becomes, how its
// forward call reads, and which PyTorch parameter or buffer holds each Netwright weight. A kind
// with no row (or whose parameters PyTorch cannot express) is refused with the reason.
import type { Params, Shape } from '../../graph/layer.ts';
import { num, str } from '../../graph/layer.ts';
import { slide, type Window } from '../../graph/layers/spatial.ts';
import { CodedError, said } from '../../graph/error-codes.ts';

/** What the exporter refuses, with the reason as code + params (graph/error-codes.ts). */
export class ExportRefusal extends CodedError {}

export interface LayerCall {
  params: Params;
  ins: Shape[];
  out: Shape;
  /** `self.<attr>` of this node's module (when the row has one). */
  self: string;
  /** Python expressions of the inputs, in port order. */
  xs: string[];
}

export interface TorchRow {
  /** The nn.Module constructor; absent when the layer is an expression in forward (Add, Concat). */
  module?(c: Omit<LayerCall, 'self' | 'xs'>): string;
  /** The forward expression. Default: the module applied to the one input. */
  call?(c: LayerCall): string;
  /** Netwright weight or state name -> PyTorch parameter or buffer name. */
  weights?: Record<string, string>;
  /** Buffers PyTorch keeps that Netwright does not (BatchNorm's num_batches_tracked, int64 0). */
  extraBuffers?: string[];
}

export type TorchEntry = TorchRow | { refuse: string };

const py = (v: number | boolean | string): string => (typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'number' ? pyNumber(v) : JSON.stringify(v));
/** A float literal Python reads back to the same double (JavaScript's shortest round-trip form). */
export const pyNumber = (v: number): string => String(v);

interface Pads { top: number; bottom: number; left: number; right: number }

function windowPads(p: Params, x: Shape, conv: boolean): Pads {
  const kernel = num(p, conv ? 'kernel' : 'size');
  // Conv2D's filter may be wider than high (kernelW; 0: square).
  const kernelW = conv && p.kernelW ? num(p, 'kernelW') : kernel;
  const padding = str(p, 'padding');
  const pad = p.pad === undefined ? 0 : num(p, 'pad');
  const rest = [num(p, 'stride'), conv ? num(p, 'dilation') : 1, padding, pad] as const;
  const h: Window | string = slide(x[1], kernel, ...rest);
  const w: Window | string = slide(x[2], kernelW, ...rest);
  if (typeof h === 'string' || typeof w === 'string') throw new ExportRefusal(`window does not fit: ${typeof h === 'string' ? h : w}`, said('export-window', { detail: typeof h === 'string' ? h : (w as string) }));
  return { top: h.padBegin, bottom: h.padEnd, left: w.padBegin, right: w.padEnd };
}

const symmetric = (q: Pads): boolean => q.top === q.bottom && q.left === q.right;
const padArg = (q: Pads): string => (q.top === q.left ? String(q.top) : `(${q.top}, ${q.left})`);
/** F.pad's order: (left, right, top, bottom). */
const fpad = (x: string, q: Pads, value?: string): string => `F.pad(${x}, (${q.left}, ${q.right}, ${q.top}, ${q.bottom})${value ? `, value=${value}` : ''})`;

/** Keyword arguments, leaving out those equal to PyTorch's default. */
function kwargs(pairs: [string, number | boolean | string, number | boolean | string][]): string {
  return pairs.filter(([, v, d]) => v !== d).map(([k, v]) => `, ${k}=${py(v)}`).join('');
}

const activation = (module: (p: Params) => string): TorchRow => ({ module: ({ params }) => module(params) });

function pool(kind: 'Max' | 'Avg'): TorchRow {
  return {
    module({ params: p, ins: [x] }) {
      const q = windowPads(p, x, false);
      let args = `${p.size}, stride=${p.stride}`;
      if (symmetric(q) && (q.top || q.left)) {
        if (kind === 'Max' && 2 * Math.max(q.top, q.left) > num(p, 'size')) {
          throw new ExportRefusal(`MaxPool2D: padding ${Math.max(q.top, q.left)} is more than half the window ${p.size}, which PyTorch's MaxPool2d refuses`, said('export-maxpool-pad', { pad: Math.max(q.top, q.left), size: num(p, 'size') }));
        }
        args += `, padding=${padArg(q)}`;
      }
      if (p.ceil) args += ', ceil_mode=True';
      // Uneven padding is done by F.pad in call(), so PyTorch's own padding exclusion cannot apply there.
      if (kind === 'Avg' && p.countPad === false && symmetric(q)) args += ', count_include_pad=False';
      return `nn.${kind}Pool2d(${args})`;
    },
    call({ self, xs: [x], params: p, ins: [s] }) {
      const q = windowPads(p, s, false);
      if (symmetric(q)) return `${self}(${x})`;
      // Uneven 'same' padding: pad first (-inf for max; for avg zeros that count, as ONNX does).
      if (kind === 'Max' || p.countPad !== false) return `${self}(${fpad(x, q, kind === 'Max' ? "float('-inf')" : undefined)})`;
      // Padding left out of the average: the window sums over the padded input divided by the
      // number of real pixels in each window (the same pool over a padded mask of ones).
      return `(${self}(${fpad(x, q)}) / ${self}(${fpad(`torch.ones_like(${x}[:, :1])`, q)}))`;
    },
  };
}

export const TORCH_LAYERS: Record<string, TorchEntry> = {
  Input: { call: ({ xs: [x] }) => x },
  Conv2D: {
    module({ params: p, ins: [x] }) {
      const q = windowPads(p, x, true);
      const pad = symmetric(q) ? padArg(q) : '0';
      const size = p.kernelW && p.kernelW !== p.kernel ? `(${p.kernel}, ${p.kernelW})` : String(p.kernel);
      return `nn.Conv2d(${x[0]}, ${p.filters}, kernel_size=${size}${kwargs([['stride', num(p, 'stride'), 1]])}${pad !== '0' ? `, padding=${pad}` : ''}${kwargs([['dilation', num(p, 'dilation'), 1], ['groups', num(p, 'groups'), 1], ['bias', p.bias as boolean, true]])})`;
    },
    call({ self, xs: [x], params: p, ins: [s] }) {
      const q = windowPads(p, s, true);
      return symmetric(q) ? `${self}(${x})` : `${self}(${fpad(x, q)})`;
    },
    weights: { W: 'weight', B: 'bias' },
  },
  MaxPool2D: pool('Max'),
  AvgPool2D: pool('Avg'),
  GlobalAvgPool: { call: ({ xs: [x] }) => `${x}.mean(dim=(2, 3))` },
  Flatten: { module: () => 'nn.Flatten()' },
  Dense: {
    module: ({ params: p, ins: [x] }) => `nn.Linear(${x[0]}, ${p.units}${kwargs([['bias', p.bias as boolean, true]])})`,
    weights: { W: 'weight', B: 'bias' },
  },
  Dropout: { module: ({ params: p }) => `nn.Dropout(${py(num(p, 'rate'))})` },
  BatchNorm: {
    module: ({ params: p, ins: [x] }) => `nn.BatchNorm${x.length === 3 ? '2d' : '1d'}(${x[0]}${kwargs([['eps', num(p, 'epsilon'), 1e-5], ['momentum', num(p, 'momentum'), 0.1]])})`,
    weights: { gamma: 'weight', beta: 'bias', running_mean: 'running_mean', running_var: 'running_var' },
    extraBuffers: ['num_batches_tracked'],
  },
  Add: { call: ({ xs }) => xs.join(' + ') },
  Concat: { call: ({ xs }) => `torch.cat([${xs.join(', ')}], dim=1)` },
  ReLU: activation(() => 'nn.ReLU()'),
  LeakyReLU: activation((p) => `nn.LeakyReLU(${py(num(p, 'alpha'))})`),
  ELU: activation((p) => `nn.ELU(${py(num(p, 'alpha'))})`),
  Sigmoid: activation(() => 'nn.Sigmoid()'),
  Tanh: activation(() => 'nn.Tanh()'),
  GELU: activation(() => 'nn.GELU()'),
  Softmax: activation(() => 'nn.Softmax(dim=1)'),
  // Layer kinds of branch new-layers (docs/format.md names them); rows are ready for them.
  Clip: activation((p) => (num(p, 'min') === 0 && num(p, 'max') === 6 ? 'nn.ReLU6()' : `nn.Hardtanh(${py(num(p, 'min'))}, ${py(num(p, 'max'))})`)),
  Pad: {
    module: ({ params: p }) => {
      const sides = `(${p.left}, ${p.right}, ${p.top}, ${p.bottom})`;
      return num(p, 'value') === 0 ? `nn.ZeroPad2d(${sides})` : `nn.ConstantPad2d(${sides}, ${py(num(p, 'value'))})`;
    },
  },
  PReLU: {
    module: ({ params: p, ins: [x] }) => `nn.PReLU(${p.perChannel === false ? '' : `${x[0]}`})`,
    weights: { slope: 'weight' },
  },
  Output: { call: ({ xs: [x] }) => x },
};

export function torchRow(type: string): TorchRow {
  const e = TORCH_LAYERS[type];
  if (!e) throw new ExportRefusal(`layer kind ${type} has no PyTorch counterpart in Netwright's exporter (engine/export/pytorch/layers.ts)`, said('export-no-counterpart', { type }));
  if ('refuse' in e) throw new ExportRefusal(`layer kind ${type} cannot be exported to PyTorch: ${e.refuse}`, said('export-layer-refused', { type, reason: e.refuse }));
  return e;
}
