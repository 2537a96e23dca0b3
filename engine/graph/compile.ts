// Lowers an analysed document to ONNX: the forward pass (shared by inference and training),
// parameter initialization, and the inference model that export writes.
import { numel } from '../numel.ts';
import { BATCH, GraphBuilder } from '../onnx/builder.ts';
import { OPSET, type ModelIR, type Tensor, floatTensor } from '../onnx/model.ts';
import type { NetworkDocument } from './document.ts';
import { inferShapes, resolved, type Analysis } from './infer.ts';
import type { LowerContext, Shape } from './layer.ts';
import { LOSSES, type LossName } from './losses.ts';
import { Rng } from './rng.ts';
import { floatArray } from './memory.ts';

export type Mode = 'train' | 'infer';

export interface WeightInfo {
  /** Tensor name, `<nodeId>.<weight>`. */
  name: string;
  nodeId: string;
  shape: number[];
  init: 'he' | 'glorot' | 'zeros' | 'ones' | { constant: number };
  fanIn: number;
  fanOut: number;
  /** Its node is frozen (nodes[].frozen): no gradient, no optimizer state. */
  frozen?: boolean;
}

export interface StateInfo {
  name: string;
  shape: number[];
  init: 'zeros' | 'ones';
  frozen?: boolean;
  /** Train mode: the tensor holding the updated value. */
  updated?: string;
}

export interface MaskInfo {
  name: string;
  /** Per-sample shape; the batch axis is added at run time. */
  shape: Shape;
  rate: number;
}

export interface Forward {
  g: GraphBuilder;
  input: string;
  logits: string;
  classes: number;
  loss: LossName;
  /** No Output head (an open-ended network, inference only): `logits` is its last layer's output. */
  open: boolean;
  weights: WeightInfo[];
  states: StateInfo[];
  masks: MaskInfo[];
  analysis: Analysis;
  /** The tensor holding each lowered node's output, by node id. */
  tensors: Map<string, string>;
}

export interface LowerOptions {
  /**
   * Lower only what lies below this node: its output becomes the graph input `input` (the
   * head-only step on cached features, engine/train/features.ts); it and everything upstream
   * of it are left out.
   */
  from?: string;
}

export class CompileError extends Error {
  constructor(readonly analysis: Analysis) {
    const errs = analysis.problems.filter((p) => p.severity !== 'warning');
    super(`the network has ${errs.length} problem(s):\n` + errs.map((p) => `  - ${p.nodeId ? `[${p.nodeId}] ` : ''}${p.message}`).join('\n'));
  }
}

export function analyseOrThrow(doc: NetworkDocument, open = false): Analysis {
  const a = inferShapes(doc);
  if (open && !doc.nodes.some((n) => n.type === 'Output')) return openEnded(a);
  if (!a.ok) throw new CompileError(a);
  return a;
}

/**
 * A network without an output head (an imported backbone): its one open end, the layer nothing
 * reads, is the output. Export and evaluation of the features only; training needs a head.
 */
function openEnded(a: Analysis): Analysis {
  const rest = { ...a, problems: a.problems.filter((p) => p.code !== 'no-output') };
  if (rest.problems.some((p) => p.severity !== 'warning')) throw new CompileError(rest);
  const read = new Set([...a.inputsOf.values()].flat());
  const ends = a.order.filter((n) => !read.has(n.id));
  if (ends.length !== 1) {
    throw new CompileError({ ...rest, problems: [{ code: 'no-output', params: { form: 'ends', ends: ends.length, ids: ends.map((n) => n.id).join(', ') }, message: `the network has no output head and ${ends.length} open ends (${ends.map((n) => n.id).join(', ')}); a network without a head needs exactly one` }] });
  }
  return { ...rest, outputId: ends[0].id, ok: true };
}

/**
 * Emits the forward pass. In 'train' mode weights and states are graph inputs (the training
 * step feeds them and returns updated ones); in 'infer' mode they are initializers from
 * `values`, or graph inputs when `values` is 'inputs' (validation during training).
 */
