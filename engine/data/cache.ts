// The decoded-pixel cache: one folder per (dataset root, size, channels, resize policy) holding
// pixels.u8 (fixed-size uint8 CHW records, one slot per image) and index.json (path -> size,
// mtime, slot, content hash, or the reason it failed). A file whose size and mtime still match
// is never read again, not even when it failed; a changed file is decoded again into its own
// slot, an added one gets a new slot, a removed one frees its slot. Decoding runs on worker
// threads (one per core) and goes straight to disk, so memory never holds the whole dataset.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { skipReason } from '../graph/error-codes.ts';
import type { Worker } from 'node:worker_threads';
import { spawnWorker, workerUrl } from '../threads.ts';
import { checkSpec, readAndDecode, type ImageSpec } from './decode.ts';
import type { DecodeChunk, DecodedChunk } from './decode-worker.ts';
import type { FolderScan, Sample, Skipped } from './scan.ts';

const CACHE_VERSION = 1;
/** Files per worker message: large enough to amortize messaging, small enough to balance. */
const CHUNK = 32;
/** Below this many files to decode, worker start-up costs more than it saves. */
const WORKER_THRESHOLD = 256;
/** Splits whose pixels fit in this many bytes are held in memory; larger ones are read per batch. */
export const DEFAULT_MEMORY_BUDGET = 512 * 2 ** 20;

export function defaultCacheRoot(): string {
  if (process.env.NETWRIGHT_CACHE_DIR) return process.env.NETWRIGHT_CACHE_DIR;
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'netwright', 'images');
}

/** [size, mtimeMs, slot (-1: failed), sha1 or '', reason or ''] */
type Entry = [number, number, number, string, string];
interface Index { version: number; key: string; slots: number; free: number[]; entries: Record<string, Entry> }

export interface DecodeStats {
  /** Files looked at. */
  files: number;
  /** Files read and decoded in this call (0 on a second run over an unchanged folder). */
  decoded: number;
  /** Files answered by the cache without being opened. */
  fromCache: number;
  /** Decoder threads used (0: decoded on the calling thread). */
  workers: number;
}

/** Random access to cached images by slot; reads go to disk unless the split was loaded into memory. */
export class PixelStore {
  constructor(
    readonly file: string,
    private readonly fd: number,
    /** Bytes per image (C*H*W). */
    readonly size: number,
    private readonly onClose?: () => void,
  ) {}

  read(slot: number, into: Uint8Array, offset = 0): void {
    const n = fs.readSync(this.fd, into, offset, this.size, slot * this.size);
    if (n !== this.size) throw new Error(`the pixel cache ${this.file} is shorter than its index says; delete it and run again`);
  }

  readAll(): Uint8Array {
    return fs.readFileSync(this.file);
  }

  close(): void {
    fs.closeSync(this.fd);
    this.onClose?.();
  }
}

/** One split, decoded: labels, paths and content hashes in sample order, pixels by index. */
export class CachedSplit {
  readonly count: number;
  private memory?: Uint8Array;

  constructor(
    readonly store: PixelStore,
    readonly labels: Int32Array,
    readonly paths: string[],
    readonly hashes: string[],
    readonly slots: Uint32Array,
  ) {
    this.count = labels.length;
  }

  /** A split that lives only in memory (tests, tools): no cache file behind it. */
  static fromPixels(pixels: Uint8Array, labels: Int32Array, size: number): CachedSplit {
    const split = new CachedSplit({ size } as PixelStore, labels, [], [], new Uint32Array(labels.length));
    split.memory = pixels;
    return split;
  }

  get size(): number {
    return this.store.size;
  }

  /** Copies image i (uint8 CHW) into `into` at `offset`. */
  read(i: number, into: Uint8Array, offset = 0): void {
    if (this.memory) into.set(this.memory.subarray(i * this.size, (i + 1) * this.size), offset);
    else this.store.read(this.slots[i], into, offset);
  }

  /** Images start..start+n-1, contiguous. */
  readRange(start: number, n: number, into = new Uint8Array(n * this.size)): Uint8Array {
    if (this.memory) return this.memory.subarray(start * this.size, (start + n) * this.size);
    for (let i = 0; i < n; i++) this.read(start + i, into, i * this.size);
    return into;
  }

  get inMemory(): boolean {
    return this.memory !== undefined;
  }

  /** The in-memory pixels as shared memory (the prefetch thread reads them without a copy). */
  sharedPixels(): SharedArrayBuffer | undefined {
    const buf = this.memory?.buffer;
    if (!buf) return undefined;
    if (buf instanceof SharedArrayBuffer && this.memory!.byteOffset === 0) return buf;
    const copy = new SharedArrayBuffer(this.count * this.size);
    new Uint8Array(copy).set(this.memory!.subarray(0, this.count * this.size));
    return copy;
  }

