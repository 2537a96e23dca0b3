// Writes a state dict in torch.save's file format, so `torch.load("weights.pt")` reads it with no
// converter: a zip (stored, not compressed) holding archive/data.pkl, a pickle (protocol 2) of
// {name: tensor} whose tensors point at raw little-endian storages archive/data/<i>, plus
// archive/byteorder and archive/version. Only what a state dict needs: float32 and int64
// contiguous tensors. torch.load(weights_only=True) accepts it (only allow-listed globals).
import { numel } from '../../numel.ts';
import { crc32 } from 'node:zlib';

export interface TorchTensor {
  dtype: 'float32' | 'int64';
  shape: number[];
  data: Float32Array | BigInt64Array;
}

class Pickle {
  private parts: Buffer[] = [];
  op(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    this.parts.push(Buffer.from([0x58]), len, b); // BINUNICODE
    return this;
  }
  int(n: number): this {
    if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new Error(`pickle: ${n} does not fit a 32-bit int`);
    const b = Buffer.alloc(5);
    b[0] = 0x4a; // BININT
    b.writeInt32LE(n, 1);
    this.parts.push(b);
    return this;
  }
  global(module: string, name: string): this {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1')); // GLOBAL
    return this;
  }
  tuple(items: number[]): this {
    if (items.length === 0) return this.op(0x29); // EMPTY_TUPLE
    this.op(0x28); // MARK
    for (const i of items) this.int(i);
    return this.op(0x74); // TUPLE
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const MARK = 0x28;
const TUPLE = 0x74;
const REDUCE = 0x52;
const BINPERSID = 0x51;
const NEWFALSE = 0x89;
const EMPTY_TUPLE = 0x29;

/** The bytes of a .pt file holding `tensors` as a dict, in the given order. */
export function torchSave(tensors: Map<string, TorchTensor>): Uint8Array {
  const p = new Pickle().op(0x80, 2).op(0x7d).op(MARK); // PROTO 2, EMPTY_DICT, MARK
  const storages: Buffer[] = [];
  for (const [name, t] of tensors) {
    const count = numel(t.shape);
    if (t.data.length !== count) throw new Error(`${name}: ${t.data.length} values for shape [${t.shape}]`);
    const key = String(storages.length);
    storages.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    const strides = t.shape.map((_, i) => numel(t.shape.slice(i + 1)));
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2').op(MARK);
    // persistent id: ('storage', torch.FloatStorage, key, 'cpu', numel)
    p.op(MARK).str('storage').global('torch', t.dtype === 'float32' ? 'FloatStorage' : 'LongStorage').str(key).str('cpu').int(count).op(TUPLE).op(BINPERSID);
    p.int(0).tuple(t.shape).tuple(strides).op(NEWFALSE);
    p.global('collections', 'OrderedDict').op(EMPTY_TUPLE, REDUCE);
    p.op(TUPLE, REDUCE);
  }
  p.op(0x75, 0x2e); // SETITEMS, STOP
  const files: [string, Buffer][] = [
    ['archive/data.pkl', p.bytes()],
    ['archive/byteorder', Buffer.from('little')],
    ...storages.map((s, i): [string, Buffer] => [`archive/data/${i}`, s]),
    ['archive/version', Buffer.from('3\n')],
  ];
  return zipStored(files);
}

/** A zip of stored entries, each one's data aligned to 64 bytes (as torch.save does) by padding the extra field. */
function zipStored(files: [string, Buffer][]): Uint8Array {
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const base = offset + 30 + nameBytes.length;
    const padLen = (64 - ((base + 4) % 64)) % 64;
    const extra = Buffer.alloc(4 + padLen);
    extra.writeUInt16LE(0x4246, 0); // 'FB', the id torch uses for its padding
    extra.writeUInt16LE(padLen, 2);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(extra.length, 28);
    out.push(local, nameBytes, extra, data);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0, 8);
    c.writeUInt16LE(0, 10);
    c.writeUInt32LE(0, 12);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(data.length, 24);
    c.writeUInt16LE(nameBytes.length, 28);
    c.writeUInt16LE(0, 30); // extra
    c.writeUInt16LE(0, 32); // comment
    c.writeUInt16LE(0, 34); // disk
    c.writeUInt16LE(0, 36); // internal attrs
    c.writeUInt32LE(0, 38); // external attrs
    c.writeUInt32LE(offset, 42);
    central.push(c, nameBytes);
    offset += 30 + nameBytes.length + extra.length + data.length;
    if (offset >= 2 ** 32) throw new Error('weights over 4 GiB need zip64, which this writer does not do');
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...out, cd, end]);
}
