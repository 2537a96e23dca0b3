// The ONNX subset Netwright writes and reads, as plain data, with (de)serialization.
import { numel } from '../numel.ts';
import { bytes as payload, ProtoError, ProtoWriter, readFields, unpackVarints, utf8, type ProtoField } from './proto.ts';

export type DType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';
export type TensorArray = Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface Tensor {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorArray;
}

export type Attr =
  | { i: number }
  | { f: number }
  | { ints: number[] }
  | { floats: number[] }
  | { s: string }
  | { t: Tensor }
  /** A subgraph (Loop's body). */
  | { g: GraphIR };

export interface NodeIR {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
  name?: string;
  /** The operator set the op belongs to; absent for ONNX's own (ai.onnx). */
  domain?: string;
}

/** A dimension: a fixed size, or a symbolic name such as 'N' for the batch. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dtype: DType;
  shape: Dim[];
}

export interface GraphIR {
  name: string;
  nodes: NodeIR[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Tensor[];
}

export interface ModelIR {
  graph: GraphIR;
  opset: number;
  /** Operator sets besides ai.onnx that nodes use, with their versions (training graphs only). */
  domains?: Record<string, number>;
  irVersion?: number;
  producer?: string;
  metadata: Record<string, string>;
}

export const OPSET = 17;
export const IR_VERSION = 8;

const DTYPE_CODE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
const CODE_DTYPE = new Map(Object.entries(DTYPE_CODE).map(([k, v]) => [v, k as DType]));
const BYTES: Record<DType, number> = { float32: 4, uint8: 1, int32: 4, int64: 8, bool: 1 };

export function dtypeCode(d: DType): number {
  return DTYPE_CODE[d];
}

export function tensor(name: string, dtype: DType, dims: number[], data: TensorArray): Tensor {
  const n = numel(dims);
  if (data.length !== n) throw new Error(`tensor ${name}: ${data.length} values for dims [${dims}]`);
  return { name, dtype, dims, data };
}

export const floatTensor = (name: string, dims: number[], values: ArrayLike<number>): Tensor =>
  tensor(name, 'float32', dims, Float32Array.from(values));
export const int64Tensor = (name: string, dims: number[], values: ArrayLike<number>): Tensor =>
  tensor(name, 'int64', dims, BigInt64Array.from(Array.from(values), (v) => BigInt(v)));

// ---------- encoding ----------

function encodeTensor(t: Tensor): ProtoWriter {
  const w = new ProtoWriter();
  w.packedVarints(1, t.dims);
  w.varint(2, DTYPE_CODE[t.dtype]);
  w.string(8, t.name);
  const d = t.data;
  w.bytes(9, new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice());
  return w;
}

function encodeAttr(name: string, a: Attr): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, name);
  if ('i' in a) w.varint(3, a.i).varint(20, 2);
  else if ('f' in a) w.float(2, a.f).varint(20, 1);
  else if ('ints' in a) w.packedVarints(8, a.ints).varint(20, 7);
  else if ('floats' in a) w.packedFloats(7, a.floats).varint(20, 6);
  else if ('s' in a) w.string(4, a.s).varint(20, 3);
  else if ('t' in a) w.message(5, encodeTensor(a.t)).varint(20, 4);
  else w.message(6, encodeGraph(a.g)).varint(20, 5);
  return w;
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.varint(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tt = new ProtoWriter().varint(1, DTYPE_CODE[v.dtype]).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tt));
}

function encodeGraph(graph: GraphIR): ProtoWriter {
  const g = new ProtoWriter();
  graph.nodes.forEach((n, i) => {
    const w = new ProtoWriter();
    for (const s of n.inputs) w.string(1, s);
    for (const s of n.outputs) w.string(2, s);
    w.string(3, n.name ?? `${n.op}_${i}`);
    w.string(4, n.op);
    for (const [k, a] of Object.entries(n.attrs ?? {})) w.message(5, encodeAttr(k, a));
    if (n.domain) w.string(7, n.domain);
    g.message(1, w);
  });
  g.string(2, graph.name);
  for (const t of graph.initializers) g.message(5, encodeTensor(t));
  for (const v of graph.inputs) g.message(11, encodeValueInfo(v));
  for (const v of graph.outputs) g.message(12, encodeValueInfo(v));
  return g;
}