  /** Holds the pixels in memory, in sample order (from one read of the cache file when given). */
  load(whole?: Uint8Array): void {
    const mem = new Uint8Array(new SharedArrayBuffer(this.count * this.size));
    for (let i = 0; i < this.count; i++) {
      if (whole) mem.set(whole.subarray(this.slots[i] * this.size, (this.slots[i] + 1) * this.size), i * this.size);
      else this.store.read(this.slots[i], mem, i * this.size);
    }
    this.memory = mem;
  }
}

export interface LoadOptions {
  /** Cache folder root (default: NETWRIGHT_CACHE_DIR, else ~/.cache/netwright/images); false: a throwaway cache. */
  cacheDir?: string | false;
  /** Decoder threads; default one per core when there are enough files to decode, else 0. */
  workers?: number;
  /** Splits up to this many bytes are held in memory (default 512 MiB for both together). */
  memoryBudget?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LoadedDataset {
  train: CachedSplit;
  val: CachedSplit;
  /** Files that could not be used, with the reason (scan problems first, then decode failures). */
  skipped: Skipped[];
  stats: DecodeStats;
  cacheFolder: string;
  close(): void;
}

/** Decodes (or finds in the cache) every sample of a scan. Failed files are skipped with their reason. */
export async function loadDataset(scan: FolderScan, spec: ImageSpec, opts: LoadOptions = {}): Promise<LoadedDataset> {
  checkSpec(spec);
  const size = spec.channels * spec.height * spec.width;
  const key = JSON.stringify({ v: CACHE_VERSION, root: scan.root, height: spec.height, width: spec.width, channels: spec.channels, resize: spec.resize ?? 'stretch' });
  const throwaway = opts.cacheDir === false;
  const base: string = opts.cacheDir === false ? fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-cache-')) : (opts.cacheDir ?? defaultCacheRoot());
  const folder = throwaway ? base : path.join(base, `${path.basename(scan.root).replace(/[^\w.-]/g, '_').slice(0, 40)}-${createHash('sha1').update(key).digest('hex').slice(0, 16)}`);
  fs.mkdirSync(folder, { recursive: true });
  const indexFile = path.join(folder, 'index.json');
  const pixelFile = path.join(folder, 'pixels.u8');

  let index: Index = { version: CACHE_VERSION, key, slots: 0, free: [], entries: {} };
  try {
    const old = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as Index;
    const pixelBytes = fs.statSync(pixelFile).size;
    if (old.version === CACHE_VERSION && old.key === key && pixelBytes >= old.slots * size) index = old;
  } catch {
    // no cache yet, or an unreadable one: start over
  }
  // Never truncate: another loader (a job thread, the training thread) may be filling the same
  // cache right now (see the slot order below); pixels outside the index's slots are unused.
  const fd = fs.openSync(pixelFile, fs.constants.O_RDWR | fs.constants.O_CREAT);

  // Slots are handed out in path order, not in the split's order: loaders filling one fresh
  // cache at once (a report, a preview, training with another split) then give each file the
  // same slot and write the same pixels there, whichever index is written last.
  const samples: Sample[] = [...scan.train, ...scan.val].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const stats: DecodeStats = { files: samples.length, decoded: 0, fromCache: 0, workers: 0 };
  const entries: Record<string, Entry> = {};
  const jobs: { path: string; size: number; mtime: number; slot: number }[] = [];
  const statFailed = new Map<string, string>();
  const reuse = [...index.free];
  const take = (): number => reuse.pop() ?? index.slots++;
  for (const s of samples) {
    if (entries[s.path] || statFailed.has(s.path)) continue;
    let st: fs.Stats;
    try {
      st = fs.statSync(s.path);
    } catch (e) {
      statFailed.set(s.path, skipReason('cannot-read', { error: String((e as NodeJS.ErrnoException).code) }));
      continue;
    }
    const old = index.entries[s.path];
    if (old && old[0] === st.size && old[1] === st.mtimeMs) {
      entries[s.path] = old;
      stats.fromCache++;
      continue;
    }
    const slot = old && old[2] >= 0 ? old[2] : take();
    entries[s.path] = [st.size, st.mtimeMs, slot, '', ''];
    jobs.push({ path: s.path, size: st.size, mtime: st.mtimeMs, slot });
  }
  // Slots of files no longer in the folder become free for the next run.
  const free = reuse;
  for (const [p, e] of Object.entries(index.entries)) if (!entries[p] && e[2] >= 0) free.push(e[2]);

  const finish = (j: (typeof jobs)[number], hash: string | null, error: string | null, pixels?: Uint8Array): void => {
    const e = entries[j.path];
    e[3] = hash ?? '';
    if (error !== null || !pixels) {
      e[4] = error ?? skipReason('not-decoded');
      if (e[2] >= 0) free.push(e[2]);
      e[2] = -1;
    } else {
      if (e[2] < 0) e[2] = take();
      fs.writeSync(fd, pixels, 0, size, e[2] * size);
    }
    stats.decoded++;
    opts.onProgress?.(stats.decoded, jobs.length);
  };
  const nWorkers = Math.min(opts.workers ?? (jobs.length >= WORKER_THRESHOLD ? os.availableParallelism() : 0), jobs.length);
  stats.workers = nWorkers;
  try {
    // A chunk's good images arrive packed; runs of consecutive slots are written with one call.
    const finishChunk = (list: typeof jobs, m: DecodedChunk, pixels: Uint8Array): void => {
      let at = 0;
      let run: { slot: number; from: number; n: number } | undefined;
      const flush = (): void => {
        if (run) fs.writeSync(fd, pixels, run.from, run.n * size, run.slot * size);
        run = undefined;
      };
      list.forEach((job, i) => {
        const e = entries[job.path];
        if (m.errors[i] === null && e[2] >= 0) {
          e[3] = m.hashes[i] ?? '';
          if (run && run.slot + run.n === e[2]) run.n++;
          else {
            flush();
            run = { slot: e[2], from: at, n: 1 };
          }
          stats.decoded++;
          opts.onProgress?.(stats.decoded, jobs.length);
        } else {
          flush();
          finish(job, m.hashes[i], m.errors[i], m.errors[i] === null ? pixels.subarray(at, at + size) : undefined);
        }
        if (m.errors[i] === null) at += size;
      });
      flush();
    };
    const left = nWorkers > 0 ? await decodeOnWorkers(jobs, spec, nWorkers, finishChunk) : jobs;
    for (const j of left) {
      const r = await readAndDecode(j.path, spec);
      finish(j, r.hash ?? null, r.error ?? null, r.pixels);
    }
  } finally {
    const next: Index = { version: CACHE_VERSION, key, slots: index.slots, free: [...new Set(free)].filter((s) => s < index.slots), entries };
    writeFileAtomic(indexFile, JSON.stringify(next));
  }

  const store = new PixelStore(pixelFile, fd, size, throwaway ? () => fs.rmSync(folder, { recursive: true, force: true }) : undefined);
  const skipped: Skipped[] = [...scan.skipped];
  const split = (list: Sample[]): CachedSplit => {
    const ok = list.filter((s) => {
      const reason = statFailed.get(s.path) ?? (entries[s.path][2] < 0 ? entries[s.path][4] : undefined);
      if (reason !== undefined) skipped.push({ path: s.path, reason });
      return reason === undefined;
    });
    return new CachedSplit(
      store,
      Int32Array.from(ok, (s) => s.label),
      ok.map((s) => s.path),
      ok.map((s) => entries[s.path][3]),
      Uint32Array.from(ok, (s) => entries[s.path][2]),
    );
  };
  const train = split(scan.train);
  const val = split(scan.val);
  if ((train.count + val.count) * size <= (opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET)) {
    const whole = index.slots * size <= 2 * (opts.memoryBudget ?? DEFAULT_MEMORY_BUDGET) ? store.readAll() : undefined;
    train.load(whole);
    val.load(whole);
  }
  return { train, val, skipped, stats, cacheFolder: folder, close: () => store.close() };
}

/**
 * Hands chunks of jobs to `n` decoder threads and calls `finish` for each result. A thread that
 * dies gives its chunk back; whatever no live thread could take is returned for the caller.
 */
async function decodeOnWorkers<J extends { path: string }>(
  jobs: J[],
  spec: ImageSpec,
  n: number,
  finishChunk: (jobs: J[], result: DecodedChunk, pixels: Uint8Array) => void,
): Promise<J[]> {
  const chunks: J[][] = [];
  const per = Math.max(1, Math.min(CHUNK, Math.ceil(jobs.length / (4 * n))));
  for (let i = 0; i < jobs.length; i += per) chunks.push(jobs.slice(i, i + per));
  const queue = chunks.map((_, i) => i);
  const orphaned: number[] = [];
  await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve) => {
        const w = spawnWorker(workerUrl('decode-worker', import.meta.url), { spec });
        // Two chunks in flight per thread, so it never waits on a message round trip.
        const inFlight = new Set<number>();
        let done = false;
        const next = (): void => {
          while (inFlight.size < 2) {
            const c = queue.shift();
            if (c === undefined) break;
            inFlight.add(c);
            const msg: DecodeChunk = { chunk: c, files: chunks[c].map((j) => j.path) };
            w.postMessage(msg);
          }
          if (inFlight.size === 0 && !done) {
            done = true;
            void w.terminate().then(() => resolve());
          }
        };
        w.on('message', (m: DecodedChunk | 'ready') => {
          if (m === 'ready') return next();
          inFlight.delete(m.chunk);
          finishChunk(chunks[m.chunk], m, new Uint8Array(m.pixels));
          next();
        });
        w.on('error', () => {
          orphaned.push(...inFlight);
          inFlight.clear();
          done = true;
          resolve();
        });
        w.on('exit', () => {
          if (!done) orphaned.push(...inFlight);
          done = true;
          resolve();
        });
      }),
    ),
  );
  return [...orphaned, ...queue].flatMap((c) => chunks[c]);
}
