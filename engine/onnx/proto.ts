// Protobuf wire format, just what ONNX's ModelProto needs. Written by hand so the engine
// has no generated code and the reader can bound-check every length it is given.

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(Math.max(256, n));
    this.pos = 0;
  }

  private rawVarint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  varint(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.rawVarint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(data.length);
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.chunks.push(data);
    this.buf = new Uint8Array(256);
    this.pos = 0;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, w: ProtoWriter): this {
    return this.bytes(field, w.finish());
  }

  packedVarints(field: number, values: ArrayLike<number | bigint>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.rawVarint(values[i]);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    const f = new Float32Array(values.length);
    f.set(Array.from(values));
    return this.bytes(field, new Uint8Array(f.buffer));
  }

  finish(): Uint8Array {
    const parts = [...this.chunks, this.buf.subarray(0, this.pos)];
    const total = parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

export class ProtoError extends Error {}

export interface ProtoField {
  field: number;
  wire: number;
  /** varint value (wire 0) */
  int?: bigint;
  /** fixed32 bits (wire 5) */
  f32?: number;
  /** length-delimited payload (wire 2) */
  data?: Uint8Array;
}

/** Splits one message into its fields; every length is checked against the buffer. */
export function readFields(buf: Uint8Array, where = 'message'): ProtoField[] {
  const out: ProtoField[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw new ProtoError(`${where}: truncated varint at byte ${p}`);
      const b = buf[p++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
    throw new ProtoError(`${where}: varint longer than 10 bytes at byte ${p}`);
  };
  while (p < buf.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtoError(`${where}: field number 0 at byte ${p}`);
    if (wire === 0) out.push({ field, wire, int: varint() });
    else if (wire === 1) {
      if (p + 8 > buf.length) throw new ProtoError(`${where}: truncated fixed64 at byte ${p}`);
      p += 8;
      out.push({ field, wire });
    } else if (wire === 5) {
      if (p + 4 > buf.length) throw new ProtoError(`${where}: truncated fixed32 at byte ${p}`);
      out.push({ field, wire, f32: view.getFloat32(p, true) });
      p += 4;
    } else if (wire === 2) {
      const len = varint();
      if (len > BigInt(buf.length - p)) {
        throw new ProtoError(`${where}: field ${field} declares ${len} bytes but only ${buf.length - p} remain`);
      }
      out.push({ field, wire, data: buf.subarray(p, p + Number(len)) });
      p += Number(len);
    } else throw new ProtoError(`${where}: unsupported wire type ${wire} for field ${field}`);
  }
  return out;
}

/** The payload of a length-delimited field; any other wire type where one is expected is an error. */
export function bytes(f: ProtoField, where = 'message'): Uint8Array {
  if (f.wire !== 2 || !f.data) throw new ProtoError(`${where}: field ${f.field} should be length-delimited, found wire type ${f.wire}`);
  return f.data;
}

export function unpackVarints(f: ProtoField, where: string): bigint[] {
  if (f.wire === 0) return [f.int!];
  const out: bigint[] = [];
  for (const g of readFields(wrapPacked(bytes(f, where)), where)) {
    if (g.int === undefined) throw new ProtoError(`${where}: malformed packed varints`);
    out.push(g.int);
  }
  return out;
}

// A packed varint payload has no tags; give each value the tag of field 1 so readFields parses it.
function wrapPacked(data: Uint8Array): Uint8Array {
  const w: number[] = [];
  let p = 0;
  while (p < data.length) {
    w.push(0x08);
    let guard = 0;
    while (p < data.length && data[p] & 0x80) {
      w.push(data[p++]);
      if (++guard > 10) throw new ProtoError('packed varint longer than 10 bytes');
    }
    if (p >= data.length) throw new ProtoError('truncated packed varint');
    w.push(data[p++]);
  }
  return Uint8Array.from(w);
}

export const utf8 = (d: Uint8Array | undefined): string => new TextDecoder().decode(d ?? new Uint8Array());
