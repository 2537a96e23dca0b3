// ONNX import: an image classifier (ModelProto bytes) becomes an ordinary network document plus
// its weights by `<nodeId>.<weightName>`. Every ONNX node maps onto existing layer kinds; what
// Netwright cannot represent is refused with the node, the op and what is missing, before
// anything is written. docs/format.md ("Importing ONNX") lists the mapping.
import { numel } from '../numel.ts';
import { FORMAT, FORMAT_VERSION, nodeParams, parseDocument, trainingSchema, type DocEdge, type DocNode, type NetworkDocument } from './document.ts';
import { inferShapes } from './infer.ts';
import { withRecognizedBlocks } from './blocks.ts';
import type { Params, Problem, Shape } from './layer.ts';
import { layerDef } from './registry.ts';
import { CodedError, said } from './error-codes.ts';
import type { CodedMessage, EngineText } from '../protocol.ts';
import { decodeModel, OnnxReadError, type Attr, type NodeIR, type ReadReason, type Tensor } from '../onnx/model.ts';
import type { NamedTensor } from '../onnx/safetensors.ts';
import * as attrs from '../onnx/attrs.ts';

/** A model the import refuses; `text`: the message as code + params (graph/error-codes.ts), when it has one. */
export class ImportError extends CodedError {}

export interface ImportOptions {
  /** Per-channel mean and std in the units of `scale` (torchvision: 0.485,0.456,0.406 / 0.229,0.224,0.225). */
  mean?: number[];
  std?: number[];
  /** Pixel range before mean/std: '0-1' (x/255, default) or '0-255'. */
  scale?: '0-1' | '0-255';
  name?: string;
  /** 'auto': an Output head when the graph ends in class scores; 'open': never (draw the head yourself). */
  head?: 'auto' | 'open';
}

export interface ImportResult {
  doc: NetworkDocument;
  weights: Map<string, NamedTensor>;
  /** No Output head: the graph's output is not class scores (a backbone, a feature extractor). */
  open: boolean;
  /** What the graph's own output corresponds to in the exported model: 'logits', 'probs' or 'output'. */
  compare: 'logits' | 'probs' | 'output';
  opset: number;
  /** ONNX node count, layer count. */
  counts: { onnxNodes: number; layers: number };
}

export const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** A tensor of the graph: the output of a document node, with its per-sample shape. */
interface Val {
  node: string;
  shape: Shape;
  /** ONNX keeps [C, 1, 1] where the document has [C] (after GlobalAveragePool). */
  pooled?: boolean;
  /** A Softmax not yet placed: the graph's final Softmax becomes the Output head's probabilities. */
  softmaxOf?: Val;
}

const FLOAT_ATTR_EPS = 1e-6;

/** The inputs a layer holds as its own weights, by the key errors:onnx-not-constant selects on. */
const CONST_INPUT = {
  weight: 'the weight', bias: 'the bias', scale: 'the scale', mean: 'the running mean', variance: 'the running variance',
  min: 'min', max: 'max', slope: 'the slope', axes: 'axes', shape: 'the target shape', ratio: 'the ratio', pads: 'the pads', value: 'the pad value',
} as const;

