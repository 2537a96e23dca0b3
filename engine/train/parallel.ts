// Data-parallel training step: the batch is split in two shards whose gradients are computed at
// the same time, one on the training thread and one on a replica thread, each by a one-thread
// ONNX Runtime session; a third session sums the two gradients and applies the optimizer.
// ONNX Runtime runs the small ops of a conv net (pooling, masks, weight gradients with one
// output channel) on one thread however many it is given, so two shards on two cores beat one
// batch on two intra-op threads (bench/README.md). The result is the whole batch's gradient:
// each shard's loss gradient is scaled by its share of the batch (training-graph.ts).
//
// Threads meet through shared memory: the parameters and the replica's shard go in, its
// gradients, loss and correct count come out (ONNX Runtime refuses shared buffers, so both
// sides copy). A sequence number in `ctrl` starts a step; DONE echoes it when the replica is through.
import type { Worker } from 'node:worker_threads';
import { buildTrainingGraph, buildUpdateGraph } from '../autodiff/training-graph.ts';
import type { LowerOptions } from '../graph/compile.ts';
import type { NetworkDocument, TrainingSettings } from '../graph/document.ts';
import { CodedError, said } from '../graph/error-codes.ts';
import { encodeModel } from '../onnx/model.ts';
import { spawnWorker, workerUrl } from '../threads.ts';
import { openStepSession, ort, type StepSession } from './ort.ts';

export const CTRL = { SEQ: 0, DONE: 1, N: 2, STATUS: 3, STOP: 4, FIXED: 5 } as const;
export const NUM = { LOSS: 0, CORRECT: 1, SCALE: 2 } as const;

export interface ShardLayout {
  /** Parameter tensors: name, shape and offset (in floats) in the shared parameter/gradient buffers. */
  params: { name: string; shape: number[]; offset: number; size: number }[];
  /** Frozen weights and states (fed, never updated): laid out the same way in their own buffer. */
  fixed: { name: string; shape: number[]; offset: number; size: number }[];
  masks: { name: string; shape: number[]; per: number }[];
  inputShape: number[];
  /** Most samples the replica's shard can hold. */
  capacity: number;
}

export interface ReplicaInit {
  model: Uint8Array;
  threads: number;
  layout: ShardLayout;
  ctrl: SharedArrayBuffer;
  num: SharedArrayBuffer;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  /** The frozen values; the training thread bumps ctrl[CTRL.FIXED] when they change. */
  fixed: SharedArrayBuffer;
  x: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  masks: SharedArrayBuffer[];
  error: SharedArrayBuffer;
}

// Node 20 has Atomics.waitAsync; TypeScript's lib for our target does not declare it yet.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> } }).waitAsync;

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** A flat vector of every parameter tensor, and one view per tensor. */
export function flatViews(flat: Float32Array, layout: ShardLayout): Float32Array[] {
  return layout.params.map((p) => flat.subarray(p.offset, p.offset + p.size));
}

/** Feeds and preallocated gradient fetches of a shard session; shared by both sides. */
export class ShardBuffers {
  /** Parameters, when they are not fed from elsewhere, and gradients: flat, with views per tensor. */
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly paramViews: Float32Array[];
  readonly gradViews: Float32Array[];
  /** Frozen values and a view per tensor (layout.fixed). */
  readonly fixed: Float32Array;
  readonly fixedViews: Float32Array[];
  readonly x: Float32Array;
  readonly labels: BigInt64Array;
  readonly masks: Float32Array[];
  private readonly loss = new ort.Tensor('float32', new Float32Array(1), []);
  private readonly correct = new ort.Tensor('float32', new Float32Array(1), []);
  private readonly scale = new Float32Array(1);

  constructor(readonly layout: ShardLayout, grads?: Float32Array) {
    const total = layout.params.reduce((a, p) => a + p.size, 0);
    this.params = new Float32Array(total);
    this.grads = grads ?? new Float32Array(total);
    this.paramViews = flatViews(this.params, layout);
    this.gradViews = flatViews(this.grads, layout);
    this.fixed = new Float32Array(layout.fixed.reduce((a, p) => a + p.size, 0));
    this.fixedViews = layout.fixed.map((p) => this.fixed.subarray(p.offset, p.offset + p.size));
    this.x = new Float32Array(layout.capacity * size(layout.inputShape));
    this.labels = new BigInt64Array(layout.capacity);
    this.masks = layout.masks.map((m) => new Float32Array(layout.capacity * m.per));
  }

