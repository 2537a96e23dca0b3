// Checkpoint file: a magic line, a JSON header, raw float32 tensors, and a SHA-256 of all of
// that as a 32-byte trailer. Data only, never code. Written to a temp file, fsynced, renamed
// into place and the folder fsynced; the checkpoint it replaces is kept as checkpoint.prev.nwck,
// so a crash at any moment leaves the old or the new checkpoint, and a damaged latest file
// falls back to the previous one.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { syncDir } from '../atomic-write.ts';
import { CodedError, nested, said } from '../graph/error-codes.ts';

const MAGIC = 'NETWRIGHT-CHECKPOINT 2\n';
const HASH_BYTES = 32;
export const LATEST = 'checkpoint.nwck';
export const PREVIOUS = 'checkpoint.prev.nwck';
/** Where a resumed run sets aside a latest checkpoint it could not read. */
export const DAMAGED = 'checkpoint.damaged.nwck';

/** Where the run stands in its data: the next batch of `epoch` in `order`. */
export interface DataCursor {
  /** The epoch in progress (1-based). */
  epoch: number;
  /** The next batch of that epoch. */
  batch: number;
  /** False: `order` is the previous epoch's, and the epoch starts by shuffling it. */
  shuffled: boolean;
  order: number[];
}

export interface CheckpointHeader {
  step: number;
  /** Epochs finished. */
  epoch: number;
  /** Optimizer steps taken (Adam's t); the lr schedule's position is `step` of `lrHorizon`. */
  t: number;
  lrHorizon?: number;
  /** The run's generator (shuffling, dropout masks). */
  rngState: number[];
  /** The augmentation generator of the batch filler, before the cursor's batch. */
  augmentRngState?: number[];
  cursor?: DataCursor;
  /** Running sums of the epoch in progress (for its epoch-mean figures). */
  epochSums?: { loss: number; correct: number; seen: number };
  /** The divergence check's running figures. */
  lossWatch?: { n: number; mean: number };
  /** metrics.csv rows (no header) up to this step. */
  metrics?: string;
  best?: { epoch: number; accuracy: number; loss: number } | null;
  classNames: string[];
  norm?: { mean: number[]; std: number[] };
  dataDir?: string;
  doc: unknown;
  tensors: { name: string; length: number }[];
}

/**
 * A run's state between two steps (train/loop.ts): what the epoch loop reads and advances, and
 * what a checkpoint's header holds, so a resume is: load the state, run the loop.
 */
export type RunState = Omit<CheckpointHeader, 'tensors'>;

/** The header of a state in its one field order (save -> load -> save is identical). */
export function runHeader(s: RunState): RunState {
  return {
    step: s.step, epoch: s.epoch, t: s.t, lrHorizon: s.lrHorizon, rngState: s.rngState, augmentRngState: s.augmentRngState,
    cursor: s.cursor, epochSums: s.epochSums, lossWatch: s.lossWatch, metrics: s.metrics, best: s.best, classNames: s.classNames, norm: s.norm, dataDir: s.dataDir, doc: s.doc,
  };
}

export interface Checkpoint {
  header: CheckpointHeader;
  values: Map<string, Float32Array>;
}

/** What is wrong with a checkpoint file, or why one cannot be written; `text`: its code + params. */
export class CheckpointError extends CodedError {}

/** Points a crash test can stop at; production passes none. */
export type CheckpointStage = 'temp-written' | 'before-fsync' | 'before-rename' | 'renamed';

export interface WriteOptions {
  /** Keep the checkpoint being replaced as `prev` (default: checkpoint.prev.nwck beside it). */
  keepPrevious?: string | false;
  hook?: (stage: CheckpointStage) => void;
  /** Replaces fs.writeSync (fault injection: disk full, read-only folder). */
  write?: (fd: number, data: Uint8Array) => void;
}

/** The whole file as bytes: deterministic in (header, values), so save -> load -> save is identical. */
export function encodeCheckpoint(header: Omit<CheckpointHeader, 'tensors'>, values: Map<string, Float32Array>): Buffer[] {
  const tensors = [...values].map(([name, v]) => ({ name, length: v.length }));
  const json = Buffer.from(JSON.stringify({ ...header, tensors }));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const parts: Buffer[] = [Buffer.from(MAGIC), len, json];
  for (const v of values.values()) parts.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  parts.push(h.digest());
  return parts;
}