export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  let model;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxReadError) {
      const why = e.why && readReason(e.why);
      const detail = why ? { ...said('onnx-read-at', { field: e.field, reason: { ...why, message: e.reason } }), message: e.message } : e.message;
      throw new ImportError(`not a readable ONNX model: ${e.message}`, said('onnx-unreadable', { detail }));
    }
    throw e;
  }
  const { graph, opset } = model;
  if (opset < 6) throw new ImportError(`opset ${opset} is too old: Netwright reads opset 6 and newer`, said('onnx-opset', { opset }));
  const consts = new Map<string, Tensor>(graph.initializers.map((t) => [t.name, t]));
  const vals = new Map<string, Val>();
  const nodes: DocNode[] = [];
  const edges: DocEdge[] = [];
  const weights = new Map<string, NamedTensor>();
  const used = new Set<string>();
  // How many nodes read each tensor: a bias Add folds into its Conv only when nothing else reads the Conv.
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const o of graph.outputs) readers.set(o.name, (readers.get(o.name) ?? 0) + 1);
  const producerOf = new Map<string, NodeIR>();
  for (const n of graph.nodes) for (const o of n.outputs) producerOf.set(o, n);

  // ---- the image input ----
  const realInputs = graph.inputs.filter((i) => !consts.has(i.name));
  if (realInputs.length !== 1) throw new ImportError(`the graph has ${realInputs.length} inputs (${realInputs.map((i) => i.name).join(', ')}); Netwright imports models with one image input`, said('onnx-inputs', { count: realInputs.length, names: realInputs.map((i) => i.name).join(', ') }));
  const gin = realInputs[0];
  if (gin.dtype !== 'float32') throw new ImportError(`input ${gin.name} is ${gin.dtype}; Netwright feeds float32 images`, said('onnx-input-type', { input: gin.name, dtype: gin.dtype }));
  if (gin.shape.length !== 4) throw new ImportError(`input ${gin.name} has shape [${gin.shape}]; Netwright imports image models with an input [N, C, H, W]`, said('onnx-input-rank', { input: gin.name, shape: String(gin.shape) }));
  const [bdim, c, h, w] = gin.shape;
  if (c !== 1 && c !== 3) throw new ImportError(`input ${gin.name} has ${c} channels; Netwright's Input is grayscale (1) or RGB (3)`, said('onnx-channels', { input: gin.name, channels: String(c) }));
  if (typeof h !== 'number' || typeof w !== 'number' || h < 1 || w < 1) throw new ImportError(`input ${gin.name} has shape [${gin.shape}]: height and width must be fixed sizes`, said('onnx-input-size', { input: gin.name, shape: String(gin.shape) }));
  const batch = typeof bdim === 'number' && bdim > 0 ? bdim : 1;
  const mean = opts.mean ?? [0, 0, 0];
  const std = opts.std ?? [1, 1, 1];
  for (const [k, v] of [['mean', mean], ['std', std]] as const) {
    if (opts[k] && v.length !== c && !(v.length === 1)) throw new ImportError(`--${k} needs ${c} value(s) (one per input channel), got ${v.length}`, said('onnx-norm-count', { option: k, channels: c, count: v.length }));
    if (v.some((x) => !Number.isFinite(x))) throw new ImportError(`--${k} must be numbers`, said('onnx-norm-numbers', { option: k }));
  }
  if (std.some((x) => x <= 0)) throw new ImportError('--std values must be positive', said('onnx-std-positive'));
  const inputParams: Params = { height: h, width: w, color: c === 3 ? 'rgb' : 'grayscale' };
  if (opts.scale && opts.scale !== '0-1') inputParams.scale = opts.scale;
  for (let i = 0; i < c; i++) {
    const m = mean.length === 1 ? mean[0] : mean[i];
    const s = std.length === 1 ? std[0] : std[i];
    if (m !== 0) inputParams[`mean${i}`] = m;
    if (s !== 1) inputParams[`std${i}`] = s;
  }

  // ---- helpers ----
  let where = 'the graph input';
  let at: { index: number; name: string; op: string } | null = null;
  /** Refuses the model at the node (or the graph's input or output) being read: `why` is `msg` as a code (errors:<code> says it word for word). */
  const fail = (msg: string, why: EngineText): never => {
    const detail = { ...why, message: msg };
    throw new ImportError(`${where}: ${msg}`, at ? said('onnx-node', { ...at, detail }) : said('onnx-place', { place: where === 'the graph input' ? 'input' : 'output', detail }));
  };
  const uniqueId = (base: string): string => {
    let id = base.replace(/^\/+/, '').replace(/\/(Conv|Gemm|Relu|BatchNormalization|MaxPool|AveragePool|Add|MatMul|Clip|Flatten|Reshape|Concat|Pad|PRelu|Sigmoid|Tanh|Dropout|GlobalAveragePool|LeakyRelu|Softmax)(_\d+)?$/, '').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'layer';
    if (/^\d/.test(id)) id = `n${id}`;
    let out = id;
    for (let k = 2; used.has(out); k++) out = `${id}_${k}`;
    used.add(out);
    return out;
  };
  const addNode = (type: string, params: Params, ins: Val[], onnxName: string, label?: string): Val => {
    const def = layerDef(type);
    if (!def) fail(`this version of Netwright has no ${type} layer`, said('onnx-no-layer-kind', { type }));
    const id = uniqueId(onnxName || type);
    const node: DocNode = { id, type, params, position: { x: 0, y: 0 }, ...(label ? { label } : {}) };
    const problems = parseDocument({ format: FORMAT, version: FORMAT_VERSION, nodes: [node], edges: [] }).problems;
    if (problems.length) fail(`${problems.map((p) => p.message).join('; ')} (as a ${type} layer)`, said('onnx-as-layer', { problems: problemsParam(problems), type }));
    const shapes = ins.map((v) => v.shape);
    const r = def!.infer(nodeParams(node), shapes);
    if ('problem' in r) fail(`${r.problem.message} (as a ${type} layer)`, said('onnx-as-layer', { problems: problemsParam([r.problem]), type }));
    nodes.push(node);
    ins.forEach((v, port) => edges.push({ id: `e${edges.length + 1}`, source: v.node, target: id, targetPort: port }));
    return { node: id, shape: (r as { shape: Shape }).shape };
  };
  const setWeight = (v: Val, name: string, shape: number[], data: Float32Array) => {
    const n = numel(shape);
    if (n !== data.length) fail(`${name} has ${data.length} values, expected ${n} for [${shape}]`, said('onnx-weight-size', { weight: name, values: data.length, expected: n, shape: String(shape) }));
    weights.set(`${v.node}.${name}`, { shape, data });
  };
  // The attribute readers of onnx/attrs.ts, failing with this node's name.
  const read = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof attrs.AttrTypeError) return fail(e.message, said('onnx-attr-type', { attr: e.attr, type: e.expected }));
      throw e;
    }
  };
  const ai = (n: NodeIR, k: string, d: number): number => read(() => attrs.int(n, k, d));
  const af = (n: NodeIR, k: string, d: number): number => read(() => attrs.float(n, k, d));
  const aints = (n: NodeIR, k: string): number[] | undefined => (attrs.hasAttr(n, k) ? read(() => attrs.ints(n, k)) : undefined);
  const as = (n: NodeIR, k: string, d: string): string => attrs.string(n, k, d);
  const isConst = (name: string) => consts.has(name);
  const constOf = (name: string, what: keyof typeof CONST_INPUT): Tensor => {
    const t = consts.get(name);
    if (!t) return fail(`${CONST_INPUT[what]} (${name}) must be a constant (an initializer or a Constant node); Netwright layers hold their weights themselves`, said('onnx-not-constant', { what, tensor: name }));
    return t;
  };
  const floats = (t: Tensor): Float32Array =>
    t.data instanceof Float32Array ? t.data : Float32Array.from(Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x)));
  const ints = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
  const valOf = (name: string): Val => {
    const v = vals.get(name);
    if (v) return v.softmaxOf ? materializeSoftmax(name, v) : v;
    if (consts.has(name)) return fail(`its input ${name} is a constant; Netwright layers take images or feature vectors, not constants`, said('onnx-input-constant', { tensor: name }));
    return fail(`its input ${name} comes from an operator Netwright did not import`, said('onnx-input-missing', { tensor: name }));
  };
  const materializeSoftmax = (name: string, v: Val): Val => {
    const sm = addNode('Softmax', {}, [v.softmaxOf!], `${name}_softmax`);
    vals.set(name, sm);
    return sm;
  };
  const unusedExtraOutputs = (n: NodeIR) => {
    for (const o of n.outputs.slice(1)) if (o && readers.get(o)) fail(`its output ${o} (the op's optional extra output) is used; Netwright layers have one output`, said('onnx-extra-output', { tensor: o }));
  };
  const square = (ks: number[] | undefined): number => {
    if (!ks || ks.length !== 2) return fail(`the window must be 2-D (kernel_shape [${ks ?? ''}]); Netwright's layers are 2-D`, said('onnx-window-2d', { kernel: String(ks ?? '') }));
    if (ks[0] !== ks[1]) return fail(`the window ${ks[0]}x${ks[1]} is not square; Netwright's layers use square windows`, said('onnx-window-square', { h: ks[0], w: ks[1] }));
    return ks[0];
  };
  const same2 = (xs: number[] | undefined, d: number, attr: 'strides' | 'dilations'): number => {
    const v = xs ?? [d, d];
    if (v.length !== 2 || v[0] !== v[1]) return fail(`${attr} [${v}] differ between height and width; Netwright needs the same value for both`, said('onnx-hw-differ', { attr, values: String(v) }));
    return v[0];
  };
  /** Padding of a window op: symmetric pads, or a Pad layer in front for asymmetric and SAME_* padding. */
  const windowPadding = (n: NodeIR, x: Val, k: number | number[], s: number, d: number): { x: Val; padding: 'valid' | 'same' | 'explicit'; pad: number } => {
    const [kh, kw] = typeof k === 'number' ? [k, k] : k;
    const auto = as(n, 'auto_pad', 'NOTSET');
    let pads: number[];
    if (auto === 'NOTSET') pads = aints(n, 'pads') ?? [0, 0, 0, 0];
    else if (auto === 'VALID') pads = [0, 0, 0, 0];
    else if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
      const side = (size: number, kk: number) => {
        const ek = d * (kk - 1) + 1;
        const total = Math.max((Math.ceil(size / s) - 1) * s + ek - size, 0);
        const small = Math.floor(total / 2);
        return auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
      };
      const [t, b] = side(x.shape[1], kh);
      const [l, r] = side(x.shape[2], kw);
      if (auto === 'SAME_UPPER') return { x, padding: 'same', pad: 0 };
      pads = [t, l, b, r];
    } else return fail(`auto_pad ${auto} is not an ONNX value Netwright knows`, said('onnx-auto-pad', { value: auto }));
    if (pads.length !== 4 || pads.some((p) => p < 0)) return fail(`pads [${pads}] are not 2-D non-negative paddings`, said('onnx-window-pads', { pads: String(pads) }));
    const [t, l, b, r] = pads;
    if (t === b && l === r && t === l) return { x, padding: t === 0 ? 'valid' : 'explicit', pad: t };
    const padded = addNode('Pad', { top: t, bottom: b, left: l, right: r, value: 0 }, [x], `${n.name ?? n.op}_pad`);
    return { x: padded, padding: 'valid', pad: 0 };
  };
  const needImage = (x: Val, what: string) => {
    if (x.shape.length !== 3 || x.pooled) fail(`${what} needs an image [N, C, H, W], but its input is ${x.pooled ? `the [N, ${x.shape[0]}, 1, 1] result of a global pool` : `a feature vector [N, ${x.shape[0]}]`}`, said('onnx-needs-image', { op: what, input: x.pooled ? 'pooled' : 'vector', channels: x.shape[0] }));
  };
  /** A constant that broadcasts as one value per channel ([C], [1, C], [C, 1, 1], [1, C, 1, 1]) for a tensor of shape `shape`. */
  const perChannel = (t: Tensor, shape: Shape): Float32Array | undefined => {
    const C = shape[0];
    const dims = t.dims.slice();
    while (dims.length && dims[0] === 1 && dims.length > (shape.length === 3 ? 3 : 1)) dims.shift();
    const ok = shape.length === 3 ? dims.length === 3 && dims[0] === C && dims[1] === 1 && dims[2] === 1 : dims.length === 1 && dims[0] === C;
    return ok ? floats(t) : undefined;
  };

  // ---- constant folding of the small shape computations older exporters emit ----
  const foldConst = (n: NodeIR): boolean => {
    const out = n.outputs[0];
    const setC = (dims: number[], data: Tensor['data'], dtype: Tensor['dtype']) => consts.set(out, { name: out, dims, data, dtype });
    if (n.op === 'Constant') {
      const a = n.attrs ?? {};
      if (a.value && 't' in a.value) consts.set(out, { ...a.value.t, name: out });
      else if (a.value_float && 'f' in a.value_float) setC([], Float32Array.of(a.value_float.f), 'float32');
      else if (a.value_floats && 'floats' in a.value_floats) setC([a.value_floats.floats.length], Float32Array.from(a.value_floats.floats), 'float32');
      else if (a.value_int && 'i' in a.value_int) setC([], BigInt64Array.of(BigInt(a.value_int.i)), 'int64');
      else if (a.value_ints && 'ints' in a.value_ints) setC([a.value_ints.ints.length], BigInt64Array.from(a.value_ints.ints.map(BigInt)), 'int64');
      else fail('a Constant without a tensor value is not supported', said('onnx-constant-value'));
      return true;
    }
    if (n.op === 'Shape' && vals.has(n.inputs[0])) {
      const v = vals.get(n.inputs[0])!;
      const dims = [batch, ...(v.pooled ? [v.shape[0], 1, 1] : v.shape)];
      setC([dims.length], BigInt64Array.from(dims.map(BigInt)), 'int64');
      return true;
    }
    const ins = n.inputs.filter((i) => i);
    if (!ins.length || !ins.every(isConst)) return false;
    const t = consts.get(n.inputs[0])!;
    if (n.op === 'Identity' || n.op === 'Cast' || n.op === 'Dropout') {
      if (n.op === 'Cast') {
        const to = ai(n, 'to', 1);
        if (to === 1) setC(t.dims, floats(t), 'float32');
        else if (to === 7) setC(t.dims, BigInt64Array.from(ints(t).map((x) => BigInt(Math.trunc(x)))), 'int64');
        else return fail(`Cast to type ${to} of a constant is not supported`, said('onnx-cast', { to }));
      } else consts.set(out, { ...t, name: out });
      return true;
    }
    if (n.op === 'Unsqueeze' || n.op === 'Squeeze' || n.op === 'Reshape' || n.op === 'Flatten') {
      // Only the values matter to the layers that read constants; keep the data, recompute dims.
      const total = numel(t.dims);
      let dims: number[];
      if (n.op === 'Reshape') {
        const target = ints(consts.get(n.inputs[1])!);
        const known = target.reduce((a, d, i) => a * (d === -1 ? 1 : d === 0 ? t.dims[i] : d), 1);
        dims = target.map((d, i) => (d === -1 ? total / known : d === 0 ? t.dims[i] : d));
      } else if (n.op === 'Unsqueeze') {
        const axes = aints(n, 'axes') ?? (n.inputs[1] ? ints(consts.get(n.inputs[1])!) : []);
        dims = t.dims.slice();
        for (const a of [...axes].sort((x, y) => x - y)) dims.splice(a < 0 ? a + dims.length + 1 : a, 0, 1);
      } else if (n.op === 'Squeeze') dims = t.dims.filter((d) => d !== 1);
      else dims = [numel(t.dims.slice(0, ai(n, 'axis', 1))), total / Math.max(1, numel(t.dims.slice(0, ai(n, 'axis', 1))))];
      consts.set(out, { ...t, name: out, dims });
      return true;
    }
    if (n.op === 'Gather') {
      const idx = ints(consts.get(n.inputs[1])!);
      if (t.dims.length !== 1 || ai(n, 'axis', 0) !== 0) return false;
      const src = ints(t);
      const picked = idx.map((i) => src[i < 0 ? i + src.length : i]);
      const scalar = consts.get(n.inputs[1])!.dims.length === 0;
      setC(scalar ? [] : [picked.length], BigInt64Array.from(picked.map(BigInt)), 'int64');
      return true;
    }
    if (n.op === 'Concat') {
      const parts = n.inputs.map((i) => consts.get(i)!);
      if (parts.some((p) => p.dims.length > 1)) return false;
      if (parts.every((p) => p.dtype === 'int64')) setC([parts.reduce((a, p) => a + p.data.length, 0)], BigInt64Array.from(parts.flatMap((p) => ints(p)).map(BigInt)), 'int64');
      else setC([parts.reduce((a, p) => a + p.data.length, 0)], Float32Array.from(parts.flatMap((p) => Array.from(floats(p)))), 'float32');
      return true;
    }
    if (n.op === 'Transpose') {
      if (t.dims.length !== 2) return false;
      const [r, cc] = t.dims;
      const src = floats(t);
      const d = new Float32Array(src.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < cc; j++) d[j * r + i] = src[i * cc + j];
      setC([cc, r], d, 'float32');
      return true;
    }
    return false;
  };

  /** Whether `x` is flattened by a Reshape to `target`: [N, -1], [1, -1], [-1, C*H*W], [N, C*H*W] (0 copies N). */
  const flattens = (x: Val, target: number[]): boolean => {
    const size = numel(x.shape);
    if (target.length !== 2) return false;
    const [a, b] = target;
    const first = a === 0 || a === batch || a === 1 || a === -1;
    return first && (b === -1 ? a !== -1 : b === size) && (a !== -1 || b === size);
  };

  // ---- the walk ----
  const inVal = addNode('Input', inputParams, [], 'input');
  vals.set(gin.name, inVal);
  graph.nodes.forEach((n, index) => {
    where = `node ${index} "${n.name || n.outputs[0]}" (${n.op})`;
    at = { index, name: n.name || n.outputs[0], op: n.op };
    if (n.domain && n.domain !== 'ai.onnx') fail(`operators of domain ${n.domain} are not supported`, said('onnx-domain', { domain: n.domain }));
    if (foldConst(n)) return;
    const out = n.outputs[0];
    const name = n.name || out;
    switch (n.op) {
      case 'Conv': {
        const x = valOf(n.inputs[0]);
        needImage(x, 'Conv');
        const W = constOf(n.inputs[1], 'weight');
        if (W.dims.length !== 4) fail(`weight of shape [${W.dims}] is not a 2-D convolution's [F, C/groups, kH, kW]`, said('onnx-conv-weight', { dims: String(W.dims) }));
        const ks = aints(n, 'kernel_shape') ?? W.dims.slice(2);
        if (ks.length !== 2 || ks[0] !== W.dims[2] || ks[1] !== W.dims[3]) fail(`kernel_shape [${ks}] does not match the weight [${W.dims}]`, said('onnx-kernel-shape', { kernel: String(ks), dims: String(W.dims) }));
        const [k, k2] = ks;
        const s = same2(aints(n, 'strides'), 1, 'strides');
        const d = same2(aints(n, 'dilations'), 1, 'dilations');
        const group = ai(n, 'group', 1);
        const p = windowPadding(n, x, [k, k2], s, d);
        const hasBias = !!n.inputs[2];
        const conv = addNode('Conv2D', { filters: W.dims[0], kernel: k, ...(k2 !== k ? { kernelW: k2 } : {}), stride: s, padding: p.padding, pad: p.pad, dilation: d, groups: group, bias: hasBias }, [p.x], name);
        setWeight(conv, 'W', W.dims, floats(W));
        if (hasBias) setWeight(conv, 'B', [W.dims[0]], floats(constOf(n.inputs[2], 'bias')));
        vals.set(out, conv);
        return;
      }
      case 'Gemm': {
        const x = valOf(n.inputs[0]);
        if (x.shape.length !== 1) fail(`Gemm needs a feature vector [N, F], but its input is an image [N, ${x.shape}]: flatten it first`, said('onnx-needs-vector', { op: 'Gemm', shape: String(x.shape) }));
        if (ai(n, 'transA', 0)) fail('transA=1 is not supported (the input must be [N, F])', said('onnx-gemm-trans-a'));
        if (Math.abs(af(n, 'alpha', 1) - 1) > FLOAT_ATTR_EPS) fail(`alpha=${af(n, 'alpha', 1)} is not supported (Dense computes x·Wᵀ + b)`, said('onnx-gemm-alpha', { alpha: af(n, 'alpha', 1) }));
        const B = constOf(n.inputs[1], 'weight');
        const transB = ai(n, 'transB', 0);
        if (B.dims.length !== 2) fail(`weight of shape [${B.dims}] is not a matrix`, said('onnx-gemm-matrix', { dims: String(B.dims) }));
        const [units, fin] = transB ? B.dims : [B.dims[1], B.dims[0]];
        if (fin !== x.shape[0]) fail(`weight [${B.dims}] does not fit ${x.shape[0]} input features`, said('onnx-gemm-features', { dims: String(B.dims), features: x.shape[0] }));
        const hasBias = !!n.inputs[2];
        if (hasBias && Math.abs(af(n, 'beta', 1) - 1) > FLOAT_ATTR_EPS) fail(`beta=${af(n, 'beta', 1)} is not supported (Dense adds the bias as is)`, said('onnx-gemm-beta', { beta: af(n, 'beta', 1) }));
        const dense = addNode('Dense', { units, bias: hasBias }, [x], name);
        setWeight(dense, 'W', [units, fin], transB ? floats(B) : transpose(floats(B), fin, units));
        if (hasBias) {
          const C = constOf(n.inputs[2], 'bias');
          const cv = floats(C);
          if (cv.length !== units && cv.length !== 1) fail(`bias of shape [${C.dims}] does not give one value per unit (${units})`, said('onnx-gemm-bias', { dims: String(C.dims), units }));
          setWeight(dense, 'B', [units], cv.length === units ? cv : new Float32Array(units).fill(cv[0]));
        }
        vals.set(out, dense);
        return;
      }
      case 'MatMul': {
        const x = valOf(n.inputs[0]);
        if (x.shape.length !== 1) fail(`MatMul needs a feature vector [N, F], but its input is an image [N, ${x.shape}]: flatten it first`, said('onnx-needs-vector', { op: 'MatMul', shape: String(x.shape) }));
        const B = constOf(n.inputs[1], 'weight');
        if (B.dims.length !== 2 || B.dims[0] !== x.shape[0]) fail(`weight [${B.dims}] is not an [F, units] matrix for ${x.shape[0]} features`, said('onnx-matmul-weight', { dims: String(B.dims), features: x.shape[0] }));
        const [fin, units] = B.dims;
        const dense = addNode('Dense', { units, bias: false }, [x], name);
        setWeight(dense, 'W', [units, fin], transpose(floats(B), fin, units));
        vals.set(out, dense);
        return;
      }
      case 'Add':
      case 'Sum': {
        const ins = n.inputs.filter((i) => i);
        const constIns = ins.filter(isConst);
        if (constIns.length) {
          // A bias: Conv without bias + Add [C, 1, 1], MatMul (Dense without bias) + Add [U].
          if (ins.length !== 2 || constIns.length !== 1) fail('only an Add of one layer output and one bias constant is supported', said('onnx-add-constants'));
          const src = ins.find((i) => !isConst(i))!;
          const x = valOf(src);
          const node = nodes.find((m) => m.id === x.node)!;
          const bias = perChannel(consts.get(constIns[0])!, x.shape);
          if ((node.type !== 'Conv2D' && node.type !== 'Dense') || node.params.bias !== false || (readers.get(src) ?? 0) > 1 || !bias || x.pooled) {
            fail(`adding the constant ${constIns[0]} [${consts.get(constIns[0])!.dims}] is supported only as the bias of a Conv or MatMul without one (one value per channel)`, said('onnx-add-bias', { tensor: constIns[0], dims: String(consts.get(constIns[0])!.dims) }));
          }
          node.params.bias = true;
          setWeight(x, 'B', [x.shape[0]], bias!);
          vals.set(out, x);
          return;
        }
        const xs = ins.map((i) => valOf(i));
        if (xs.length === 1) return void vals.set(out, xs[0]);
        if (xs.length > 8) fail(`${xs.length} inputs; Add takes at most 8`, said('onnx-inputs-max', { count: xs.length, op: 'Add' }));
        if (xs.some((v) => v.shape.join() !== xs[0].shape.join() || !!v.pooled !== !!xs[0].pooled)) fail(`inputs of shapes ${xs.map((v) => `[${v.shape}]`).join(', ')} differ; Netwright's Add needs equal shapes (no broadcasting)`, said('onnx-add-shapes', { shapes: xs.map((v) => `[${v.shape}]`).join(', ') }));
        const add = addNode('Add', { inputs: xs.length }, xs, name);
        vals.set(out, { ...add, pooled: xs[0].pooled });
        return;
      }
      case 'Concat': {
        const xs = n.inputs.map((i) => valOf(i));
        const rank = xs[0].pooled ? 4 : xs[0].shape.length + 1;
        const axis = ai(n, 'axis', 1);
        if (axis !== 1 && axis !== 1 - rank) fail(`axis ${axis}: Netwright concatenates along the channel axis (1) only`, said('onnx-concat-axis', { axis }));
        if (xs.length > 8) fail(`${xs.length} inputs; Concat takes at most 8`, said('onnx-inputs-max', { count: xs.length, op: 'Concat' }));
        if (xs.some((v) => !!v.pooled !== !!xs[0].pooled)) fail('inputs mix pooled and unpooled tensors', said('onnx-concat-pooled'));
        const cat = addNode('Concat', { inputs: xs.length }, xs, name);
        vals.set(out, { ...cat, pooled: xs[0].pooled });
        return;
      }
      case 'BatchNormalization': {
        const x = valOf(n.inputs[0]);
        if (x.pooled) fail('BatchNormalization after a global pool, before its Flatten, is not supported', said('onnx-bn-pooled'));
        unusedExtraOutputs(n);
        if (opset < 9 && ai(n, 'spatial', 1) !== 1) fail('spatial=0 (statistics per pixel) is not supported; Netwright keeps one mean and variance per channel', said('onnx-bn-spatial'));
        if (ai(n, 'training_mode', 0)) fail('training_mode=1 is not supported in an imported graph', said('onnx-bn-training'));
        const [scale, bias, rmean, rvar] = (['scale', 'bias', 'mean', 'variance'] as const).map((what, i) => floats(constOf(n.inputs[i + 1], what)));
        const C = x.shape[0];
        if ([scale, bias, rmean, rvar].some((t) => t.length !== C)) fail(`its parameters do not have one value per channel (${C})`, said('onnx-bn-channels', { channels: C }));
        const momentum = 1 - af(n, 'momentum', 0.9);
        const bn = addNode('BatchNorm', { momentum: Math.min(1, Math.max(0, Number(momentum.toFixed(6)))), epsilon: af(n, 'epsilon', 1e-5) }, [x], name);
        setWeight(bn, 'gamma', [C], scale);
        setWeight(bn, 'beta', [C], bias);
        setWeight(bn, 'running_mean', [C], rmean);
        setWeight(bn, 'running_var', [C], rvar);
        vals.set(out, bn);
        return;
      }
      case 'Relu':
      case 'Sigmoid':
      case 'Tanh':
      case 'LeakyRelu':
      case 'Elu': {
        const x = valOf(n.inputs[0]);
        const type = { Relu: 'ReLU', Sigmoid: 'Sigmoid', Tanh: 'Tanh', LeakyRelu: 'LeakyReLU', Elu: 'ELU' }[n.op]!;
        const params: Params = n.op === 'LeakyRelu' ? { alpha: af(n, 'alpha', 0.01) } : n.op === 'Elu' ? { alpha: af(n, 'alpha', 1) } : {};
        const v = addNode(type, params, [x], name);
        vals.set(out, { ...v, pooled: x.pooled });
        return;
      }
      case 'Clip': {
        const x = valOf(n.inputs[0]);
        let lo = -Infinity;
        let hi = Infinity;
        if (opset < 11) {
          lo = af(n, 'min', -Infinity);
          hi = af(n, 'max', Infinity);
        } else {
          if (n.inputs[1]) lo = floats(constOf(n.inputs[1], 'min'))[0];
          if (n.inputs[2]) hi = floats(constOf(n.inputs[2], 'max'))[0];
        }
        let v: Val;
        if (lo === 0 && hi === Infinity) v = addNode('ReLU', {}, [x], name);
        else {
          if (!Number.isFinite(lo) || !Number.isFinite(hi)) fail(`Clip(${lo}, ${hi}) has an open end; Netwright's Clip layer needs finite min and max`, said('onnx-clip-open', { min: String(lo), max: String(hi) }));
          v = addNode('Clip', { min: lo, max: hi }, [x], name, lo === 0 && hi === 6 ? 'ReLU6' : undefined);
        }
        vals.set(out, { ...v, pooled: x.pooled });
        return;
      }
      case 'PRelu': {
        const x = valOf(n.inputs[0]);
        const slope = constOf(n.inputs[1], 'slope');
        const sv = floats(slope);
        const C = x.shape[0];
        let perCh: boolean;
        if (sv.length === 1) perCh = false;
        else if (perChannel(slope, x.pooled ? [C, 1, 1] : x.shape)) perCh = true;
        else return fail(`slope of shape [${slope.dims}] is neither one value nor one per channel (${C})`, said('onnx-prelu-slope', { dims: String(slope.dims), channels: C }));
        const v = addNode('PReLU', { perChannel: perCh }, [x], name);
        setWeight(v, 'slope', [perCh ? C : 1], sv);
        vals.set(out, { ...v, pooled: x.pooled });
        return;
      }
      case 'MaxPool':
      case 'AveragePool': {
        const x = valOf(n.inputs[0]);
        needImage(x, n.op);
        unusedExtraOutputs(n);
        const k = square(aints(n, 'kernel_shape'));
        const s = same2(aints(n, 'strides'), 1, 'strides');
        if (same2(aints(n, 'dilations'), 1, 'dilations') !== 1) fail('dilated pooling is not supported', said('onnx-pool-dilated'));
        if (ai(n, 'storage_order', 0)) fail('storage_order=1 is not supported', said('onnx-pool-storage-order'));
        const ceil = ai(n, 'ceil_mode', 0) === 1;
        const p = windowPadding(n, x, k, s, 1);
        const params: Params = { size: k, stride: s, padding: p.padding };
        if (p.padding === 'explicit') params.pad = p.pad;
        if (ceil) params.ceil = true;
        if (n.op === 'AveragePool' && p.padding !== 'valid' && !ai(n, 'count_include_pad', 0)) params.countPad = false;
        if (n.op === 'AveragePool' && p.x !== x && !ai(n, 'count_include_pad', 0)) fail('asymmetric padding without count_include_pad is not supported', said('onnx-pool-count-pad'));
        const v = addNode(n.op === 'MaxPool' ? 'MaxPool2D' : 'AvgPool2D', params, [p.x], name);
        vals.set(out, v);
        return;
      }
      case 'GlobalAveragePool':
      case 'ReduceMean': {
        const x = valOf(n.inputs[0]);
        needImage(x, n.op);
        if (n.op === 'ReduceMean') {
          const axes = (aints(n, 'axes') ?? (n.inputs[1] ? ints(constOf(n.inputs[1], 'axes')) : [])).map((a) => (a < 0 ? a + 4 : a)).sort();
          if (axes.join() !== '2,3') fail(`ReduceMean over axes [${axes}] is not supported (only the spatial mean, axes [2, 3])`, said('onnx-reduce-axes', { axes: String(axes) }));
          if (!ai(n, 'keepdims', 1)) {
            vals.set(out, addNode('GlobalAvgPool', {}, [x], name));
            return;
          }
        }
        vals.set(out, { ...addNode('GlobalAvgPool', {}, [x], name), pooled: true });
        return;
      }
      case 'Flatten': {
        const x = valOf(n.inputs[0]);
        if (ai(n, 'axis', 1) !== 1) fail(`axis ${ai(n, 'axis', 1)}: Netwright flattens everything but the batch (axis 1)`, said('onnx-flatten-axis', { axis: ai(n, 'axis', 1) }));
        vals.set(out, x.shape.length === 1 ? { node: x.node, shape: x.shape } : addNode('Flatten', {}, [x], name));
        return;
      }
      case 'Reshape': {
        const x = valOf(n.inputs[0]);
        const target = n.inputs[1] ? ints(constOf(n.inputs[1], 'shape')) : (aints(n, 'shape') ?? []);
        if (!flattens(x, target)) {
          const from = x.pooled ? `${x.shape[0]}, 1, 1` : String(x.shape);
          fail(`reshaping [N, ${from}] to [${target}] is not supported; Netwright reads Reshape only as a flatten ([N, -1])`, said('onnx-reshape', { from, to: String(target) }));
        }
        vals.set(out, x.shape.length === 1 ? { node: x.node, shape: x.shape } : addNode('Flatten', {}, [x], name));
        return;
      }
      case 'Squeeze': {
        const x = valOf(n.inputs[0]);
        const axes = (aints(n, 'axes') ?? (n.inputs[1] ? ints(constOf(n.inputs[1], 'axes')) : [2, 3])).map((a) => (a < 0 ? a + 4 : a)).sort();
        if (!x.pooled || axes.join() !== '2,3') fail('Squeeze is supported only after a global pool (axes 2, 3)', said('onnx-squeeze'));
        vals.set(out, { node: x.node, shape: x.shape });
        return;
      }
      case 'Dropout': {
        const x = valOf(n.inputs[0]);
        unusedExtraOutputs(n);
        const rate = opset < 12 ? af(n, 'ratio', 0.5) : n.inputs[1] ? floats(constOf(n.inputs[1], 'ratio'))[0] : 0.5;
        if (rate <= 0 || rate > 0.95) return void vals.set(out, x);
        vals.set(out, { ...addNode('Dropout', { rate: Number(rate.toFixed(6)) }, [x], name), pooled: x.pooled });
        return;
      }
      case 'Identity':
        vals.set(out, valOf(n.inputs[0]));
        return;
      case 'Softmax':
      case 'LogSoftmax': {
        const x = valOf(n.inputs[0]);
        const axis = ai(n, 'axis', opset >= 13 ? -1 : 1);
        if (x.shape.length !== 1 || x.pooled || (axis !== 1 && axis !== -1)) fail(`${n.op} over axis ${axis} of [N, ${x.shape}] is not supported; Netwright applies softmax to class scores [N, K]`, said('onnx-softmax-axis', { op: n.op, axis, shape: String(x.shape) }));
        if (n.op === 'LogSoftmax') fail('LogSoftmax is not supported; export the model without it (Netwright\'s output head applies softmax itself)', said('onnx-log-softmax'));
        vals.set(out, { node: x.node, shape: x.shape, softmaxOf: x });
        return;
      }
      case 'Pad': {
        const x = valOf(n.inputs[0]);
        needImage(x, 'Pad');
        const mode = as(n, 'mode', 'constant');
        if (mode !== 'constant') fail(`mode ${mode} is not supported (only constant padding)`, said('onnx-pad-mode', { mode }));
        const pads = opset < 11 ? (aints(n, 'pads') ?? aints(n, 'paddings')) : n.inputs[1] ? ints(constOf(n.inputs[1], 'pads')) : undefined;
        if (!pads || pads.length !== 8) fail(`pads [${pads ?? ''}] are not the 8 values of a 4-D tensor`, said('onnx-pad-count', { pads: String(pads ?? '') }));
        const [n0, c0, t, l, n1, c1, b, r] = pads!;
        if (n0 || c0 || n1 || c1) fail('padding the batch or channel axis is not supported', said('onnx-pad-axes'));
        if (pads!.some((p) => p < 0)) fail('negative pads (cropping) are not supported', said('onnx-pad-negative'));
        const value = opset < 11 ? af(n, 'value', 0) : n.inputs[2] ? floats(constOf(n.inputs[2], 'value'))[0] : 0;
        vals.set(out, addNode('Pad', { top: t, bottom: b, left: l, right: r, value }, [x], name));
        return;
      }
      default:
        throw new ImportError(`${where}: Netwright has no layer for the ONNX operator ${n.op}`, said('onnx-unsupported', { ...at! }));
    }
  });

  // ---- the head ----
  where = 'the graph output';
  at = null;
  if (graph.outputs.length !== 1) throw new ImportError(`the graph has ${graph.outputs.length} outputs (${graph.outputs.map((o) => o.name).join(', ')}); Netwright imports models with one output`, said('onnx-outputs', { count: graph.outputs.length, names: graph.outputs.map((o) => o.name).join(', ') }));
  const outName = graph.outputs[0].name;
  const last = vals.get(outName);
  if (!last) throw new ImportError(`the graph output ${outName} is ${consts.has(outName) ? 'a constant' : 'not produced by an imported layer'}`, said('onnx-output-source', { output: outName, source: consts.has(outName) ? 'constant' : 'missing' }));
  let open = true;
  let compare: ImportResult['compare'] = 'output';
  if (opts.head !== 'open') {
    const scores = last.softmaxOf ?? last;
    if (scores.shape.length === 1 && !scores.pooled && scores.shape[0] >= 2 && endsInClassifier(scores.node, nodes, edges)) {
      addNode('Output', { loss: 'cross_entropy' }, [scores], 'output');
      open = false;
      compare = last.softmaxOf ? 'probs' : 'logits';
    }
  }
  if (open && last.softmaxOf) materializeSoftmax(outName, last);

  layout(nodes, edges);
  // ResNet basic blocks and MobileNetV2 inverted residuals arrive as collapsed blocks (display only).
  const doc: NetworkDocument = withRecognizedBlocks({
    format: FORMAT,
    version: FORMAT_VERSION,
    name: opts.name ?? (graph.name || 'imported'),
    nodes,
    edges,
    training: trainingSchema.parse({}),
  }, { compact: true });
  // The document must load and analyse like any other, with the shapes the weights were made for.
  const loaded = parseDocument(JSON.parse(JSON.stringify(doc)));
  if (!loaded.ok || loaded.problems.length) {
    const problems = loaded.problems.map((p) => `[${p.nodeId ?? '-'}] ${p.message}`).join('; ');
    throw new ImportError(`the imported document does not load: ${problems}`, said('onnx-doc-load', { problems }));
  }
  const a = inferShapes(loaded.doc);
  const errs = a.problems.filter((p) => p.severity !== 'warning' && !(open && p.code === 'no-output'));
  if (errs.length) {
    const problems = errs.map((p) => `[${p.nodeId ?? '-'}] ${p.message}`).join('; ');
    throw new ImportError(`the imported network has problems: ${problems}`, said('onnx-doc-problems', { problems }));
  }
  return { doc: loaded.doc, weights, open, compare, opset, counts: { onnxNodes: graph.nodes.length, layers: nodes.length } };
}

