// The training step as a live object (a StepRunner): owns its sessions and the current value of
// every parameter, optimizer slot and state, and feeds them back in after each step. Three
// kinds, picked in one place (openStepRunner): one session run per step, several steps looped
// in one run (autodiff/step-loop.ts), or each batch split over two threads (parallel.ts).
import { buildTrainingGraph, type TrainingGraph } from '../autodiff/training-graph.ts';
import { loopedStep } from '../autodiff/step-loop.ts';
import { scalarInputs } from '../autodiff/optimizers.ts';
import { lowerForward, type Forward, type LowerOptions } from '../graph/compile.ts';
import { startValues } from './weights.ts';
import type { NetworkDocument, TrainingSettings } from '../graph/document.ts';
import { Rng } from '../graph/rng.ts';
import { estimateMemory, floatArray } from '../graph/memory.ts';
import { encodeModel } from '../onnx/model.ts';
import type { CodedMessage } from '../protocol.ts';
import os from 'node:os';
import { nchwcBlockSize, openSession, openStepSession, ort, sessionOptions, stepSession, type Device, type StepSession } from './ort.ts';
import { ParallelStep } from './parallel.ts';

export interface StepResult {
  loss: number;
  correct: number;
}

/** What a training run drives: step groups on the values the runner carries. */
export interface StepRunner {
  /** single: one session run per step; looped: up to `group` steps per run (Scan); sharded: two threads per batch. */
  readonly kind: 'single' | 'looped' | 'sharded';
  readonly graph: TrainingGraph;
  readonly device: Device;
  /** Set when the requested device was not usable and the step fell back to CPU. */
  readonly fallback?: CodedMessage;
  /** The most steps one runGroup() takes in a single session run; 1 where each step is a run of its own. */
  readonly group: number;
  /**
   * Every value the step carries (parameters, optimizer slots, states) by graph input name;
   * set entries to change them (a resume does). After a step an array taken from here is reused
   * two steps later: copy it to keep it.
   */
  readonly values: Map<string, Float32Array>;
  /** Optimizer steps taken (Adam's t). */
  t: number;
  /** The weights and states of the whole network (more than the step's own with `from`). */
  readonly whole: Pick<Forward, 'weights' | 'states'>;
  /** One sample's input shape. */
  readonly inputShape: number[];
  /** Parameters and states only (with the frozen part below a head-only step): what the inference model needs. */
  modelValues(): Map<string, Float32Array>;
  /** Dropout masks for `k` batches of n (0 or 1/(1−p)), drawn from `rng` batch after batch. */
  masks(n: number, rng: Rng, k?: number): Record<string, ort.Tensor>;
  /**
   * k optimizer steps, on k batches of n samples stored one after the other in `x` and
   * `labels`, step i at learning rate lrs[i]; `masks` as masks(n, rng, k) makes them. The same
   * as k calls of run(), in one session run where the step is looped (k ≤ `group`).
   */
  runGroup(x: Float32Array, labels: BigInt64Array, k: number, n: number, lrs: number[], masks?: Record<string, ort.Tensor>): Promise<StepResult[]>;
  /** One optimizer step on a batch of n samples. */
  run(x: Float32Array, labels: BigInt64Array, n: number, lr: number, masks?: Record<string, ort.Tensor>): Promise<StepResult>;
  /** Releases the sessions (and a sharded step's replica thread). */
  release(): Promise<void>;
}

/** A step built with `gradients: true`: loss and gradients without an update. */
export interface GradientStep extends StepRunner {
  /** Loss and every parameter's gradient, changing nothing. */
  evaluate(x: Float32Array, labels: BigInt64Array, n: number, masks?: Record<string, ort.Tensor>): Promise<{ loss: number; grads: Map<string, Float32Array> }>;
}

export interface StepOptions {
  device?: Device;
  threads?: number;
  /** Start values' seed (default: the document's). */
  seed?: number;
  /** Also output every parameter's gradient (evaluate(); gradient checks). */
  gradients?: boolean;
  optimizer?: TrainingSettings | 'none';
  /** Force one or two shards (default: autoShards). */
  shards?: 1 | 2;
  /** false: no blocked (NCHWc) convolutions. */
  blocked?: boolean;
  /** Force the most steps per session run (default: stepGroup). */
  group?: number;
  /** A head-only step: train only what lies after this node (cached features, features.ts). */
  from?: string;
}