export function lowerForward(doc: NetworkDocument, mode: Mode, values?: Map<string, Float32Array> | 'inputs', opts: LowerOptions = {}): Forward {
  const analysis = analyseOrThrow(doc, mode === 'infer');
  const g = new GraphBuilder();
  const weights: WeightInfo[] = [];
  const states: StateInfo[] = [];
  const masks: MaskInfo[] = [];
  const tensorOf = new Map<string, string>();
  const live = liveNodes(analysis);
  const initOf = initPolicy(doc, analysis);
  const cut = opts.from ? upstreamOf(analysis, opts.from) : new Set<string>();
  /** Nodes with a trainable (not frozen) parameter at or upstream of them: gradients pass through these. */
  const graded = new Set<string>();
  if (opts.from) tensorOf.set(opts.from, g.input('input', 'float32', [BATCH, ...analysis.shapes.get(opts.from)!]));

  for (const node of analysis.order) {
    if (!live.has(node.id) || cut.has(node.id)) continue;
    const { def, params } = resolved(node);
    const frozen = node.frozen === true;
    const srcs = analysis.inputsOf.get(node.id)!.map((s) => s!);
    const inShapes = srcs.map((s) => analysis.shapes.get(s)!);
    const out = analysis.shapes.get(node.id)!;
    const specs = def.weights?.(params, inShapes, out) ?? [];
    const stateSpecs = def.states?.(params, inShapes, out) ?? [];
    if ((!frozen && specs.length) || srcs.some((s) => graded.has(s))) graded.add(node.id);
    const ctx: LowerContext = {
      g,
      // A frozen node runs as in inference inside the training step too (BatchNorm on its
      // running statistics); its weights and states are still fed as inputs, never updated.
      mode: frozen && !graded.has(node.id) ? 'infer' : mode,
      frozen: frozen && mode === 'train' && graded.has(node.id),
      weight(name) {
        const spec = specs.find((w) => w.name === name);
        if (!spec) throw new Error(`${def.type} lowered weight ${name} it did not declare`);
        const full = `${node.id}.${name}`;
        if (weights.some((w) => w.name === full)) return full;
        const init = spec.init === 'fan' ? initOf(node.id) : spec.init;
        weights.push({ name: full, nodeId: node.id, shape: spec.shape, init, fanIn: spec.fanIn, fanOut: spec.fanOut, ...(frozen ? { frozen } : {}) });
        if (mode === 'train' || values === 'inputs') return g.input(full, 'float32', spec.shape);
        return g.initializer(floatTensor(full, spec.shape, valueOf(values, full, spec.shape)));
      },
      state(name) {
        const spec = stateSpecs.find((s) => s.name === name);
        if (!spec) throw new Error(`${def.type} lowered state ${name} it did not declare`);
        const full = `${node.id}.${name}`;
        const info: StateInfo = { name: full, shape: spec.shape, init: spec.init, ...(frozen ? { frozen } : {}) };
        states.push(info);
        const value =
          mode === 'train' || values === 'inputs' ? g.input(full, 'float32', spec.shape) : g.initializer(floatTensor(full, spec.shape, valueOf(values, full, spec.shape)));
        return { value, update: (t) => void (info.updated = t) };
      },
      dropoutMask(shape, rate) {
        const name = g.input(`${node.id}.mask`, 'float32', [BATCH, ...shape]);
        masks.push({ name, shape, rate });
        return name;
      },
    };
    g.scope = node.id;
    const ins = srcs.map((s) => tensorOf.get(s)!);
    tensorOf.set(node.id, def.lower(ctx, params, ins, inShapes, out));
    g.scope = '';
  }
  const head = doc.nodes.find((n) => n.id === analysis.outputId)!;
  return {
    g,
    input: tensorOf.get(opts.from ?? analysis.inputId!)!,
    logits: tensorOf.get(head.id)!,
    classes: analysis.shapes.get(head.id)![0],
    loss: head.type === 'Output' ? (resolved(head).params.loss as LossName) : 'cross_entropy',
    open: head.type !== 'Output',
    weights,
    states,
    masks,
    analysis,
    tensors: tensorOf,
  };
}

/** `id` and every node upstream of it. */
export function upstreamOf(a: Pick<Analysis, 'inputsOf'>, id: string): Set<string> {
  const out = new Set<string>([id]);
  const stack = [id];
  while (stack.length) {
    for (const s of a.inputsOf.get(stack.pop()!) ?? []) {
      if (s && !out.has(s)) {
        out.add(s);
        stack.push(s);
      }
    }
  }
  return out;
}

function valueOf(values: Map<string, Float32Array> | 'inputs' | undefined, name: string, shape: number[]): Float32Array {
  const v = values === 'inputs' ? undefined : values?.get(name);
  const n = numel(shape);
  if (!v) throw new Error(`no value for ${name}`);
  if (v.length !== n) throw new Error(`${name} has ${v.length} values, expected ${n} for shape [${shape}]`);
  return v;
}