export function encodeModel(m: ModelIR): Uint8Array {
  const g = encodeGraph(m.graph);
  const w = new ProtoWriter();
  w.varint(1, m.irVersion ?? IR_VERSION);
  w.string(2, m.producer ?? 'netwright');
  w.string(3, '0.1.0');
  w.message(7, g);
  w.message(8, new ProtoWriter().string(1, '').varint(2, m.opset));
  for (const [d, v] of Object.entries(m.domains ?? {})) w.message(8, new ProtoWriter().string(1, d).varint(2, v));
  for (const [k, v] of Object.entries(m.metadata)) w.message(14, new ProtoWriter().string(1, k).string(2, v));
  return w.finish();
}

// ---------- decoding ----------

/** What is wrong with a model file, where a user can act on it (graph/from-onnx.ts gives each its code). */
export type ReadReason =
  | { kind: 'empty' | 'no-opset' | 'no-graph' | 'external' }
  | { kind: 'not-onnx'; detail: string }
  | { kind: 'ir-version'; version: number }
  | { kind: 'data-type' | 'elem-type'; type: number }
  | { kind: 'read-before'; tensor: string; node: number }
  | { kind: 'unproduced' | 'produced-twice' | 'never-produced'; tensor: string };

export class OnnxReadError extends Error {
  constructor(
    readonly field: string,
    /** The message without the field. */
    readonly reason: string,
    readonly why?: ReadReason,
  ) {
    super(`${field}: ${reason}`);
  }
}

const num = (f: ProtoField): number => Number(BigInt.asIntN(64, f.int ?? 0n));

/** Appends in a loop: `to.push(...from)` passes every value as an argument, and a tensor's
 *  float_data can hold millions (V8's stack overflows above a few hundred thousand). */
function append<T>(to: T[], from: ArrayLike<T>): void {
  for (let i = 0; i < from.length; i++) to.push(from[i]);
}

function decodeTensor(buf: Uint8Array, where: string): Tensor {
  let dims: number[] = [];
  let code = 0;
  let name = '';
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const int64s: bigint[] = [];
  const int32s: number[] = [];
  for (const f of readFields(buf, where)) {
    if (f.field === 1) dims = dims.concat(unpackVarints(f, `${where}.dims`).map((x) => Number(BigInt.asIntN(64, x))));
    else if (f.field === 2) code = num(f);
    else if (f.field === 8) name = utf8(f.data);
    else if (f.field === 9) raw = f.data;
    else if (f.field === 4) {
      if (f.wire === 5) floats.push(f.f32!);
      else {
        const d = payload(f);
        if (d.length % 4) throw new OnnxReadError(`${where}.float_data`, 'length is not a multiple of 4');
        const c = new Uint8Array(d);
        append(floats, new Float32Array(c.buffer));
      }
    } else if (f.field === 7) append(int64s, unpackVarints(f, `${where}.int64_data`).map((x) => BigInt.asIntN(64, x)));
    else if (f.field === 5) append(int32s, unpackVarints(f, `${where}.int32_data`).map((x) => Number(BigInt.asIntN(32, x))));
    else if (f.field === 13 || f.field === 14) {
      throw new OnnxReadError(`${where}.external_data`, 'external tensor data is not supported; embed the weights in the model', { kind: 'external' });
    }
  }
  const dtype = CODE_DTYPE.get(code);
  if (!dtype) throw new OnnxReadError(`${where}.data_type`, `unsupported tensor data type ${code}`, { kind: 'data-type', type: code });
  for (const d of dims) {
    if (d < 0 || !Number.isSafeInteger(d)) throw new OnnxReadError(`${where}.dims`, `invalid dimension ${d}`);
  }
  const n = numel(dims);
  if (!Number.isSafeInteger(n) || n > 2 ** 31) throw new OnnxReadError(`${where}.dims`, `too many elements (${n})`);
  let data: TensorArray;
  if (raw) {
    if (raw.length !== n * BYTES[dtype]) {
      throw new OnnxReadError(`${where}.raw_data`, `${raw.length} bytes, but dims [${dims}] of ${dtype} need ${n * BYTES[dtype]}`);
    }
    const copy = new Uint8Array(raw).buffer;
    data =
      dtype === 'float32'
        ? new Float32Array(copy)
        : dtype === 'int64'
          ? new BigInt64Array(copy)
          : dtype === 'int32'
            ? new Int32Array(copy)
            : new Uint8Array(copy);
  } else {
    const vals = dtype === 'float32' ? floats : dtype === 'int64' ? int64s : int32s;
    if (vals.length !== n) throw new OnnxReadError(`${where}`, `${vals.length} values, but dims [${dims}] need ${n}`);
    data =
      dtype === 'float32'
        ? Float32Array.from(floats)
        : dtype === 'int64'
          ? BigInt64Array.from(int64s)
          : dtype === 'int32'
            ? Int32Array.from(int32s)
            : Uint8Array.from(int32s);
  }
  return { name, dtype, dims, data };
}