/**
 * Builds the step graph and picks how it runs; the only place that choice is made.
 *   - sharded: CPU, an optimizer, no running statistics, and autoShards says two shards pay
 *     (conv nets on two threads or more); never for a head-only step.
 *   - looped: CPU with an optimizer, when stepGroup allows more than one batch per run.
 *   - single: everything else (a GPU, gradients without an update, large inputs).
 * Environment overrides, for comparisons and benches (bench/README.md), read here only:
 *   NETWRIGHT_NCHWC=0        no blocked convolutions (ONNX Runtime's NCHWc kernels);
 *   NETWRIGHT_SPIN=0         a single-session CPU step's threads sleep between ops;
 *   NETWRIGHT_STEP_GROUP=k   at most k steps per session run (1: no loop).
 */
/**
 * Above this many bytes of activations (graph/memory.ts's estimate at the run's batch size),
 * a single-session step runs without ONNX Runtime's memory pattern. The pattern plans one block
 * for every intermediate of a run and keeps it beside the arena's own; without it the arena
 * reuses freed blocks: resnet-64 at batch 64 (estimate 1.6 GB), peak RSS of the step process
 * 1,381 → 786 MiB, CPU time a step unchanged (bench/README.md, issue 19). Smaller nets keep it
 * (LeNet-5 and the small CNN measured the same or slightly faster with it).
 * NETWRIGHT_MEM_PATTERN=1 or 0 forces it on or off, for comparisons.
 */
export const MEM_PATTERN_LIMIT = 256 * 2 ** 20;

export function memPattern(doc: NetworkDocument): boolean {
  const forced = process.env.NETWRIGHT_MEM_PATTERN;
  if (forced === '0' || forced === '1') return forced === '1';
  const a = estimateMemory(doc).activations;
  return a.forward + a.backward <= MEM_PATTERN_LIMIT;
}

export function openStepRunner(doc: NetworkDocument, opts: StepOptions & { gradients: true }): Promise<GradientStep>;
export function openStepRunner(doc: NetworkDocument, opts?: StepOptions): Promise<StepRunner>;
export async function openStepRunner(doc: NetworkDocument, opts: StepOptions = {}): Promise<StepRunner> {
  const env = process.env;
  const wanted = opts.device ?? 'cpu';
  // Blocked convolutions are CPU kernels: on a GPU they would run on the CPU.
  const nchwc = wanted === 'cpu' && opts.blocked !== false && env.NETWRIGHT_NCHWC !== '0' ? await nchwcBlockSize() : 0;
  const lower = opts.from ? { from: opts.from } : undefined;
  const graph = buildTrainingGraph(doc, { gradients: opts.gradients, optimizer: opts.optimizer, nchwc, lower });
  const threads = opts.threads ?? os.availableParallelism();
  const settings = doc.training;
  // A head-only step (cached features) is the few layers after the cut: never worth two shards.
  const shards = opts.shards ?? (opts.from ? 1 : autoShards(graph, wanted, threads));
  // A head-only step (opts.from) keeps the pattern: its activations are not the document's.
  const pattern = opts.from ? true : memPattern(doc);
  let step: CarriedStep;
  if (shards === 2) {
    if (opts.gradients || opts.optimizer === 'none' || graph.forward.states.some((s) => s.updated)) throw new Error('a sharded step needs an optimizer and a network without running statistics');
    step = new ShardedStep(graph, settings, await ParallelStep.create(doc, opts.optimizer ?? settings, threads, settings.batchSize, nchwc, lower));
  } else if (wanted === 'cpu' && graph.scalars.length) {
    // One session on several threads (dense-only nets): its threads spin between ops. Their
    // GEMMs are too short to gain from a second thread that has to be woken each time (MLP
    // step 0.74-0.88 → 0.62-0.68 ms, bench/README.md); the session lives only while training runs.
    const spin = threads > 1 && env.NETWRIGHT_SPIN !== '0';
    const group = opts.group ?? (env.NETWRIGHT_STEP_GROUP !== undefined ? Math.max(1, Math.floor(Number(env.NETWRIGHT_STEP_GROUP)) || 1) : stepGroup(graph, settings.batchSize));
    step = group > 1
      ? new LoopedStep(graph, settings, await openStepSession(encodeModel(loopedStep(graph)), threads, spin, sessionOptions('cpu', threads, spin, pattern)), group)
      : new SingleStep(graph, settings, await openStepSession(encodeModel(graph.model), threads, spin, sessionOptions('cpu', threads, spin, pattern)), 'cpu');
  } else {
    const { session, device, fallback } = await openSession(encodeModel(graph.model), wanted, threads, (d, t) => sessionOptions(d, t, false, pattern));
    step = new SingleStep(graph, settings, stepSession(session), device, fallback, session);
  }
  step.init(doc, opts, lower);
  return step;
}

