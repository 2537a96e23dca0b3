// Checkpoint file: magic line, a JSON header, then raw float32 tensors. Written to a temp file
// and renamed into place, so a crash mid-write leaves the previous checkpoint intact.
import fs from 'node:fs';
import path from 'node:path';

const MAGIC = 'NETWRIGHT-CHECKPOINT 1\n';

export interface CheckpointHeader {
  step: number;
  epoch: number;
  /** Optimizer steps taken (Adam's t). */
  t: number;
  rngState: number[];
  classNames: string[];
  doc: unknown;
  tensors: { name: string; length: number }[];
}

export interface Checkpoint {
  header: CheckpointHeader;
  values: Map<string, Float32Array>;
}

export function writeCheckpoint(file: string, header: Omit<CheckpointHeader, 'tensors'>, values: Map<string, Float32Array>): void {
  const tensors = [...values].map(([name, v]) => ({ name, length: v.length }));
  const json = Buffer.from(JSON.stringify({ ...header, tensors }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, Buffer.from(MAGIC));
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const v of values.values()) fs.writeSync(fd, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function readCheckpoint(file: string): Checkpoint {
  const buf = fs.readFileSync(file);
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error(`${file} is not a Netwright checkpoint`);
  const len = buf.readUInt32LE(MAGIC.length);
  let off = MAGIC.length + 4;
  if (off + len > buf.length) throw new Error(`${file}: truncated header`);
  const header = JSON.parse(buf.subarray(off, off + len).toString()) as CheckpointHeader;
  off += len;
  const values = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    const bytes = t.length * 4;
    if (off + bytes > buf.length) throw new Error(`${file}: truncated at tensor ${t.name}`);
    values.set(t.name, new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + bytes)));
    off += bytes;
  }
  if (off !== buf.length) throw new Error(`${file}: ${buf.length - off} unexpected trailing bytes`);
  return { header, values };
}
