// The training step as a live object: owns the session and the current values of every
// parameter, optimizer slot and state, and feeds them back in after each step.
import { buildTrainingGraph, type TrainingGraph } from '../autodiff/training-graph.ts';
import { scalarInputs } from '../autodiff/optimizers.ts';
import { initialValues } from '../graph/compile.ts';
import type { NetworkDocument, TrainingSettings } from '../graph/document.ts';
import { Rng } from '../graph/rng.ts';
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
  ) {}

  static async create(
    doc: NetworkDocument,
    opts: { device?: Device; threads?: number; seed?: number; gradients?: boolean; optimizer?: TrainingSettings | 'none'; shards?: 1 | 2; blocked?: boolean } = {},
  ): Promise<TrainingStep> {
    const wanted = opts.device ?? 'cpu';
    // Blocked convolutions are CPU kernels: on a GPU they would run on the CPU.
    const nchwc = wanted === 'cpu' && opts.blocked !== false ? await nchwcBlockSize() : 0;
    const graph = buildTrainingGraph(doc, { gradients: opts.gradients, optimizer: opts.optimizer, nchwc });
    const threads = opts.threads ?? os.availableParallelism();
    const shards = opts.shards ?? autoShards(graph, wanted, threads);
    let step: TrainingStep;
    if (shards === 2) {
      if (opts.gradients || opts.optimizer === 'none' || graph.forward.states.length) throw new Error('a sharded step needs an optimizer and a network without running statistics');
      const settings = opts.optimizer ?? doc.training;
      const parallel = await ParallelStep.create(doc, settings, threads, doc.training.batchSize, nchwc);
      step = new TrainingStep(graph, undefined, undefined, doc.training, 'cpu', undefined, parallel);
    } else if (wanted === 'cpu' && graph.scalars.length) {
      // One session on several threads (dense-only nets): its threads spin between ops. Their
      // GEMMs are too short to gain from a second thread that has to be woken each time (MLP
      // step 0.74-0.88 → 0.62-0.68 ms, bench/README.md); the session lives only while training runs.
      const spin = threads > 1 && process.env.NETWRIGHT_SPIN !== '0';
      step = new TrainingStep(graph, await openStepSession(encodeModel(graph.model), threads, spin), undefined, doc.training, 'cpu');
    } else {
      const { session, device, fallback } = await openSession(encodeModel(graph.model), wanted, threads);
      step = new TrainingStep(graph, stepSession(session), session, doc.training, device, fallback);
    }
    step.values = initialValues(graph.forward, opts.seed ?? doc.training.seed);
    for (const s of graph.slots) step.values.set(s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
    return step;
  }

  /** Parameters and states only: what the inference model needs. */
  modelValues(): Map<string, Float32Array> {
    const f = this.graph.forward;
    return new Map([...f.weights, ...f.states].map((w) => [w.name, this.values.get(w.name)!]));
  }

  /** Dropout masks for a batch of n, drawn from `rng` (0 or 1/(1−p)). */
  masks(n: number, rng: Rng): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const m of this.graph.forward.masks) {
      const per = m.shape.reduce((a, b) => a * b, 1);
      const v = new Float32Array(n * per);
      const keep = 1 / (1 - m.rate);
      for (let i = 0; i < v.length; i++) v[i] = rng.next() >= m.rate ? keep : 0;
      out[m.name] = new ort.Tensor('float32', v, [n, ...m.shape]);
    }
    return out;
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
    this.t += 1;
    const scal = scalarInputs(this.settings, lr, this.t);
    if (this.parallel) return this.parallel.run(this.values, x, labels, n, scal, masks);
    const runner = this.runner!;
    const extra: Record<string, ort.Tensor> = { ...masks };
    for (const s of this.graph.scalars) extra[s] = new ort.Tensor('float32', Float32Array.of(scal[s]), []);
    const fetches: Record<string, ort.Tensor> = { loss: this.lossOut, correct: this.correctOut };
    for (const [k, o] of this.graph.next) {
      const cur = this.values.get(k)!;
      let spare = this.spare.get(k);
      if (!spare || spare.length !== cur.length) spare = new Float32Array(cur.length);
      fetches[o] = new ort.Tensor('float32', spare, this.shapeOf(k));
    }
    await runner.run(this.feeds(x, labels, n, this.inputShape, extra), fetches);
    for (const [k, o] of this.graph.next) {
      this.spare.set(k, this.values.get(k)!);
      this.values.set(k, fetches[o].data as Float32Array);
    }
    return { loss: (this.lossOut.data as Float32Array)[0], correct: (this.correctOut.data as Float32Array)[0] };
  }

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
 * Two shards when there are two cores or more to give them and the net reuses its weights
 * enough (FLOPs per sample ≥ 8 × parameters, i.e. convolutions): there the per-sample work
 * dominates and splits well. A dense-only net's step is mostly its optimizer and fixed
 * per-run costs, which shards would not split (bench/README.md). Running statistics
 * (BatchNorm) belong to the whole batch, so such nets never shard.
 */
export function autoShards(graph: TrainingGraph, device: Device, threads: number): 1 | 2 {
  if (device !== 'cpu' || threads < 2 || graph.forward.states.length || !graph.scalars.length) return 1;
  const { totals } = graph.forward.analysis;
  return totals.flops >= 8 * totals.params ? 2 : 1;
}