  /** Runs the shard session on the first n samples held here; gradients land in `grads`. */
  async run(session: StepSession, n: number, scale: number, params = this.paramViews): Promise<{ loss: number; correct: number }> {
    const L = this.layout;
    this.scale[0] = scale;
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor('float32', this.x.subarray(0, n * size(L.inputShape)), [n, ...L.inputShape]),
      labels: new ort.Tensor('int64', this.labels.subarray(0, n), [n]),
      grad_scale: new ort.Tensor('float32', this.scale, []),
    };
    L.params.forEach((p, i) => (feeds[p.name] = new ort.Tensor('float32', params[i], p.shape)));
    L.fixed.forEach((p, i) => (feeds[p.name] = new ort.Tensor('float32', this.fixedViews[i], p.shape)));
    L.masks.forEach((m, i) => (feeds[m.name] = new ort.Tensor('float32', this.masks[i].subarray(0, n * m.per), [n, ...m.shape])));
    const fetches: Record<string, ort.Tensor> = { loss: this.loss, correct: this.correct };
    L.params.forEach((p, i) => (fetches[`grad:${p.name}`] = new ort.Tensor('float32', this.gradViews[i], p.shape)));
    await session.run(feeds, fetches);
    return { loss: (this.loss.data as Float32Array)[0], correct: (this.correct.data as Float32Array)[0] };
  }
}

/** The optimizer's vectors: the parameters and each slot (`params`, `params.m`, ...), flat. */
type FlatState = Map<string, Float32Array>;

export class ParallelStep {
  private seq = 0;
  private exited: Promise<CodedError>;
  private readonly ctrl: Int32Array;
  private readonly num: Float64Array;
  private readonly sharedParams: Float32Array;
  private readonly sharedGrads: Float32Array;
  private readonly sharedFixed: Float32Array;
  /** The frozen arrays last copied in (by identity): copied again only when `values` holds others. */
  private lastFixed: (Float32Array | undefined)[] = [];
  private readonly sharedX: Float32Array;
  private readonly sharedLabels: BigInt64Array;
  private readonly sharedMasks: Float32Array[];
  private readonly errorText: Uint8Array;
  /** Shard 0, run on this thread. */
  private readonly local: ShardBuffers;
  /** The replica's gradients, copied out of shared memory for the update session. */
  private readonly remoteGrads: Float32Array;
  /** Current and spare optimizer vectors; the update writes the spare ones, then they swap. */
  private cur: FlatState;
  private spare: FlatState;
  /** Per-tensor views of a FlatState, by the names the training step's values use. */
  private readonly views = new Map<FlatState, Map<string, Float32Array>>();
  /** The parameter tensors' views of a FlatState, in layout order: the local shard's feeds. */
  private readonly paramViews = new Map<FlatState, Float32Array[]>();
  private readonly total: number;

  private constructor(
    readonly layout: ShardLayout,
    private readonly shard: StepSession,
    private readonly update: StepSession,
    private readonly next: Map<string, string>,
    private readonly worker: Worker,
    init: ReplicaInit,
  ) {
    this.ctrl = new Int32Array(init.ctrl);
    this.num = new Float64Array(init.num);
    this.sharedParams = new Float32Array(init.params);
    this.sharedGrads = new Float32Array(init.grads);
    this.sharedFixed = new Float32Array(init.fixed);
    this.sharedX = new Float32Array(init.x);
    this.sharedLabels = new BigInt64Array(init.labels);
    this.sharedMasks = init.masks.map((m) => new Float32Array(m));
    this.errorText = new Uint8Array(init.error);
    this.local = new ShardBuffers({ ...layout, capacity: layout.capacity + 1 });
    this.total = this.local.params.length;
    this.remoteGrads = new Float32Array(this.total);
    const flat = () => new Map([...next.keys()].map((k) => [k, new Float32Array(this.total)] as const));
    this.cur = flat();
    this.spare = flat();
    for (const st of [this.cur, this.spare]) {
      const v = new Map<string, Float32Array>();
      for (const [k, buf] of st) {
        // `params` holds the parameters themselves; `params.m` holds slot m of each (`<param>.m`).
        const suffix = k.slice('params'.length);
        const views = flatViews(buf, layout);
        views.forEach((view, i) => v.set(layout.params[i].name + suffix, view));
        if (k === 'params') this.paramViews.set(st, views);
      }
      this.views.set(st, v);
    }
    this.exited = new Promise((resolve) => {
      worker.on('error', (e) => resolve(replicaFailed(e.message)));
      worker.on('exit', (code) => resolve(new CodedError(`the replica thread exited (code ${code})`, said('replica-exited', { code }))));
    });
  }