function liveNodes(a: Analysis): Set<string> {
  const live = new Set<string>([a.outputId!]);
  const stack = [a.outputId!];
  while (stack.length) {
    for (const s of a.inputsOf.get(stack.pop()!) ?? []) {
      if (s && !live.has(s)) {
        live.add(s);
        stack.push(s);
      }
    }
  }
  return live;
}

/** He initialization when a ReLU-family activation follows (through BatchNorm, Dropout, pooling), Glorot otherwise. */
function initPolicy(doc: NetworkDocument, a: Analysis): (nodeId: string) => 'he' | 'glorot' {
  const consumers = new Map<string, string[]>();
  for (const [id, srcs] of a.inputsOf) for (const s of srcs) if (s) consumers.set(s, [...(consumers.get(s) ?? []), id]);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  return (nodeId) => {
    let cur = consumers.get(nodeId) ?? [];
    for (let hops = 0; cur.length === 1 && hops < 8; hops++) {
      const { def } = resolved(byId.get(cur[0])!);
      if (def.reluFamily) return 'he';
      if (!def.transparent) break;
      cur = consumers.get(cur[0]) ?? [];
    }
    return 'glorot';
  };
}

/** Fresh parameter and state values, drawn in document order from the seed. */
export function initialValues(f: Pick<Forward, 'weights' | 'states'>, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const w of f.weights) {
    const v = floatArray(numel(w.shape), `the weight ${w.name}`);
    if (typeof w.init === 'object') v.fill(w.init.constant);
    else if (w.init === 'ones') v.fill(1);
    else if (w.init === 'he') {
      const std = Math.sqrt(2 / w.fanIn);
      for (let i = 0; i < v.length; i++) v[i] = rng.normal() * std;
    } else if (w.init === 'glorot') {
      const lim = Math.sqrt(6 / (w.fanIn + w.fanOut));
      for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-lim, lim);
    }
    out.set(w.name, v);
  }
  for (const s of f.states) out.set(s.name, floatArray(numel(s.shape), `the state ${s.name}`).fill(s.init === 'ones' ? 1 : 0));
  return out;
}

export interface ModelMeta {
  classNames: string[];
  /** Preprocessing recorded for any runtime: how pixels become the input tensor. */
  scaling?: string;
  extra?: Record<string, string>;
}

export const INPUT_NAME = 'input';

/**
 * The inference model: input image batch -> logits and probs, with trained values baked in
 * (or, with 'inputs', fed at run time: the validation graph used during training).
 */
export function buildInferenceModel(doc: NetworkDocument, values: Map<string, Float32Array> | 'inputs', meta: ModelMeta, lower?: LowerOptions): ModelIR {
  const f = lowerForward(doc, 'infer', values, lower);
  const { g } = f;
  const inShape = f.analysis.shapes.get(f.analysis.inputId!)!;
  const common = {
    'netwright.format': '1',
    'netwright.input_shape': JSON.stringify(inShape),
    'netwright.scaling': meta.scaling ?? 'x/255',
  };
  if (f.open) {
    // No head: the last layer's values under the name 'output', whatever their shape.
    const shape = f.analysis.shapes.get(f.analysis.outputId!)!;
    g.output(g.op('Identity', [f.logits], {}, [BATCH, ...shape], 'output'));
    return {
      graph: g.graph(doc.name || 'netwright'),
      opset: OPSET,
      metadata: { ...common, 'netwright.class_names': '[]', 'netwright.output': 'features', ...(meta.extra ?? {}) },
    };
  }
  if (meta.classNames.length && meta.classNames.length !== f.classes) {
    throw new Error(`the output head has ${f.classes} classes but ${meta.classNames.length} class names were given`);
  }
  const logits = g.op('Identity', [f.logits], {}, [BATCH, f.classes], 'logits');
  const probs = LOSSES[f.loss].probabilities(g, f.logits, f.classes);
  g.output(logits);
  g.output(probs);
  return {
    graph: g.graph(doc.name || 'netwright'),
    opset: OPSET,
    metadata: {
      ...common,
      'netwright.class_names': JSON.stringify(meta.classNames),
      'netwright.output': LOSSES[f.loss].outputTag,
      ...(meta.extra ?? {}),
    },
  };
}

export type { Tensor };
