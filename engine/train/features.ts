// Cached backbone features (fine-tuning): when everything below the trainable head is frozen
// and augmentation is off, each image's output of the frozen part is the same every epoch.
// It is computed once, the first time the image is drawn (so the first epoch pays for the
// backbone, the later ones only for the head), and kept in memory; training then runs the
// head-only step (openStepRunner with `from`, lowerForward's LowerOptions) on those features.
import { numel } from '../numel.ts';
import { isAugmenting, toInput, type Normalization } from '../data/batches.ts';
import type { CachedSplit } from '../data/cache.ts';
import { lowerForward, upstreamOf } from '../graph/compile.ts';
import { dataSettings, type NetworkDocument } from '../graph/document.ts';
import { frozenCut } from '../graph/finetune.ts';
import { inferShapes } from '../graph/infer.ts';
import { layerDef } from '../graph/registry.ts';
import { encodeModel, OPSET, type GraphIR, type ModelIR } from '../onnx/model.ts';
import { openRunner, ort, type Device, type StepSession } from './ort.ts';

/** Features of both splits above this many bytes are not cached (NETWRIGHT_FEATURE_CACHE_MB, default 2048). */
const limitBytes = () => Number(process.env.NETWRIGHT_FEATURE_CACHE_MB ?? 2048) * (1 << 20);

/**
 * The node whose output is cached, or null: augmentation off, a single frozen part below the
 * trainable one (engine/graph/finetune.ts, frozenCut) that holds frozen weights, features that
 * fit the memory limit. A part without weights (an MLP's Flatten) is not cached: its features
 * are the pixels again, as floats, four times their bytes, and reading them back costs more than
 * the step recomputing them (MLP epoch on Fashion-MNIST 490-520 → 430-440 ms, bench/README.md).
 * NETWRIGHT_FEATURE_CACHE=0 turns the cache off (for comparisons).
 */
export function featureCut(doc: NetworkDocument, images: number): string | null {
  if (process.env.NETWRIGHT_FEATURE_CACHE === '0') return null;
  if (isAugmenting(dataSettings(doc.training).augment)) return null;
  const a = inferShapes(doc);
  if (!a.ok) return null;
  const cut = frozenCut(doc, a);
  if (!cut) return null;
  const frozenWeights = [...upstreamOf(a, cut)].some((id) => {
    const n = doc.nodes.find((m) => m.id === id);
    return n?.frozen === true && !!layerDef(n.type)?.weights;
  });
  if (!frozenWeights) return null;
  const per = numel(a.shapes.get(cut)!);
  return per * 4 * images <= limitBytes() ? cut : null;
}

/** Keeps the nodes (and initializers, inputs) that the outputs need. */
function prune(g: GraphIR): GraphIR {
  const need = new Set(g.outputs.map((o) => o.name));
  const nodes = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((o) => need.has(o))) continue;
    nodes.push(n);
    for (const x of n.inputs) if (x) need.add(x);
  }
  nodes.reverse();
  return { ...g, nodes, initializers: g.initializers.filter((t) => need.has(t.name)), inputs: g.inputs.filter((i) => need.has(i.name)) };
}

/** Images in, the output of node `cut` out (as `features`), with the frozen values baked in. */
export function featureModel(doc: NetworkDocument, values: Map<string, Float32Array>, cut: string): ModelIR {
  const f = lowerForward(doc, 'infer', values);
  const t = f.tensors.get(cut)!;
  const out = f.g.rename(t, 'features');
  f.g.output(out);
  const graph = f.g.graph(`${doc.name} (features at ${cut})`);
  graph.outputs = graph.outputs.filter((o) => o.name === out);
  return { graph: prune(graph), opset: OPSET, metadata: { 'netwright.graph': 'features' } };
}

/** One split's features, filled in as images are first asked for. */
export class FeatureCache {
  readonly feats: Float32Array;
  private readonly have: Uint8Array;
  /** Images whose features were computed (each once). */
  computed = 0;
  private readonly pixels: Uint8Array;
  private readonly x: Float32Array;

  constructor(
    private readonly session: StepSession,
    readonly split: CachedSplit,
    private readonly imageShape: number[],
    readonly shape: number[],
    private readonly norm: Normalization,
    private readonly chunk = 32,
  ) {
    this.feats = new Float32Array(split.count * this.per);
    this.have = new Uint8Array(split.count);
    this.pixels = new Uint8Array(chunk * split.size);
    this.x = new Float32Array(chunk * split.size);
  }

  get per(): number {
    return numel(this.shape);
  }