/**
 * How many steps one looped session run takes: up to 16, while the stacked batches stay under
 * 4 MiB (the loop saves a fixed cost per run, which only matters for short steps); 1 means no loop.
 */
export function stepGroup(graph: TrainingGraph, batchSize: number): number {
  const input = graph.model.graph.inputs.find((i) => i.name === 'input')!;
  const bytes = batchSize * (input.shape.slice(1) as number[]).reduce((a, b) => a * b, 4);
  return Math.max(1, Math.min(16, Math.floor((4 << 20) / bytes)));
}

/**
 * Two shards when there are two cores or more to give them and the net reuses its weights
 * enough (FLOPs per sample ≥ 8 × parameters, i.e. convolutions): there the per-sample work
 * dominates and splits well. A dense-only net's step is mostly its optimizer and fixed
 * per-run costs, which shards would not split (bench/README.md). Running statistics
 * (BatchNorm) belong to the whole batch, so such nets never shard.
 */
export function autoShards(graph: TrainingGraph, device: Device, threads: number): 1 | 2 {
  if (device !== 'cpu' || threads < 2 || graph.forward.states.some((s) => s.updated) || !graph.scalars.length) return 1;
  const { totals } = graph.forward.analysis;
  return totals.flops >= 8 * totals.params ? 2 : 1;
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** What every kind shares: the carried values, their shapes, masks and the inference values. */
abstract class CarriedStep implements StepRunner {
  abstract readonly kind: StepRunner['kind'];
  readonly values = new Map<string, Float32Array>();
  t = 0;
  /** A head-only step: the values of the frozen part below it, which the step does not take but the whole model does. */
  private readonly outside = new Map<string, Float32Array>();
  whole: Pick<Forward, 'weights' | 'states'> = { weights: [], states: [] };
  readonly inputShape: number[];

  constructor(
    readonly graph: TrainingGraph,
    protected readonly settings: TrainingSettings,
    readonly device: Device,
    readonly fallback?: CodedMessage,
    readonly group = 1,
  ) {
    this.inputShape = graph.model.graph.inputs.find((i) => i.name === 'input')!.shape.slice(1) as number[];
  }

  /** Start values, drawn over the whole network in document order (then the weights file), so a head-only step starts where the whole one would. */
  init(doc: NetworkDocument, opts: StepOptions, lower: LowerOptions | undefined): void {
    this.whole = lower ? lowerForward(doc, 'train') : this.graph.forward;
    const start = startValues(doc, this.whole, opts.seed ?? doc.training.seed);
    const own = new Set([...this.graph.forward.weights, ...this.graph.forward.states].map((w) => w.name));
    for (const [k, v] of start) (own.has(k) ? this.values : this.outside).set(k, v);
    for (const s of this.graph.slots) this.values.set(s.name, floatArray(numel(s.shape), `the optimizer slot ${s.name}`));
  }

  modelValues(): Map<string, Float32Array> {
    const f = this.graph.forward;
    return new Map([...this.outside, ...[...f.weights, ...f.states].map((w) => [w.name, this.values.get(w.name)!] as const)]);
  }

  /** [n, ...] for one batch, [k, n, ...] for several (runGroup). */
  masks(n: number, rng: Rng, k = 1): Record<string, ort.Tensor> {
    const out: Record<string, Float32Array> = {};
    const ms = this.graph.forward.masks;
    for (const m of ms) out[m.name] = new Float32Array(k * n * numel(m.shape));
    for (let j = 0; j < k; j++) {
      for (const m of ms) {
        const per = n * numel(m.shape);
        const v = out[m.name].subarray(j * per, (j + 1) * per);
        const keep = 1 / (1 - m.rate);
        for (let i = 0; i < v.length; i++) v[i] = rng.next() >= m.rate ? keep : 0;
      }
    }
    return Object.fromEntries(ms.map((m) => [m.name, new ort.Tensor('float32', out[m.name], k === 1 ? [n, ...m.shape] : [k, n, ...m.shape])]));
  }

  async run(x: Float32Array, labels: BigInt64Array, n: number, lr: number, masks: Record<string, ort.Tensor> = {}): Promise<StepResult> {
    return (await this.runGroup(x, labels, 1, n, [lr], masks))[0];
  }

  abstract runGroup(x: Float32Array, labels: BigInt64Array, k: number, n: number, lrs: number[], masks?: Record<string, ort.Tensor>): Promise<StepResult[]>;
  abstract release(): Promise<void>;

  /** Step i's masks out of masks(n, rng, k) for k steps. */
  protected maskSlice(masks: Record<string, ort.Tensor>, i: number, n: number): Record<string, ort.Tensor> {
    const mi: Record<string, ort.Tensor> = {};
    for (const m of this.graph.forward.masks) {
      const size = n * numel(m.shape);
      mi[m.name] = new ort.Tensor('float32', (masks[m.name].data as Float32Array).subarray(i * size, (i + 1) * size), [n, ...m.shape]);
    }
    return mi;
  }

  /** Batch, labels, `extra` and every carried value as feeds. */
  protected feeds(x: Float32Array, labels: BigInt64Array, n: number, extra: Record<string, ort.Tensor> = {}): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor('float32', x.subarray(0, n * numel(this.inputShape)), [n, ...this.inputShape]),
      labels: new ort.Tensor('int64', labels.subarray(0, n), [n]),
      ...extra,
    };
    for (const [k, v] of this.values) feeds[k] = new ort.Tensor('float32', v, this.shapeOf(k));
    return feeds;
  }

  private shapeCache = new Map<string, number[]>();
  protected shapeOf(name: string): number[] {
    let s = this.shapeCache.get(name);
    if (!s) {
      const f = this.graph.forward;
      s = [...f.weights, ...f.states, ...this.graph.slots].find((w) => w.name === name)!.shape;
      this.shapeCache.set(name, s);
    }
    return s;
  }

  /**
   * Outputs for a run: `extra`, and a spare buffer for each carried value's new value. ONNX
   * Runtime writes the new values there, and swap() makes them current: no allocation per step.
   */
  protected fetches(extra: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
    const fetches: Record<string, ort.Tensor> = { ...extra };
    for (const [k, o] of this.graph.next) {
      const cur = this.values.get(k)!;
      let spare = this.spare.get(k);
      if (!spare || spare.length !== cur.length) spare = new Float32Array(cur.length);
      fetches[o] = new ort.Tensor('float32', spare, this.shapeOf(k));
    }
    this.pending = fetches;
    return fetches;
  }

  /** After a run: the new values become current, the old ones spare. */
  protected swap(): void {
    for (const [k, o] of this.graph.next) {
      this.spare.set(k, this.values.get(k)!);
      this.values.set(k, this.pending[o].data as Float32Array);
    }
  }

  private pending: Record<string, ort.Tensor> = {};
  private spare = new Map<string, Float32Array>();
}