/** Why a file is not a readable model, as a code (the English is onnx/model.ts's, word for word). */
function readReason(r: ReadReason): EngineText {
  switch (r.kind) {
    case 'empty': return said('onnx-read-empty');
    case 'no-opset': return said('onnx-read-no-opset');
    case 'no-graph': return said('onnx-read-no-graph');
    case 'external': return said('onnx-read-external');
    case 'not-onnx': return said('onnx-read-not-onnx', { detail: r.detail });
    case 'ir-version': return said('onnx-read-ir', { version: r.version });
    case 'data-type': return said('onnx-read-data-type', { type: r.type });
    case 'elem-type': return said('onnx-read-elem-type', { type: r.type });
    case 'read-before': return said('onnx-read-before', { tensor: r.tensor, node: r.node });
    case 'unproduced': return said('onnx-read-unproduced', { tensor: r.tensor });
    case 'produced-twice': return said('onnx-read-twice', { tensor: r.tensor });
    case 'never-produced': return said('onnx-read-never', { tensor: r.tensor });
  }
}

/**
 * Problems of a layer the import made, as a param: one problem as `engine.<code>` with its params
 * (the renderer shows shape-inference problems under that key, graph/problem-codes.ts), several as
 * their English messages.
 */
function problemsParam(ps: Pick<Problem, 'code' | 'params' | 'message'>[]): string | CodedMessage {
  const message = ps.map((p) => p.message).join('; ');
  if (ps.length !== 1 || !ps[0].code) return message;
  const params = Object.fromEntries(Object.entries(ps[0].params ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined));
  return { code: `engine.${ps[0].code}`, params, message };
}

