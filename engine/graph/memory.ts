// What training a network will hold in memory, from shape inference alone (pure: the editor,
// `netwright validate` and the training guard all use it). Every tensor is float32 (4 bytes):
//   weights      every parameter, plus non-trainable state (BatchNorm running statistics)
//   gradients    one value per parameter
//   optimizer    per parameter: SGD without momentum 0, SGD with momentum 1, Adam and AdamW 2 slots
//   activations  forward: every layer's output for the batch (the Input's is the batch itself);
//                backward: the gradient of every layer's output except the Input's. Flatten (a
//                reshape) and Output (the scores themselves) make no tensor of their own.
// An estimate of what the tensors need, not of ONNX Runtime's own overhead or the decoded dataset.
import { numel } from '../numel.ts';
import type { NetworkDocument } from './document.ts';
import { said } from './error-codes.ts';
import type { CodedMessage } from '../protocol.ts';
import { inferShapes, resolved, type Analysis } from './infer.ts';

export const BYTES_PER_VALUE = 4;

/**
 * ONNX files are protocol buffers, which hold at most 2 GiB: a model whose weights take more
 * cannot be written as model.onnx (Netwright writes no external-data files).
 */
export const ONNX_MAX_BYTES = 2 ** 31;

/**
 * The most values one typed array may get (V8 refuses longer ones with "Invalid typed array
 * length"; 2^32 - 1 elements is more than any tensor the memory rule lets through).
 */
export const MAX_TENSOR_VALUES = 2 ** 32 - 1;

export interface MemoryEstimate {
  batchSize: number;
  optimizer: string;
  /** Trainable parameters. */
  params: number;
  /** Bytes of each part, and their sum. */
  weights: number;
  gradients: number;
  optimizerState: number;
  activations: { forward: number; backward: number };
  total: number;
  /** Values of the largest single tensor (weight or batch activation), and whose. */
  largest: { name: string; values: number };
}

/** Layers whose output is their input's tensor, reshaped or as is. */
const VIEWS = new Set(['Flatten', 'Output']);


/** Optimizer slots per parameter for the document's training settings. */
export function optimizerSlots(t: Pick<NetworkDocument['training'], 'optimizer' | 'momentum'>): number {
  if (t.optimizer === 'adam' || t.optimizer === 'adamw') return 2;
  return t.momentum ? 1 : 0;
}

/**
 * The estimate for the document's batch size (or `batchSize`). Layers whose shape is unknown (a
 * broken network) count nothing; the figures then cover the part that infers.
 */
export function estimateMemory(doc: NetworkDocument, opts: { batchSize?: number; analysis?: Analysis } = {}): MemoryEstimate {
  const a = opts.analysis ?? inferShapes(doc);
  const batch = opts.batchSize ?? doc.training.batchSize;
  let params = 0;
  let stateValues = 0;
  let forward = 0;
  let backward = 0;
  let largest = { name: '', values: 0 };
  const see = (name: string, values: number) => {
    if (values > largest.values) largest = { name, values };
  };
  for (const n of a.order) {
    const out = a.shapes.get(n.id)!;
    const ins = (a.inputsOf.get(n.id) ?? []).map((s) => (s ? a.shapes.get(s) : undefined));
    const { def, params: p } = resolved(n);
    if (!ins.some((s) => !s)) {
      for (const w of def.weights?.(p, ins as number[][], out) ?? []) {
        params += numel(w.shape);
        see(`${n.id}.${w.name}`, numel(w.shape));
      }
      for (const s of def.states?.(p, ins as number[][], out) ?? []) stateValues += numel(s.shape);
    }
    if (VIEWS.has(n.type)) continue;
    const act = numel(out) * batch;
    see(`${n.id} (output for a batch of ${batch})`, act);
    forward += act;
    if (n.type !== 'Input') backward += act;
  }
  const B = BYTES_PER_VALUE;
  const weights = (params + stateValues) * B;
  const gradients = params * B;
  const optimizerState = optimizerSlots(doc.training) * params * B;
  const activations = { forward: forward * B, backward: backward * B };
  return {
    batchSize: batch,
    optimizer: doc.training.optimizer === 'sgd' ? (doc.training.momentum ? 'SGD with momentum' : 'SGD') : doc.training.optimizer === 'adam' ? 'Adam' : 'AdamW',
    params,
    weights,
    gradients,
    optimizerState,
    activations,
    total: weights + gradients + optimizerState + activations.forward + activations.backward,
    largest,
  };
}

