// The training step as a live object: owns the session and the current values of every
// parameter, optimizer slot and state, and feeds them back in after each step.
import { buildTrainingGraph, type TrainingGraph } from '../autodiff/training-graph.ts';
import { loopedStep } from '../autodiff/step-loop.ts';
import { scalarInputs } from '../autodiff/optimizers.ts';
import { lowerForward, type Forward } from '../graph/compile.ts';
import { startValues } from './weights.ts';
import type { NetworkDocument, TrainingSettings } from '../graph/document.ts';
import { Rng } from '../graph/rng.ts';
import { floatArray } from '../graph/memory.ts';
import { encodeModel } from '../onnx/model.ts';
import os from 'node:os';
import { nchwcBlockSize, openSession, openStepSession, ort, stepSession, type Device, type StepSession } from './ort.ts';
import { ParallelStep } from './parallel.ts';

export interface StepResult {
  loss: number;
  correct: number;
}

export class TrainingStep {
  /** Every value the step carries: parameters, optimizer slots, states; by graph input name. */
  values = new Map<string, Float32Array>();
  /** Optimizer steps taken (Adam's t). */
  t = 0;
  /**
   * A head-only step (create's `from`): the values of the frozen part below it, which the step
   * does not take but the whole model does (modelValues); empty otherwise.
   */
  outside = new Map<string, Float32Array>();
  /** The weights and states of the whole network (more than the step's own with `from`). */
  whole: Pick<Forward, 'weights' | 'states'> = { weights: [], states: [] };

  private constructor(
    readonly graph: TrainingGraph,
    /** The whole step in one session; absent when the step runs in shards (`parallel`). */
    readonly runner: StepSession | undefined,
    /** The public session, for evaluate() (built with gradients out, or on a GPU). */
    readonly session: ort.InferenceSession | undefined,
    readonly settings: TrainingSettings,
    readonly device: Device,
    readonly fallback?: string,
    readonly parallel?: ParallelStep,
    /**
     * The most steps one call of runGroup() takes in a single session run (an ONNX Scan over
     * a stack of batches, autodiff/step-loop.ts); 1 where each step is a run of its own.
     */
    readonly group = 1,
  ) {}

  static async create(
    doc: NetworkDocument,
    opts: { device?: Device; threads?: number; seed?: number; gradients?: boolean; optimizer?: TrainingSettings | 'none'; shards?: 1 | 2; blocked?: boolean; group?: number; from?: string } = {},
  ): Promise<TrainingStep> {
    const wanted = opts.device ?? 'cpu';
    // Blocked convolutions are CPU kernels: on a GPU they would run on the CPU.
    const nchwc = wanted === 'cpu' && opts.blocked !== false ? await nchwcBlockSize() : 0;
    const lower = opts.from ? { from: opts.from } : undefined;
    const graph = buildTrainingGraph(doc, { gradients: opts.gradients, optimizer: opts.optimizer, nchwc, lower });
    const threads = opts.threads ?? os.availableParallelism();
    // A head-only step (cached features) is the few layers after the cut: never worth two shards.
    const shards = opts.shards ?? (opts.from ? 1 : autoShards(graph, wanted, threads));
    let step: TrainingStep;
    if (shards === 2) {
      if (opts.gradients || opts.optimizer === 'none' || graph.forward.states.some((s) => s.updated)) throw new Error('a sharded step needs an optimizer and a network without running statistics');
      const settings = opts.optimizer ?? doc.training;
      const parallel = await ParallelStep.create(doc, settings, threads, doc.training.batchSize, nchwc, lower);
      step = new TrainingStep(graph, undefined, undefined, doc.training, 'cpu', undefined, parallel);
    } else if (wanted === 'cpu' && graph.scalars.length) {
      // One session on several threads (dense-only nets): its threads spin between ops. Their
      // GEMMs are too short to gain from a second thread that has to be woken each time (MLP
      // step 0.74-0.88 → 0.62-0.68 ms, bench/README.md); the session lives only while training runs.
      const spin = threads > 1 && process.env.NETWRIGHT_SPIN !== '0';
      const group = opts.group ?? stepGroup(graph, doc.training.batchSize);
      const model = group > 1 ? loopedStep(graph) : graph.model;
      step = new TrainingStep(graph, await openStepSession(encodeModel(model), threads, spin), undefined, doc.training, 'cpu', undefined, undefined, group);
    } else {
      const { session, device, fallback } = await openSession(encodeModel(graph.model), wanted, threads);
      step = new TrainingStep(graph, stepSession(session), session, doc.training, device, fallback);
    }
    // Drawn over the whole network in document order (then the weights file), so a head-only
    // step starts where the whole one would.
    step.whole = opts.from ? lowerForward(doc, 'train') : graph.forward;
    const start = startValues(doc, step.whole, opts.seed ?? doc.training.seed);
    const own = new Set([...graph.forward.weights, ...graph.forward.states].map((w) => w.name));
    for (const [k, v] of start) (own.has(k) ? step.values : step.outside).set(k, v);
    for (const s of graph.slots) step.values.set(s.name, floatArray(s.shape.reduce((a, b) => a * b, 1), `the optimizer slot ${s.name}`));
    return step;
  }