/** One session run per step: on CPU through the direct session, or a public one (a GPU, evaluate()). */
class SingleStep extends CarriedStep implements GradientStep {
  readonly kind = 'single';
  private lossOut = new ort.Tensor('float32', new Float32Array(1), []);
  private correctOut = new ort.Tensor('float32', new Float32Array(1), []);

  constructor(
    graph: TrainingGraph,
    settings: TrainingSettings,
    private readonly runner: StepSession,
    device: Device,
    fallback?: CodedMessage,
    /** The public session, for evaluate() (built with gradients out, or on a GPU). */
    private readonly session?: ort.InferenceSession,
  ) {
    super(graph, settings, device, fallback);
  }

  async runGroup(x: Float32Array, labels: BigInt64Array, k: number, n: number, lrs: number[], masks: Record<string, ort.Tensor> = {}): Promise<StepResult[]> {
    const per = numel(this.inputShape);
    const out: StepResult[] = [];
    for (let i = 0; i < k; i++) {
      this.t += 1;
      const scal = scalarInputs(this.settings, lrs[i], this.t);
      const extra = this.maskSlice(masks, i, n);
      for (const s of this.graph.scalars) extra[s] = new ort.Tensor('float32', Float32Array.of(scal[s]), []);
      await this.runner.run(this.feeds(x.subarray(i * n * per, (i + 1) * n * per), labels.subarray(i * n, (i + 1) * n), n, extra), this.fetches({ loss: this.lossOut, correct: this.correctOut }));
      this.swap();
      out.push({ loss: (this.lossOut.data as Float32Array)[0], correct: (this.correctOut.data as Float32Array)[0] });
    }
    return out;
  }