/** 1.5 kB, 12.3 MB, 3.20 GB, 13.2 TB (powers of 1000). */
export function fmtBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let u = 0;
  let v = n;
  while (v >= 1000 && u < units.length - 1) (v /= 1000), u++;
  return u === 0 ? `${Math.round(v)} bytes` : `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** One line: "12.3 MB for training at batch 64 (weights 1.2 MB, gradients …, Adam state …, activations …)". */
export function formatMemory(m: MemoryEstimate): string {
  const act = m.activations.forward + m.activations.backward;
  return `${fmtBytes(m.total)} for training at batch ${m.batchSize} (weights ${fmtBytes(m.weights)}, gradients ${fmtBytes(m.gradients)}, ${m.optimizer} state ${fmtBytes(m.optimizerState)}, activations ${fmtBytes(act)}: forward ${fmtBytes(m.activations.forward)} + backward ${fmtBytes(m.activations.backward)})`;
}

/**
 * Why the machine cannot train this network, or null. `limit`: the bytes training may use (the
 * guard passes a fraction of the machine's memory). The ONNX file limit holds whatever the limit.
 */
export function memoryRefusal(m: MemoryEstimate, limit: number, allowLarge = false, where: Where = ON_THIS_MACHINE): string | null {
  return memoryRefusalText(m, limit, allowLarge, where)?.message ?? null;
}

/** Where the limit comes from: English (the CLI), or as a coded message the UI translates. */
export type Where = string | CodedMessage;
export const ON_THIS_MACHINE: CodedMessage = { ...said('memory-where-machine'), message: 'on this machine' };

/** memoryRefusal's message with its code and params (engine/graph/error-codes.ts), for the UI's language. */
export function memoryRefusalText(m: MemoryEstimate, limit: number, allowLarge = false, where: Where = ON_THIS_MACHINE): CodedMessage | null {
  const need = `this network needs about ${formatMemory(m)}`;
  const act = m.activations.forward + m.activations.backward;
  const sizes = { total: fmtBytes(m.total), batch: m.batchSize, weights: fmtBytes(m.weights), gradients: fmtBytes(m.gradients), optimizer: m.optimizer, state: fmtBytes(m.optimizerState), activations: fmtBytes(act), forward: fmtBytes(m.activations.forward), backward: fmtBytes(m.activations.backward) };
  if (!allowLarge && m.total > limit) {
    const allow = m.weights > ONNX_MAX_BYTES ? 'no' : 'yes';
    return { ...said('memory', { ...sizes, limit: fmtBytes(limit), where, allow }), message: `${need}, more than the ${fmtBytes(limit)} allowed ${typeof where === 'string' ? where : where.message}; make the batch or the layers smaller${allow === 'no' ? '' : ', or pass --allow-large to try anyway'}` };
  }
  if (m.weights > ONNX_MAX_BYTES) {
    return { ...said('memory-onnx-limit', { ...sizes, params: m.params, tensor: m.largest.name, values: m.largest.values }), message: `${need}; its weights alone (${m.params.toLocaleString('en-US')} parameters) are more than the 2 GiB an ONNX model file holds, so its model.onnx could never be written; make the layers smaller (the largest tensor is ${m.largest.name}, ${m.largest.values.toLocaleString('en-US')} values)` };
  }
  if (m.largest.values > MAX_TENSOR_VALUES) {
    return { ...said('memory-tensor', { ...sizes, tensor: m.largest.name, values: m.largest.values, max: MAX_TENSOR_VALUES }), message: `${need}; ${m.largest.name} would hold ${m.largest.values.toLocaleString('en-US')} values, more than one array can hold (${MAX_TENSOR_VALUES.toLocaleString('en-US')}); make the layers or the batch smaller` };
  }
  return null;
}

/** A Float32Array of n values, refused with a message (not V8's "Invalid typed array length") when n is absurd. */
export function floatArray(n: number, what: string): Float32Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TENSOR_VALUES) {
    throw new RangeError(`${what} would need ${Number.isFinite(n) ? n.toLocaleString('en-US') : String(n)} values, more than one array can hold (${MAX_TENSOR_VALUES.toLocaleString('en-US')}); make the network or the batch smaller`);
  }
  return new Float32Array(n);
}