  /**
   * Opens the shard session here and on a replica thread, and the update session. `threads`
   * is split between the two shards. `capacity`: the largest batch run() will be given.
   * `nchwc`: block size for blocked convolutions (0: none).
   */
  static async create(doc: NetworkDocument, settings: TrainingSettings, threads: number, capacity: number, nchwc = 0, lower?: LowerOptions): Promise<ParallelStep> {
    const shardGraph = buildTrainingGraph(doc, { gradients: true, optimizer: 'none', shardScale: true, nchwc, lower });
    const f = shardGraph.forward;
    let offset = 0;
    const params = shardGraph.trainable.map((w) => {
      const p = { name: w.name, shape: w.shape, offset, size: size(w.shape) };
      offset += p.size;
      return p;
    });
    const shapes = new Map([...f.weights, ...f.states].map((w) => [w.name, w.shape]));
    let fixedSize = 0;
    const fixed = shardGraph.fixed.map((name) => {
      const shape = shapes.get(name)!;
      const p = { name, shape, offset: fixedSize, size: size(shape) };
      fixedSize += p.size;
      return p;
    });
    const up = buildUpdateGraph(settings, offset, 2);
    const inputShape = shardGraph.model.graph.inputs.find((i) => i.name === 'input')!.shape.slice(1) as number[];
    const masks = f.masks.map((m) => ({ name: m.name, shape: m.shape as number[], per: size(m.shape as number[]) }));
    const half = Math.floor(capacity / 2);
    const layout: ShardLayout = { params, fixed, masks, inputShape, capacity: half };
    const model = encodeModel(shardGraph.model);
    const perShard = Math.max(1, Math.floor(threads / 2));
    const init: ReplicaInit = {
      model,
      threads: perShard,
      layout,
      ctrl: new SharedArrayBuffer(4 * 8),
      num: new SharedArrayBuffer(8 * 4),
      params: new SharedArrayBuffer(offset * 4),
      grads: new SharedArrayBuffer(offset * 4),
      fixed: new SharedArrayBuffer(fixedSize * 4),
      x: new SharedArrayBuffer(half * size(inputShape) * 4),
      labels: new SharedArrayBuffer(half * 8),
      masks: masks.map((m) => new SharedArrayBuffer(half * m.per * 4)),
      error: new SharedArrayBuffer(4096),
    };
    const worker = spawnWorker(workerUrl('replica-worker', import.meta.url), init);
    const ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new CodedError(`the replica thread could not start: ${m.error}`, said('replica-no-start', { error: String(m.error) })))));
      worker.once('error', reject);
    });
    try {
      const [shard, update] = await Promise.all([
        openStepSession(model, perShard),
        // Elementwise over one vector: a single thread, no hand-offs.
        openStepSession(encodeModel(up.model), 1),
        ready,
      ]);
      return new ParallelStep(layout, shard, update, up.next, worker, init);
    } catch (e) {
      await worker.terminate();
      throw e;
    }
  }

  /** Makes every parameter and slot in `values` a view of the current flat vectors (copying in any that are not). */
  private adopt(values: Map<string, Float32Array>): void {
    const views = this.views.get(this.cur)!;
    for (const [name, view] of views) {
      const v = values.get(name);
      if (v === view) continue;
      if (!v || v.length !== view.length) throw new Error(`${name}: expected ${view.length} values, got ${v?.length ?? 'none'}`);
      view.set(v);
      values.set(name, view);
    }
  }

  /** Copies the frozen values in, here and for the replica, when `values` holds other arrays than last time. */
  private adoptFixed(values: Map<string, Float32Array>): void {
    const L = this.layout;
    if (L.fixed.every((p, i) => values.get(p.name) === this.lastFixed[i])) return;
    L.fixed.forEach((p, i) => {
      const v = values.get(p.name);
      if (!v || v.length !== p.size) throw new Error(`${p.name}: expected ${p.size} values, got ${v?.length ?? 'none'}`);
      this.local.fixedViews[i].set(v);
      this.lastFixed[i] = v;
    });
    this.sharedFixed.set(this.local.fixed);
    Atomics.add(this.ctrl, CTRL.FIXED, 1);
  }

  /**
   * One optimizer step on n samples: the first ⌈n/2⌉ here, the rest on the replica, then the
   * update. New values replace those in `values`; like a StepRunner (step.ts), the arrays handed out
   * are reused two steps later.
   */
  async run(values: Map<string, Float32Array>, x: Float32Array, labels: BigInt64Array, n: number, scalars: Record<string, number>, masks: Record<string, ort.Tensor>): Promise<{ loss: number; correct: number }> {
    const L = this.layout;
    if (n > 2 * L.capacity + 1) throw new Error(`a batch of ${n} is larger than the ${2 * L.capacity + 1} this step was sized for`);
    const n0 = Math.max(n - L.capacity, Math.ceil(n / 2));
    const n1 = n - n0;
    this.adopt(values);
    this.adoptFixed(values);
    const params = this.cur.get('params')!;
    const per = size(L.inputShape);
    const seq = ++this.seq;
    if (n1) {
      this.sharedParams.set(params);
      this.sharedX.set(x.subarray(n0 * per, n * per));
      this.sharedLabels.set(labels.subarray(n0, n));
      L.masks.forEach((m, i) => this.sharedMasks[i].set((masks[m.name].data as Float32Array).subarray(n0 * m.per, n * m.per)));
      this.num[NUM.SCALE] = n1 / n;
      Atomics.store(this.ctrl, CTRL.N, n1);
      Atomics.store(this.ctrl, CTRL.SEQ, seq);
      Atomics.notify(this.ctrl, CTRL.SEQ);
    }
    this.local.x.set(x.subarray(0, n0 * per));
    this.local.labels.set(labels.subarray(0, n0));
    L.masks.forEach((m, i) => this.local.masks[i].set((masks[m.name].data as Float32Array).subarray(0, n0 * m.per)));
    let mine: { loss: number; correct: number };
    try {
      mine = await this.local.run(this.shard, n0, n0 / n, this.paramViews.get(this.cur)!);
    } finally {
      if (n1) await this.waitReplica(seq);
    }
    let loss = mine.loss * n0;
    let correct = mine.correct;
    if (n1) {
      loss += this.num[NUM.LOSS] * n1;
      correct += this.num[NUM.CORRECT];
      this.remoteGrads.set(this.sharedGrads);
    } else this.remoteGrads.fill(0);

    const feeds: Record<string, ort.Tensor> = {
      grad0: new ort.Tensor('float32', this.local.grads, [this.total]),
      grad1: new ort.Tensor('float32', this.remoteGrads, [this.total]),
    };
    for (const [k, v] of this.cur) feeds[k] = new ort.Tensor('float32', v, [this.total]);
    for (const [k, v] of Object.entries(scalars)) feeds[k] = new ort.Tensor('float32', Float32Array.of(v), []);
    const fetches: Record<string, ort.Tensor> = {};
    for (const [k, o] of this.next) fetches[o] = new ort.Tensor('float32', this.spare.get(k)!, [this.total]);
    await this.update.run(feeds, fetches);
    [this.cur, this.spare] = [this.spare, this.cur];
    for (const [name, view] of this.views.get(this.cur)!) values.set(name, view);
    return { loss: loss / n, correct };
  }

  private async waitReplica(seq: number): Promise<void> {
    // The shards end within a fraction of a millisecond of each other, and the thread has
    // nothing else to do: spin briefly, then block, then (past 200 ms) wait asynchronously,
    // which also notices the replica dying (its exit event cannot fire while this thread is
    // blocked). Spinning then blocking beat waitAsync alone by 3-8% of a LeNet-5 step (measured).
    const spin = performance.now() + 3;
    while (Atomics.load(this.ctrl, CTRL.DONE) !== seq && performance.now() < spin);
    const until = performance.now() + 200;
    for (let done = Atomics.load(this.ctrl, CTRL.DONE); done !== seq && performance.now() < until; done = Atomics.load(this.ctrl, CTRL.DONE)) {
      Atomics.wait(this.ctrl, CTRL.DONE, done, 20);
    }
    for (;;) {
      const done = Atomics.load(this.ctrl, CTRL.DONE);
      if (done === seq) break;
      const w = waitAsync(this.ctrl, CTRL.DONE, done);
      const why = await (w.async ? Promise.race([w.value.then(() => null), this.exited]) : null);
      if (why) throw why;
    }
    if (Atomics.load(this.ctrl, CTRL.STATUS) !== 0) {
      const bytes = this.errorText.slice();
      const end = bytes.indexOf(0);
      throw replicaFailed(new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end)));
    }
  }

  async release(): Promise<void> {
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.add(this.ctrl, CTRL.SEQ, 1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.worker.terminate();
    await Promise.all([this.shard.release(), this.update.release()]);
  }
}

const replicaFailed = (error: string): CodedError => new CodedError(`the replica thread failed: ${error}`, said('replica-failed', { error }));