function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = src[i * cols + j];
  return out;
}

/**
 * Class scores: walking back from the output through shape-keeping layers (activations,
 * Flatten, global pooling, Dropout) reaches a Dense or a 1x1 Conv (SqueezeNet's classifier).
 * A backbone cut before its head ends in BatchNorm, ReLU of a residual Add, pooling: left open.
 */
function endsInClassifier(id: string, nodes: DocNode[], edges: DocEdge[]): boolean {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const PASS = new Set(['ReLU', 'LeakyReLU', 'ELU', 'Sigmoid', 'Tanh', 'Clip', 'PReLU', 'Softmax', 'Flatten', 'GlobalAvgPool', 'Dropout', 'AvgPool2D', 'MaxPool2D']);
  for (let cur = byId.get(id); cur; ) {
    if (cur.type === 'Dense') return true;
    if (cur.type === 'Conv2D') return cur.params.kernel === 1 && !cur.params.kernelW;
    if (!PASS.has(cur.type)) return false;
    const e = edges.find((x) => x.target === cur!.id);
    cur = e ? byId.get(e.source) : undefined;
  }
  return false;
}

/** Rows by depth (longest path from the input), side branches in columns beside the main line. */
function layout(nodes: DocNode[], edges: DocEdge[]): void {
  const depth = new Map<string, number>();
  for (const n of nodes) {
    const ins = edges.filter((e) => e.target === n.id).map((e) => depth.get(e.source) ?? 0);
    depth.set(n.id, ins.length ? Math.max(...ins) + 1 : 0);
  }
  const perRow = new Map<number, number>();
  for (const n of nodes) {
    const d = depth.get(n.id)!;
    const col = perRow.get(d) ?? 0;
    perRow.set(d, col + 1);
    n.position = { x: 80 + col * 260, y: 40 + d * 110 };
  }
}