function decodeValueInfo(buf: Uint8Array, where: string): ValueInfo {
  let name = '';
  let dtype: DType = 'float32';
  const shape: Dim[] = [];
  for (const f of readFields(buf, where)) {
    if (f.field === 1) name = utf8(f.data);
    if (f.field !== 2) continue;
    for (const t of readFields(payload(f), `${where}.type`)) {
      if (t.field !== 1) continue;
      for (const tt of readFields(payload(t), `${where}.type.tensor_type`)) {
        if (tt.field === 1) {
          const d = CODE_DTYPE.get(num(tt));
          if (!d) throw new OnnxReadError(`${where}.elem_type`, `unsupported element type ${num(tt)}`, { kind: 'elem-type', type: num(tt) });
          dtype = d;
        }
        if (tt.field !== 2) continue;
        for (const dimF of readFields(payload(tt), `${where}.shape`)) {
          if (dimF.field !== 1) continue;
          let dim: Dim = '?';
          for (const x of readFields(payload(dimF), `${where}.shape.dim`)) {
            if (x.field === 1) dim = num(x);
            if (x.field === 2) dim = utf8(x.data);
          }
          if (typeof dim === 'number' && dim < 0) throw new OnnxReadError(`${where}.shape`, `negative dimension ${dim}`);
          shape.push(dim);
        }
      }
    }
  }
  return { name, dtype, shape };
}

function decodeAttr(buf: Uint8Array, where: string): [string, Attr] {
  let name = '';
  let type = 0;
  const fs = readFields(buf, where);
  const ints: number[] = [];
  const floats: number[] = [];
  let a: Attr | undefined;
  for (const f of fs) {
    if (f.field === 1) name = utf8(f.data);
    else if (f.field === 20) type = num(f);
  }
  for (const f of fs) {
    if (f.field === 2) a = { f: f.f32! };
    else if (f.field === 3) a = { i: num(f) };
    else if (f.field === 4) a = { s: utf8(f.data) };
    else if (f.field === 5) a = { t: decodeTensor(payload(f), `${where}.t`) };
    else if (f.field === 6) a = { g: decodeGraph(payload(f), `${where}.g`) };
    else if (f.field === 8) append(ints, unpackVarints(f, where).map((x) => Number(BigInt.asIntN(64, x))));
    else if (f.field === 7) {
      if (f.wire === 5) floats.push(f.f32!);
      else append(floats, new Float32Array(new Uint8Array(payload(f)).buffer));
    }
  }
  if (type === 7) a = { ints };
  if (type === 6) a = { floats };
  if (!a) throw new OnnxReadError(`${where}`, `attribute ${name} has no value`);
  return [name, a];
}

function decodeGraph(bytes: Uint8Array, where: string): GraphIR {
  const graph: GraphIR = { name: '', nodes: [], inputs: [], outputs: [], initializers: [] };
  for (const f of readFields(bytes, where)) {
    if (f.wire !== 2) continue;
    if (f.field === 2) graph.name = utf8(f.data);
    else if (f.field === 5) graph.initializers.push(decodeTensor(payload(f), `${where}.initializer[${graph.initializers.length}]`));
    else if (f.field === 11) graph.inputs.push(decodeValueInfo(payload(f), `${where}.input[${graph.inputs.length}]`));
    else if (f.field === 12) graph.outputs.push(decodeValueInfo(payload(f), `${where}.output[${graph.outputs.length}]`));
    else if (f.field === 1) {
      const at = `${where}.node[${graph.nodes.length}]`;
      const n: NodeIR = { op: '', inputs: [], outputs: [], attrs: {} };
      for (const x of readFields(payload(f), at)) {
        if (x.field === 1) n.inputs.push(utf8(x.data));
        else if (x.field === 2) n.outputs.push(utf8(x.data));
        else if (x.field === 3) n.name = utf8(x.data);
        else if (x.field === 4) n.op = utf8(x.data);
        else if (x.field === 7 && x.data?.length) n.domain = utf8(x.data);
        else if (x.field === 5) {
          const [k, a] = decodeAttr(payload(x), `${at}.attribute`);
          n.attrs![k] = a;
        }
      }
      graph.nodes.push(n);
    }
  }
  return graph;
}