  /** Parameters and states only: what the inference model needs. */
  modelValues(): Map<string, Float32Array> {
    const f = this.graph.forward;
    return new Map([...this.outside, ...[...f.weights, ...f.states].map((w) => [w.name, this.values.get(w.name)!] as const)]);
  }

  /**
   * Dropout masks for `k` batches of n (0 or 1/(1−p)), drawn from `rng` batch after batch:
   * [n, ...] for one batch, [k, n, ...] for several (runGroup).
   */
  masks(n: number, rng: Rng, k = 1): Record<string, ort.Tensor> {
    const out: Record<string, Float32Array> = {};
    const ms = this.graph.forward.masks;
    for (const m of ms) out[m.name] = new Float32Array(k * n * m.shape.reduce((a, b) => a * b, 1));
    for (let j = 0; j < k; j++) {
      for (const m of ms) {
        const per = n * m.shape.reduce((a, b) => a * b, 1);
        const v = out[m.name].subarray(j * per, (j + 1) * per);
        const keep = 1 / (1 - m.rate);
        for (let i = 0; i < v.length; i++) v[i] = rng.next() >= m.rate ? keep : 0;
      }
    }
    return Object.fromEntries(ms.map((m) => [m.name, new ort.Tensor('float32', out[m.name], k === 1 ? [n, ...m.shape] : [k, n, ...m.shape])]));
  }