  async evaluate(x: Float32Array, labels: BigInt64Array, n: number, masks: Record<string, ort.Tensor> = {}): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    if (this.graph.scalars.length || !this.session) throw new Error('evaluate() needs a graph built with optimizer: none');
    const out = await this.session.run(this.feeds(x, labels, n, masks));
    const grads = new Map<string, Float32Array>();
    for (const [p, o] of this.graph.gradOutputs) grads.set(p, out[o].data as Float32Array);
    return { loss: (out.loss.data as Float32Array)[0], grads };
  }

  release(): Promise<void> {
    return this.runner.release();
  }
}

/** Up to `group` steps in one session run: the step graph as the body of a Scan (autodiff/step-loop.ts). */
class LoopedStep extends CarriedStep {
  readonly kind = 'looped';

  constructor(graph: TrainingGraph, settings: TrainingSettings, private readonly runner: StepSession, group: number) {
    super(graph, settings, 'cpu', undefined, group);
  }

  async runGroup(x: Float32Array, labels: BigInt64Array, k: number, n: number, lrs: number[], masks: Record<string, ort.Tensor> = {}): Promise<StepResult[]> {
    if (k > this.group) throw new Error(`runGroup: ${k} steps, but the step loops at most ${this.group}`);
    const shape = this.inputShape;
    const per = numel(shape);
    const extra: Record<string, ort.Tensor> = {};
    for (const m of this.graph.forward.masks) extra[m.name] = new ort.Tensor('float32', masks[m.name].data as Float32Array, [k, n, ...m.shape]);
    const scal = lrs.map((lr, i) => scalarInputs(this.settings, lr, this.t + i + 1));
    this.t += k;
    for (const s of this.graph.scalars) extra[s] = new ort.Tensor('float32', Float32Array.from(scal, (v) => v[s]), [k]);
    const feeds: Record<string, ort.Tensor> = {
      ...this.feeds(x, labels, n, extra),
      input: new ort.Tensor('float32', x.subarray(0, k * n * per), [k, n, ...shape]),
      labels: new ort.Tensor('int64', labels.subarray(0, k * n), [k, n]),
    };
    const loss = new ort.Tensor('float32', new Float32Array(k), [k]);
    const correct = new ort.Tensor('float32', new Float32Array(k), [k]);
    await this.runner.run(feeds, this.fetches({ loss, correct }));
    this.swap();
    const l = loss.data as Float32Array;
    const c = correct.data as Float32Array;
    return Array.from({ length: k }, (_, i) => ({ loss: l[i], correct: c[i] }));
  }

  release(): Promise<void> {
    return this.runner.release();
  }
}

/** Each batch split over this thread and a replica thread (parallel.ts); one step per call. */
class ShardedStep extends CarriedStep {
  readonly kind = 'sharded';

  constructor(graph: TrainingGraph, settings: TrainingSettings, private readonly parallel: ParallelStep) {
    super(graph, settings, 'cpu');
  }

  async runGroup(x: Float32Array, labels: BigInt64Array, k: number, n: number, lrs: number[], masks: Record<string, ort.Tensor> = {}): Promise<StepResult[]> {
    const per = numel(this.inputShape);
    const out: StepResult[] = [];
    for (let i = 0; i < k; i++) {
      this.t += 1;
      const scal = scalarInputs(this.settings, lrs[i], this.t);
      out.push(await this.parallel.run(this.values, x.subarray(i * n * per, (i + 1) * n * per), labels.subarray(i * n, (i + 1) * n), n, scal, this.maskSlice(masks, i, n)));
    }
    return out;
  }

  release(): Promise<void> {
    return this.parallel.release();
  }
}