export function writeCheckpoint(file: string, header: Omit<CheckpointHeader, 'tensors'>, values: Map<string, Float32Array>, opts: WriteOptions = {}): void {
  for (const [name, v] of values) {
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new CheckpointError(`refusing to write ${file}: ${name}[${i}] is ${v[i]}`, said('checkpoint-non-finite', { file, tensor: name, index: i, value: String(v[i]) }));
  }
  const parts = encodeCheckpoint(header, values);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const write = opts.write ?? ((fd: number, d: Uint8Array) => void fs.writeSync(fd, d));
  const hook = opts.hook ?? (() => {});
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (e) {
    const error = ioText(e);
    throw new CheckpointError(`cannot write the checkpoint ${tmp}: ${error}`, said('checkpoint-unwritable', { file: tmp, error }));
  }
  try {
    for (const p of parts) write(fd, p);
    hook('temp-written');
    hook('before-fsync');
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const error = ioText(e);
    throw new CheckpointError(`cannot write the checkpoint ${tmp}: ${error}`, said('checkpoint-unwritable', { file: tmp, error }));
  }
  fs.closeSync(fd);
  try {
    const prev = opts.keepPrevious === undefined ? path.join(dir, PREVIOUS) : opts.keepPrevious;
    if (prev && fs.existsSync(file)) {
      // A hard link and a rename: `file` exists at every moment, and prev is old or new, whole.
      const link = `${prev}.${process.pid}.tmp`;
      fs.rmSync(link, { force: true });
      try {
        fs.linkSync(file, link);
      } catch {
        fs.copyFileSync(file, link);
        syncFile(link);
      }
      fs.renameSync(link, prev);
    }
    hook('before-rename');
    fs.renameSync(tmp, file);
    hook('renamed');
    syncDir(dir);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const error = ioText(e);
    throw new CheckpointError(`cannot replace the checkpoint ${file}: ${error}`, said('checkpoint-unreplaceable', { file, error }));
  }
}

const ioText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code} (${err.message})` : err.message;
};

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads and verifies one checkpoint file; a CheckpointError says what is wrong with it. */
export function readCheckpoint(file: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const error = ioText(e);
    throw new CheckpointError(`cannot read ${file}: ${error}`, said('checkpoint-unreadable', { file, error }));
  }
  return decodeCheckpoint(buf, file);
}

export function decodeCheckpoint(buf: Buffer, file = 'the checkpoint'): Checkpoint {
  if (buf.length < MAGIC.length || buf.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
    const old = buf.subarray(0, 23).toString('latin1') === 'NETWRIGHT-CHECKPOINT 1\n';
    if (old) throw new CheckpointError(`${file} is not a Netwright checkpoint this version reads (format 1, without a checksum)`, said('checkpoint-old-format', { file }));
    throw new CheckpointError(`${file} is not a Netwright checkpoint (no magic line)`, said('checkpoint-no-magic', { file }));
  }
  if (buf.length < MAGIC.length + 4 + HASH_BYTES) throw new CheckpointError(`${file} is truncated (${buf.length} bytes)`, said('checkpoint-truncated', { file, bytes: buf.length }));
  const body = buf.subarray(0, buf.length - HASH_BYTES);
  const sum = createHash('sha256').update(body).digest();
  if (!sum.equals(buf.subarray(buf.length - HASH_BYTES))) throw new CheckpointError(`${file} fails its SHA-256 checksum (truncated or damaged)`, said('checkpoint-checksum', { file }));
  const len = buf.readUInt32LE(MAGIC.length);
  let off = MAGIC.length + 4;
  if (off + len > body.length) throw new CheckpointError(`${file}: the header runs past the end`, said('checkpoint-header-cut', { file }));
  let header: CheckpointHeader;
  try {
    header = JSON.parse(body.subarray(off, off + len).toString()) as CheckpointHeader;
  } catch (e) {
    throw new CheckpointError(`${file}: the header is not JSON (${(e as Error).message})`, said('checkpoint-header-json', { file, error: (e as Error).message }));
  }
  if (!Array.isArray(header.tensors)) throw new CheckpointError(`${file}: the header lists no tensors`, said('checkpoint-no-tensors', { file }));
  off += len;
  const values = new Map<string, Float32Array>();
  for (const t of header.tensors) {
    const bytes = t.length * 4;
    if (!Number.isInteger(t.length) || t.length < 0 || off + bytes > body.length) throw new CheckpointError(`${file}: truncated at tensor ${t.name}`, said('checkpoint-tensor-cut', { file, tensor: String(t.name) }));
    values.set(t.name, new Float32Array(body.buffer.slice(body.byteOffset + off, body.byteOffset + off + bytes)));
    off += bytes;
  }
  if (off !== body.length) throw new CheckpointError(`${file}: ${body.length - off} unexpected bytes after the tensors`, said('checkpoint-extra-bytes', { file, count: body.length - off }));
  return { header, values };
}

/**
 * The newest good checkpoint of a run folder: checkpoint.nwck, or checkpoint.prev.nwck when
 * the latest is missing or damaged; `problems` names each file passed over and why.
 */
export function loadCheckpoint(dir: string): Checkpoint & { file: string; problems: string[] } {
  const why: ReturnType<typeof nested>[] = [];
  const problems = (): string[] => why.map((w) => (typeof w === 'string' ? w : w.message));
  for (const name of [LATEST, PREVIOUS]) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      why.push({ ...said('checkpoint-missing', { file }), message: `${file} does not exist` });
      continue;
    }
    try {
      return { ...readCheckpoint(file), file, problems: problems() };
    } catch (e) {
      why.push(nested(e));
    }
  }
  // Always the two files, the latest first.
  throw new CheckpointError(`no usable checkpoint in ${dir}:\n` + problems().map((p) => `  - ${p}`).join('\n'), said('no-checkpoint', { dir, latest: why[0], previous: why[1] }));
}
