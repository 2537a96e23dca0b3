// Batch prefetch: a thread of its own fills the next batch while ONNX Runtime runs the current
// step (session.run holds the training thread for the whole step). It owns a BatchFiller with
// the same seed, and fills batches strictly in the order they are asked for, so augmentation
// draws the same random numbers as filling them in line would: the batches are identical.
import fs from 'node:fs';
import type { MessagePort, Worker } from 'node:worker_threads';
import { augmentRng, BatchFiller, type AugmentSettings, type BatchShape, type Normalization } from './batches.ts';
import { floatArray } from '../graph/memory.ts';
import { spawnWorker, workerUrl } from '../threads.ts';
import { CachedSplit, PixelStore } from './cache.ts';

export interface PrefetchSource {
  /** The split's pixels in sample order, shared (in-memory splits), or the cache file to read. */
  pixels?: SharedArrayBuffer;
  file?: string;
  size: number;
  slots: Uint32Array;
  labels: Int32Array;
  shape: BatchShape;
  norm: Normalization;
  augment: AugmentSettings;
  seed: number;
  batch: number;
  /** The augmentation generator's state to start from (a resumed run); default: from `seed`. */
  augmentState?: number[];
}

/** A request to the prefetch thread: fill the slot's buffers (handed over with it) with order[start .. start+n-1]. */
interface Fill {
  slot: number;
  start: number;
  n: number;
  order?: Int32Array;
  x: ArrayBuffer;
  y: ArrayBuffer;
}

/** Runs in the prefetch thread: fills each batch it is handed and hands it back. */
export function prefetchThread(port: MessagePort, src: PrefetchSource): void {
  let split: CachedSplit;
  if (src.pixels) split = CachedSplit.fromPixels(new Uint8Array(src.pixels), src.labels, src.size);
  else {
    split = new CachedSplit(new PixelStore(src.file!, fs.openSync(src.file!, 'r'), src.size), src.labels, [], [], src.slots);
  }
  const filler = new BatchFiller(split, src.shape, src.norm, src.augment, src.seed);
  if (src.augmentState) filler.augmentState = Uint32Array.from(src.augmentState);
  port.on('message', (m: Fill) => {
    if (m.order) for (let i = 0; i < m.order.length; i++) filler.order[i] = m.order[i];
    const before = Array.from(filler.augmentState);
    filler.fill(m.start, m.n, new Float32Array(m.x), new BigInt64Array(m.y));
    port.postMessage({ slot: m.slot, before, after: Array.from(filler.augmentState), x: m.x, y: m.y }, [m.x, m.y]);
  });
}

/** A prefetch source for a cached split: shared in-memory pixels, or the cache file. */
export function prefetchSource(split: CachedSplit, shape: BatchShape, norm: Normalization, augment: AugmentSettings, seed: number, batch: number, augmentState?: number[]): PrefetchSource {
  const pixels = split.sharedPixels();
  return { pixels, file: pixels ? undefined : split.store.file, size: split.size, slots: split.slots, labels: split.labels, shape, norm, augment, seed, batch, augmentState };
}

/**
 * The training side: `request(start, n)` starts filling the next batch in the other thread and
 * returns at once; `take()` waits for it. With one batch always in flight, filling overlaps the step.
 * Two slots of ordinary memory go back and forth: a request hands a slot's buffers to the
 * thread, which hands them back filled (transferred, not copied). ONNX Runtime refuses tensors
 * over shared memory, so shared slots cost a copy of every group (MLP: 13-45 ms an epoch of
 * 500-1,100, bench/README.md); these are fed as they are.
 */
export class Prefetcher {
  private readonly worker: Worker;
  /** Each slot's buffers while this side holds them (null while the thread fills them). */
  private readonly slots: { x: ArrayBuffer | null; y: ArrayBuffer | null }[];
  private next = 0;
  private pending: { slot: number; n: number; done: Promise<void> }[] = [];
  private waiters = new Map<number, () => void>();
  /** Augmentation state before each slot's fill, and after the latest fill. */
  private before = new Map<number, number[]>();
  private after: number[];
  private filling = 0;
  /** Batches requested while a previous one was still being used (overlap evidence for tests). */
  requestedAhead = 0;

  constructor(src: PrefetchSource) {
    const per = src.shape.channels * src.shape.height * src.shape.width;
    this.slots = [0, 1].map(() => ({ x: floatArray(src.batch * per, `a group of ${src.batch} images`).buffer as ArrayBuffer, y: new ArrayBuffer(src.batch * 8) }));
    this.worker = spawnWorker(workerUrl('prefetch-worker', import.meta.url), { src });
    // Keep the process alive only while a batch is being filled.
    this.after = src.augmentState ?? Array.from(augmentRng(src.seed).state());
    this.worker.on('message', (m: { slot: number; before: number[]; after: number[]; x: ArrayBuffer; y: ArrayBuffer }) => {
      this.before.set(m.slot, m.before);
      this.after = m.after;
      this.slots[m.slot] = { x: m.x, y: m.y };
      if (--this.filling === 0) this.worker.unref();
      this.waiters.get(m.slot)?.();
    });
    this.worker.unref();
  }

  /** Asks for samples order[start .. start+n-1]; pass `order` when the epoch's order changed. */
  request(start: number, n: number, order?: number[]): void {
    if (this.pending.length >= 2) throw new Error('prefetch: at most two batches in flight');
    if (this.pending.length) this.requestedAhead++;
    const slot = this.next;
    this.next ^= 1;
    const { x, y } = this.slots[slot];
    if (!x || !y) throw new Error('prefetch: a slot requested while the thread still fills it');
    this.slots[slot] = { x: null, y: null };
    const done = new Promise<void>((resolve) => this.waiters.set(slot, resolve));
    this.pending.push({ slot, n, done });
    if (this.filling++ === 0) this.worker.ref();
    const fill: Fill = { slot, start, n, order: order ? Int32Array.from(order) : undefined, x, y };
    this.worker.postMessage(fill, [x, y]);
  }

  /** The oldest requested batch, once filled. Valid until the batch after the next is requested. */
  async take(): Promise<{ x: Float32Array; y: BigInt64Array; n: number }> {
    const p = this.pending.shift();
    if (!p) throw new Error('prefetch: take() without request()');
    await p.done;
    const { x, y } = this.slots[p.slot];
    return { x: new Float32Array(x!), y: new BigInt64Array(y!), n: p.n };
  }

  /**
   * The augmentation generator's state before the oldest batch not yet taken (or after the last
   * one filled, when none is pending): what a checkpoint at this point must record.
   */
  async augmentState(): Promise<number[]> {
    const p = this.pending[0];
    if (!p) return this.after;
    await p.done;
    return this.before.get(p.slot)!;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
