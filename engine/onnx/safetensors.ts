// The weights file beside an imported document (docs/format.md, "Weights file"): safetensors,
// float32 only. 8 bytes little-endian header length, a JSON header naming each tensor's dtype,
// shape and byte range, then the raw little-endian data. PyTorch users read it with
// `safetensors.torch.load_file`; this reader checks every offset it is given.
import { numel } from '../numel.ts';
import type { EngineText } from '../protocol.ts';

/** `text`: the message as code + params where it has one (train/weights.ts; graph/error-codes.ts's CodedError sits a layer up). */
export class WeightsFileError extends Error {
  constructor(message: string, readonly text?: EngineText) {
    super(message);
  }
}

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 1024 * 1024;

export function encodeSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = numel(t.shape);
    if (n !== t.data.length) throw new Error(`${name}: ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  // The data starts 8-byte aligned (the format allows trailing spaces in the header).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    const le = new Uint8Array(d.length * 4);
    const view = new DataView(le.buffer);
    for (let i = 0; i < d.length; i++) view.setFloat32(i * 4, d[i], true);
    out.set(le, p);
    p += le.length;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, where = 'weights file'): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new WeightsFileError(`${where}: too short to be a safetensors file`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = Number(dv.getBigUint64(0, true));
  if (len > MAX_HEADER || 8 + len > bytes.length) throw new WeightsFileError(`${where}: header length ${len} does not fit the file (${bytes.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  } catch (e) {
    throw new WeightsFileError(`${where}: the header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new WeightsFileError(`${where}: the header is not a JSON object`);
  const data = bytes.subarray(8 + len);
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (t?.dtype !== 'F32') throw new WeightsFileError(`${where}: ${name} has dtype ${JSON.stringify(t?.dtype)}; only F32 is supported`);
    const shape = t.shape;
    const offs = t.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new WeightsFileError(`${where}: ${name} has an invalid shape`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new WeightsFileError(`${where}: ${name} has invalid data_offsets`);
    const [b, e] = offs as number[];
    const n = numel(shape as number[]);
    if (e < b || e > data.length || e - b !== 4 * n) throw new WeightsFileError(`${where}: ${name}: bytes [${b}, ${e}) do not hold shape [${shape}] of float32 in ${data.length} data bytes`);
    const out = new Float32Array(n);
    const view = new DataView(data.buffer, data.byteOffset + b, e - b);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    tensors.set(name, { shape: shape as number[], data: out });
  }
  return { tensors, metadata };
}