export function decodeModel(bytes: Uint8Array): ModelIR {
  if (bytes.length === 0) throw new OnnxReadError('model', 'the file is empty', { kind: 'empty' });
  let fields: ProtoField[];
  try {
    fields = readFields(bytes, 'model');
  } catch (e) {
    if (e instanceof ProtoError) throw new OnnxReadError('model', `not an ONNX model (${e.message})`, { kind: 'not-onnx', detail: e.message });
    throw e;
  }
  const metadata: Record<string, string> = {};
  let irVersion = 0;
  let producer = '';
  let opset = 0;
  const domains: Record<string, number> = {};
  let graphBytes: Uint8Array | undefined;
  try {
    for (const f of fields) {
      if (f.field === 1 && f.wire === 0) irVersion = num(f);
      else if (f.field === 2 && f.wire === 2) producer = utf8(f.data);
      else if (f.field === 7 && f.wire === 2) graphBytes = f.data;
      else if (f.field === 8 && f.wire === 2) {
        let domain = '';
        let version = 0;
        for (const o of readFields(payload(f), 'model.opset_import')) {
          if (o.field === 1) domain = utf8(o.data);
          if (o.field === 2) version = num(o);
        }
        if (domain === '' || domain === 'ai.onnx') opset = version;
        else domains[domain] = version;
      } else if (f.field === 14 && f.wire === 2) {
        let k = '';
        let v = '';
        for (const o of readFields(payload(f), 'model.metadata_props')) {
          if (o.field === 1) k = utf8(o.data);
          if (o.field === 2) v = utf8(o.data);
        }
        metadata[k] = v;
      }
    }
    if (irVersion < 3 || irVersion > 11) throw new OnnxReadError('model.ir_version', `unsupported IR version ${irVersion}`, { kind: 'ir-version', version: irVersion });
    if (!opset) throw new OnnxReadError('model.opset_import', 'no ai.onnx opset declared', { kind: 'no-opset' });
    if (!graphBytes) throw new OnnxReadError('model.graph', 'the model has no graph', { kind: 'no-graph' });
    const graph = decodeGraph(graphBytes, 'model.graph');
    checkGraph(graph);
    return { graph, opset, ...(Object.keys(domains).length ? { domains } : {}), irVersion, producer, metadata };
  } catch (e) {
    if (e instanceof ProtoError) throw new OnnxReadError('model', e.message);
    throw e;
  }
}

/**
 * Every node reads only tensors that exist before it (graph inputs, initializers, outputs of
 * earlier nodes): ONNX requires topological order, so this also rejects cycles and dangling
 * references. Outputs must be produced somewhere, and no tensor may be produced twice.
 */
function checkGraph(g: GraphIR): void {
  const known = new Set<string>(['', ...g.inputs.map((i) => i.name), ...g.initializers.map((t) => t.name)]);
  g.nodes.forEach((n, i) => {
    const where = `model.graph.node[${i}]`;
    if (!n.op) throw new OnnxReadError(`${where}.op_type`, 'empty operator type');
    for (const x of n.inputs) {
      if (!known.has(x)) {
        const later = g.nodes.findIndex((m, j) => j >= i && m.outputs.includes(x));
        const tensor = JSON.stringify(x);
        if (later >= 0) throw new OnnxReadError(`${where}.input`, `reads ${tensor} before node ${later} produces it (a cycle, or nodes out of order)`, { kind: 'read-before', tensor, node: later });
        throw new OnnxReadError(`${where}.input`, `reads ${tensor}, which nothing produces`, { kind: 'unproduced', tensor });
      }
    }
    for (const y of n.outputs) {
      if (y && known.has(y)) throw new OnnxReadError(`${where}.output`, `${JSON.stringify(y)} is produced twice`, { kind: 'produced-twice', tensor: JSON.stringify(y) });
      known.add(y);
    }
  });
  for (const o of g.outputs) if (!known.has(o.name)) throw new OnnxReadError('model.graph.output', `output ${JSON.stringify(o.name)} is never produced`, { kind: 'never-produced', tensor: JSON.stringify(o.name) });
}

/** One serialized TensorProto (the ONNX test suite's input_0.pb / output_0.pb files). */
export function decodeTensorProto(bytes: Uint8Array, where = 'tensor'): Tensor {
  try {
    return decodeTensor(bytes, where);
  } catch (e) {
    if (e instanceof ProtoError) throw new OnnxReadError(where, e.message);
    throw e;
  }
}