  feeds(x: Float32Array, labels: BigInt64Array, n: number, inputShape: number[], extra: Record<string, ort.Tensor> = {}): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor('float32', x.subarray(0, n * inputShape.reduce((a, b) => a * b, 1)), [n, ...inputShape]),
      labels: new ort.Tensor('int64', labels.subarray(0, n), [n]),
      ...extra,
    };
    for (const [k, v] of this.values) {
      const dims = this.shapeOf(k);
      feeds[k] = new ort.Tensor('float32', v, dims);
    }
    return feeds;
  }

  private shapeCache = new Map<string, number[]>();
  private shapeOf(name: string): number[] {
    let s = this.shapeCache.get(name);
    if (!s) {
      const f = this.graph.forward;
      s = [...f.weights, ...f.states, ...this.graph.slots].find((w) => w.name === name)!.shape;
      this.shapeCache.set(name, s);
    }
    return s;
  }

  get inputShape(): number[] {
    return this.graph.model.graph.inputs.find((i) => i.name === 'input')!.shape.slice(1) as number[];
  }

  /**
   * One optimizer step on a batch of n samples; updates the carried values. ONNX Runtime
   * writes the new values into preallocated buffers, which then swap with the current ones:
   * no allocation per step, but a Float32Array taken from `values` is reused two steps later
   * (copy it to keep it).
   */
  async run(x: Float32Array, labels: BigInt64Array, n: number, lr: number, masks: Record<string, ort.Tensor> = {}): Promise<StepResult> {
    return (await this.runGroup(x, labels, 1, n, [lr], masks))[0];
  }

  /**
   * k optimizer steps, on k batches of n samples stored one after the other in `x` and
   * `labels`, step i at learning rate lrs[i]; `masks` as masks(n, rng, k) makes them. The same
   * as k calls of run(), in one session run where the step is looped (k ≤ `group`).
   */
  async runGroup(x: Float32Array, labels: BigInt64Array, k: number, n: number, lrs: number[], masks: Record<string, ort.Tensor> = {}): Promise<StepResult[]> {
    if (k > this.group && this.group > 1) throw new Error(`runGroup: ${k} steps, but the step loops at most ${this.group}`);
    const shape = this.inputShape;
    const per = shape.reduce((a, b) => a * b, 1);
    const ms = this.graph.forward.masks;
    if (this.group === 1) {
      const out: StepResult[] = [];
      for (let i = 0; i < k; i++) {
        const mi: Record<string, ort.Tensor> = {};
        for (const m of ms) {
          const size = n * m.shape.reduce((a, b) => a * b, 1);
          mi[m.name] = new ort.Tensor('float32', (masks[m.name].data as Float32Array).subarray(i * size, (i + 1) * size), [n, ...m.shape]);
        }
        out.push(await this.runOne(x.subarray(i * n * per, (i + 1) * n * per), labels.subarray(i * n, (i + 1) * n), n, lrs[i], mi));
      }
      return out;
    }
    const extra: Record<string, ort.Tensor> = {};
    for (const m of ms) extra[m.name] = new ort.Tensor('float32', masks[m.name].data as Float32Array, [k, n, ...m.shape]);
    const scal = lrs.map((lr, i) => scalarInputs(this.settings, lr, this.t + i + 1));
    this.t += k;
    for (const s of this.graph.scalars) extra[s] = new ort.Tensor('float32', Float32Array.from(scal, (v) => v[s]), [k]);
    const feeds: Record<string, ort.Tensor> = {
      ...this.feeds(x, labels, n, shape, extra),
      input: new ort.Tensor('float32', x.subarray(0, k * n * per), [k, n, ...shape]),
      labels: new ort.Tensor('int64', labels.subarray(0, k * n), [k, n]),
    };
    const loss = new ort.Tensor('float32', new Float32Array(k), [k]);
    const correct = new ort.Tensor('float32', new Float32Array(k), [k]);
    await this.runner!.run(feeds, this.fetches({ loss, correct }));
    this.swap();
    const l = loss.data as Float32Array;
    const c = correct.data as Float32Array;
    return Array.from({ length: k }, (_, i) => ({ loss: l[i], correct: c[i] }));
  }

  private async runOne(x: Float32Array, labels: BigInt64Array, n: number, lr: number, masks: Record<string, ort.Tensor>): Promise<StepResult> {
    this.t += 1;
    const scal = scalarInputs(this.settings, lr, this.t);
    if (this.parallel) return this.parallel.run(this.values, x, labels, n, scal, masks);
    const extra: Record<string, ort.Tensor> = { ...masks };
    for (const s of this.graph.scalars) extra[s] = new ort.Tensor('float32', Float32Array.of(scal[s]), []);
    await this.runner!.run(this.feeds(x, labels, n, this.inputShape, extra), this.fetches({ loss: this.lossOut, correct: this.correctOut }));
    this.swap();
    return { loss: (this.lossOut.data as Float32Array)[0], correct: (this.correctOut.data as Float32Array)[0] };
  }

  /** Outputs for a run: `extra`, and a spare buffer for each carried value's new value. */
  private fetches(extra: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
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
  private swap(): void {
    for (const [k, o] of this.graph.next) {
      this.spare.set(k, this.values.get(k)!);
      this.values.set(k, this.pending[o].data as Float32Array);
    }
  }

  private pending: Record<string, ort.Tensor> = {};
  private spare = new Map<string, Float32Array>();
  private lossOut = new ort.Tensor('float32', new Float32Array(1), []);
  private correctOut = new ort.Tensor('float32', new Float32Array(1), []);

  /** Loss and (when built with gradients) every parameter's gradient, changing nothing. */
  async evaluate(x: Float32Array, labels: BigInt64Array, n: number, masks: Record<string, ort.Tensor> = {}): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    if (this.graph.scalars.length || !this.session) throw new Error('evaluate() needs a graph built with optimizer: none');
    const out = await this.session.run(this.feeds(x, labels, n, this.inputShape, masks));
    const grads = new Map<string, Float32Array>();
    for (const [p, o] of this.graph.gradOutputs) grads.set(p, out[o].data as Float32Array);
    return { loss: (out.loss.data as Float32Array)[0], grads };
  }

  async release(): Promise<void> {
    await this.runner?.release();
    await this.parallel?.release();
  }
}

/**
 * How many steps one looped session run takes: up to 16, while the stacked batches stay under
 * 4 MiB (the loop saves a fixed cost per run, which only matters for short steps); 1 means no loop.
 */
export function stepGroup(graph: TrainingGraph, batchSize: number): number {
  const env = process.env.NETWRIGHT_STEP_GROUP;
  if (env !== undefined) return Math.max(1, Math.floor(Number(env)) || 1);
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