  /** Computes the features of every image in `idx` not yet cached, a chunk at a time. */
  async ensure(idx: ArrayLike<number>): Promise<void> {
    const todo: number[] = [];
    for (let i = 0; i < idx.length; i++) if (!this.have[idx[i]]) todo.push(idx[i]);
    const size = this.split.size;
    const out = new Float32Array(this.chunk * this.per);
    for (let s = 0; s < todo.length; s += this.chunk) {
      const part = todo.slice(s, s + this.chunk);
      part.forEach((i, j) => this.split.read(i, this.pixels, j * size));
      const n = part.length;
      toInput(this.pixels.subarray(0, n * size), this.x, size / this.imageShape[0], this.norm);
      const features = new ort.Tensor('float32', out.subarray(0, n * this.per), [n, ...this.shape]);
      await this.session.run({ input: new ort.Tensor('float32', this.x.subarray(0, n * size), [n, ...this.imageShape]) }, { features });
      part.forEach((i, j) => {
        this.feats.set(out.subarray(j * this.per, (j + 1) * this.per), i * this.per);
        this.have[i] = 1;
      });
      this.computed += n;
    }
  }

  /** The features of images idx, one after the other, into `into`. */
  gather(idx: ArrayLike<number>, into: Float32Array): void {
    for (let i = 0; i < idx.length; i++) into.set(this.feats.subarray(idx[i] * this.per, (idx[i] + 1) * this.per), i * this.per);
  }
}

/**
 * The training batches from cached features, in the shape of the pixel Prefetcher (prefetch.ts)
 * that the epoch loop (loop.ts) uses: request(start, n, order) then take(). Two slots, taken in
 * turn and kept from group to group, as the Prefetcher's: a batch is valid until the batch after
 * the next is requested. They are not shared memory, so the loop feeds them without a copy.
 */
export class FeatureSource {
  private order: number[] = [];
  private readonly queue: { idx: number[]; slot: number }[] = [];
  private readonly slots: { x: Float32Array; y: BigInt64Array }[] = [0, 1].map(() => ({ x: new Float32Array(0), y: new BigInt64Array(0) }));
  private next = 0;

  constructor(private readonly cache: FeatureCache) {}

  request(start: number, n: number, order?: number[]): void {
    if (order) this.order = order.slice();
    this.queue.push({ idx: this.order.slice(start, start + n), slot: this.next });
    this.next ^= 1;
  }

  /** The oldest requested batch, its features computed where not yet cached, gathered into its slot. */
  async take(): Promise<{ x: Float32Array; y: BigInt64Array; n: number }> {
    const p = this.queue.shift();
    if (!p) throw new Error('features: take() without request()');
    const c = this.cache;
    const n = p.idx.length;
    await c.ensure(p.idx);
    const slot = this.slots[p.slot];
    if (slot.x.length < n * c.per) slot.x = new Float32Array(n * c.per);
    if (slot.y.length < n) slot.y = new BigInt64Array(n);
    c.gather(p.idx, slot.x);
    const labels = c.split.labels;
    for (let i = 0; i < n; i++) slot.y[i] = BigInt(labels[p.idx[i]]);
    return { x: slot.x.subarray(0, n * c.per), y: slot.y.subarray(0, n), n };
  }

  /** No augmentation, so no generator: the state a checkpoint records is empty. */
  async augmentState(): Promise<number[]> {
    return [];
  }

  async close(): Promise<void> {}
}

export interface Features {
  cut: string;
  shape: number[];
  train: FeatureCache;
  val: FeatureCache;
  source: FeatureSource;
  release(): Promise<void>;
}

/** Opens the backbone session (frozen values baked in) and the two splits' caches. */
export async function openFeatures(doc: NetworkDocument, values: Map<string, Float32Array>, cut: string, splits: { train: CachedSplit; val: CachedSplit }, imageShape: number[], norm: Normalization, device: Device, threads?: number): Promise<Features> {
  const { runner } = await openRunner(encodeModel(featureModel(doc, values, cut)), device, threads);
  const shape = inferShapes(doc).shapes.get(cut)!;
  const train = new FeatureCache(runner, splits.train, imageShape, shape, norm);
  const val = new FeatureCache(runner, splits.val, imageShape, shape, norm);
  return { cut, shape, train, val, source: new FeatureSource(train), release: () => runner.release() };
}

/** Probabilities of the head-only inference model (buildInferenceModel with `from`) over a split's cached features. */
export async function headProbs(session: StepSession, cache: FeatureCache, classes: number, feeds: Record<string, ort.Tensor>, batch = 256): Promise<Float32Array> {
  const n = cache.split.count;
  const all = Array.from({ length: n }, (_, i) => i);
  await cache.ensure(all);
  const out = new Float32Array(n * classes);
  for (let s = 0; s < n; s += batch) {
    const k = Math.min(batch, n - s);
    const probs = new ort.Tensor('float32', out.subarray(s * classes, (s + k) * classes), [k, classes]);
    await session.run({ ...feeds, input: new ort.Tensor('float32', cache.feats.subarray(s * cache.per, (s + k) * cache.per), [k, ...cache.shape]) }, { probs });
  }
  return out;
}
