// The Learn panel's numbers, on the user's own network and images: what one layer does to a real
// image (its real input and output, from ONNX Runtime running the network up to it), the
// gradient of one weight by nudging it, and the loss of each mini-batch for a few batch sizes.
// Each runs as a job (jobs.ts); the arithmetic the views redraw is in engine/graph/learn-math.ts (pure: the renderer imports it too).
import fs from 'node:fs';
import path from 'node:path';
import { scanImageFolder, loadSplit, type Sample } from '../data/image-folder.ts';
import { toInput, unitScale, type Normalization } from '../data/batches.ts';
import { gradientCheck } from '../train/gradcheck.ts';
import { lowerForward } from '../graph/compile.ts';
import { dataSettings, type NetworkDocument } from '../graph/document.ts';
import { resolved } from '../graph/infer.ts';
import { inputNormalization, isPlain } from '../graph/layers/input.ts';
import { slide } from '../graph/layers/spatial.ts';
import { Rng } from '../graph/rng.ts';
import { BATCH } from '../onnx/builder.ts';
import { decodeModel, encodeModel, OPSET } from '../onnx/model.ts';
import { said, textOf } from '../graph/error-codes.ts';
import { EngineError, type LearnBatchesResult, type LearnLayerResult, type LearnNudgeResult, type LearnWeightsSource } from '../protocol.ts';
import { openSession, ort } from '../train/ort.ts';
import { documentOrThrow, imageSpec } from '../train/prepare.ts';
import { openStepRunner } from '../train/step.ts';
import { startValues } from '../train/weights.ts';
import { histogram } from '../graph/learn-math.ts';
import { pngDataUrl } from './predict.ts';
import type { Project } from './project.ts';
import { runModel } from './run-model.ts';

/** Images in the batch the layer views and the nudge use. */
export const LEARN_BATCH = 16;

export interface LearnContext {
  doc: NetworkDocument;
  values: Map<string, Float32Array>;
  weights: LearnWeightsSource;
  norm: Normalization;
  /** The batch, network input (normalized), [n, C, H, W]. */
  x: Float32Array;
  pixels: Uint8Array;
  labels: BigInt64Array;
  n: number;
  paths: string[];
  classNames: string[];
  dataDir: string;
}

export interface LearnOptions {
  /** The document's file (its weights file is named relative to it). */
  docPath?: string | null;
  /** A run of this document whose last model gives the trained values (where names and shapes still match). */
  runId?: string | null;
  /** Images in the batch. */
  batch?: number;
}

function docOrThrow(raw: unknown): NetworkDocument {
  try {
    return documentOrThrow(raw);
  } catch (e) {
    throw new EngineError('bad-request', (e as Error).message, textOf(e));
  }
}

/**
 * The values the views use: the run's last model where it has a value of the right shape, else
 * the document's weights file, else the seeded initial values (and which of these it was).
 */
export function learnValues(project: Project, doc: NetworkDocument, opts: LearnOptions): { values: Map<string, Float32Array>; weights: LearnWeightsSource; norm: Normalization | null } {
  const f = lowerForward(doc, 'train');
  const wdoc = doc.weights && !path.isAbsolute(doc.weights) ? { ...doc, weights: path.resolve(project.root, opts.docPath ? path.dirname(opts.docPath) : '.', doc.weights) } : doc;
  const values = startValues(wdoc, f, doc.training.seed);
  let weights: LearnWeightsSource = { source: doc.weights ? 'file' : 'init', runId: null, matched: 0, total: values.size };
  let norm: Normalization | null = null;
  if (opts.runId) {
    const m = runModel(project, opts.runId, 'last');
    const model = decodeModel(fs.readFileSync(m.file));
    let matched = 0;
    for (const t of model.graph.initializers) {
      const cur = values.get(t.name);
      if (cur && t.data instanceof Float32Array && t.data.length === cur.length) (values.set(t.name, Float32Array.from(t.data)), matched++);
    }
    if (matched) {
      weights = { source: 'run', runId: opts.runId, matched, total: values.size };
      if (model.metadata['netwright.mean']) norm = { mean: JSON.parse(model.metadata['netwright.mean']), std: JSON.parse(model.metadata['netwright.std']) };
    }
  }
  return { values, weights, norm };
}

/** A batch of the dataset's training images, classes taken in turn (as the gradient check does), the same every time. */
export async function learnContext(project: Project, rawDoc: unknown, dataDirIn: string, opts: LearnOptions = {}): Promise<LearnContext> {
  const doc = docOrThrow(rawDoc);
  const spec = imageSpec(doc);
  const dataDir = project.dataDir(dataDirIn);
  const want = opts.batch ?? LEARN_BATCH;
  const scan = await scanImageFolder(dataDir, { valSplit: 0, seed: doc.training.seed });
  const byClass = scan.classNames.map((_, c) => scan.train.filter((s) => s.label === c).sort((a, b) => a.path.localeCompare(b.path)));
  const order: Sample[] = [];
  for (let i = 0; order.length < want && i < want; i++) for (const b of byClass) if (b[i] && order.length < want) order.push(b[i]);
  const split = await loadSplit(order, { ...spec, resize: dataSettings(doc.training).resize });
  if (!split.count) throw new EngineError('bad-request', `no usable images in ${dataDir}`, said('learn-no-images', { dir: dataDir }));
  const { values, weights, norm: runNorm } = learnValues(project, doc, opts);
  const input = doc.nodes.find((n) => n.type === 'Input')!;
  const ip = resolved(input).params;
  const norm =
    runNorm ??
    (dataSettings(doc.training).normalize === 'mean-std'
      ? pixelStats(split.pixels, split.count, spec.channels)
      : !isPlain(ip) ? inputNormalization(ip) : unitScale(spec.channels));
  const plane = spec.height * spec.width;
  const x = new Float32Array(split.pixels.length);
  toInput(split.pixels, x, plane, norm);
  const labels = BigInt64Array.from(split.labels, (l) => BigInt(l));
  const paths = split.paths.map((p) => path.relative(dataDir, p));
  return { doc, values, weights, norm, x, pixels: split.pixels, labels, n: split.count, paths, classNames: scan.classNames, dataDir };
}

/**
 * Runs the inference graph on the batch and returns the values of the named nodes' outputs,
 * [n, ...shape] each (a node's input is its source's output; 'input' is the network input).
 */
export async function forwardTo(ctx: Pick<LearnContext, 'doc' | 'values' | 'x' | 'n'>, nodeIds: string[]): Promise<Map<string, Float32Array>> {
  const f = lowerForward(ctx.doc, 'infer', ctx.values);
  const { g } = f;
  const out = new Map<string, Float32Array>();
  const names = new Map<string, string>();
  for (const id of new Set(nodeIds)) {
    const t = f.tensors.get(id);
    if (!t) throw new EngineError('bad-request', `layer ${id} is not part of the network's computation`, said('layer-not-computed', { nodeId: id }));
    const shape = f.analysis.shapes.get(id)!;
    const name = `learn_${names.size}`;
    g.output(g.op('Identity', [t], {}, [BATCH, ...shape], name));
    names.set(id, name);
  }
  const model = { graph: g.graph('learn'), opset: OPSET, metadata: {} };
  const shape = f.analysis.shapes.get(f.analysis.inputId!)!;
  const { session } = await openSession(encodeModel(model), 'cpu', 1);
  try {
    const r = await session.run({ input: new ort.Tensor('float32', ctx.x.subarray(0, ctx.n * shape.reduce((a, b) => a * b, 1)), [ctx.n, ...shape]) }, [...names.values()]);
    for (const [id, name] of names) out.set(id, Float32Array.from(r[name].data as Float32Array));
  } finally {
    await session.release();
  }
  return out;
}

/** Per-channel mean and std of pixel/255 over the loaded images (mean-std normalization without a run to take it from). */
function pixelStats(pixels: Uint8Array, count: number, channels: number): Normalization {
  const plane = pixels.length / count / channels;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let s = 0;
    let q = 0;
    for (let i = 0; i < count; i++) for (let k = 0; k < plane; k++) {
      const v = pixels[(i * channels + c) * plane + k] / 255;
      s += v;
      q += v * v;
    }
    const m = s / (count * plane);
    mean.push(m);
    std.push(Math.sqrt(Math.max(q / (count * plane) - m * m, 1e-12)));
  }
  return { mean, std };
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / (a.length || 1);
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const round = (v: number) => Math.fround(v);
/** Root mean square: the size of a tensor's values. */
const rms = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((x, y) => x + y * y, 0) / (a.length || 1));

/** A window that does not fit its input (the document's checks refuse such a network first): the layer and why. */
function cannotSlide(nodeId: string, hw: unknown, ww: unknown): EngineError {
  const detail = typeof hw === 'string' ? hw : String(ww);
  return new EngineError('bad-request', `${nodeId}: ${detail}`, said('layer-slide', { nodeId, detail }));
}

/** Everything the Learn panel draws for one layer, on the batch's first image (`sample` picks another). */
export async function learnLayer(
  project: Project,
  rawDoc: unknown,
  dataDir: string,
  nodeId: string,
  opts: LearnOptions & { sample?: number; filter?: number; unit?: number; channel?: number } = {},
): Promise<LearnLayerResult> {
  const ctx = await learnContext(project, rawDoc, dataDir, opts);
  const { doc } = ctx;
  const node = doc.nodes.find((n) => n.id === nodeId);
  if (!node) throw new EngineError('not-found', `no layer ${nodeId} in the document`, said('no-layer', { nodeId }));
  const f = lowerForward(doc, 'infer', ctx.values);
  const a = f.analysis;
  const src = a.inputsOf.get(nodeId)?.[0] ?? null;
  const inShape = src ? a.shapes.get(src)! : a.shapes.get(nodeId)!;
  const outShape = a.shapes.get(nodeId)!;
  const { params } = resolved(node);
  const s = Math.min(Math.max(0, opts.sample ?? 0), ctx.n - 1);
  // Add and Concat read every input port (in port order); the other layers have one.
  const srcs = (a.inputsOf.get(nodeId) ?? []).filter((x): x is string => !!x);
  const ids = src ? [...srcs, nodeId] : [nodeId];
  const got = await forwardTo(ctx, ids);
  const inAll = src ? got.get(src)! : got.get(nodeId)!;
  const outAll = got.get(nodeId)!;
  const inPer = prod(inShape);
  const outPer = prod(outShape);
  const xin = inAll.subarray(s * inPer, (s + 1) * inPer);
  const xout = outAll.subarray(s * outPer, (s + 1) * outPer);
  const spec = imageSpec(doc);
  const plane = spec.channels * spec.height * spec.width;
  const label = Number(ctx.labels[s]);
  const weightsOf = f.weights.filter((w) => w.nodeId === nodeId).map((w) => ({ name: w.name, shape: w.shape }));
  const base = {
    nodeId,
    type: node.type,
    label: node.label ?? node.id,
    weights: ctx.weights,
    image: { path: ctx.paths[s], label, className: ctx.classNames[label] ?? String(label), url: await pngDataUrl(ctx.pixels.subarray(s * plane, (s + 1) * plane), spec.channels, spec.width, spec.height) },
    batch: ctx.n,
    inShape,
    outShape,
    params: weightsOf,
  };
  const v = (name: string) => ctx.values.get(`${nodeId}.${name}`);

  if (node.type === 'Conv2D') {
    const F = outShape[0];
    const fi = Math.min(Math.max(0, opts.filter ?? 0), F - 1);
    const groups = Number(params.groups ?? 1);
    const W = v('W')!;
    const [, cg, kh, kw] = f.weights.find((w) => w.name === `${nodeId}.W`)!.shape;
    const c0 = Math.floor(fi / (F / groups)) * cg;
    const [, H, Wd] = inShape;
    const stride = Number(params.stride);
    const dilation = Number(params.dilation);
    const hw = slide(H, kh, stride, dilation, String(params.padding), Number(params.pad ?? 0));
    const ww = slide(Wd, kw, stride, dilation, String(params.padding), Number(params.pad ?? 0));
    if (typeof hw === 'string' || typeof ww === 'string') throw cannotSlide(nodeId, hw, ww);
    const [, Ho, Wo] = outShape;
    return {
      ...base,
      view: {
        kind: 'conv',
        filter: fi,
        filters: F,
        inChannel: c0,
        input: Array.from(xin.subarray(c0 * H * Wd, (c0 + cg) * H * Wd)),
        geometry: { inShape: [cg, H, Wd], kh, kw, stride, dilation, padTop: hw.padBegin, padLeft: ww.padBegin, bias: v('B')?.[fi] ?? 0 },
        kernel: Array.from(W.subarray(fi * cg * kh * kw, (fi + 1) * cg * kh * kw)),
        output: Array.from(xout.subarray(fi * Ho * Wo, (fi + 1) * Ho * Wo)),
        outSize: [Ho, Wo],
      },
    };
  }
  if (node.type === 'Dense') {
    const units = outShape[0];
    const u = Math.min(Math.max(0, opts.unit ?? 0), units - 1);
    const n = inShape.length ? prod(inShape) : 1;
    const W = v('W')!;
    return {
      ...base,
      view: { kind: 'dense', unit: u, units, inputs: Array.from(xin), weights: Array.from(W.subarray(u * n, (u + 1) * n)), bias: v('B') ? v('B')![u] : null, output: xout[u] },
    };
  }
  if (['ReLU', 'LeakyReLU', 'ELU', 'Sigmoid', 'Tanh', 'GELU', 'Clip', 'PReLU', 'Softmax'].includes(node.type)) {
    // The whole batch: the distribution of this layer's input, and how much of it is below zero.
    let negative = 0;
    for (const x of inAll) if (x < 0) negative++;
    // "Dead" units: features (channels for images) never positive for any image of the batch.
    const units = inShape.length === 3 ? inShape[0] : inPer;
    const per = inShape.length === 3 ? inShape[1] * inShape[2] : 1;
    let dead = 0;
    for (let u = 0; u < units; u++) {
      let alive = false;
      for (let i = 0; i < ctx.n && !alive; i++) for (let k = 0; k < per && !alive; k++) if (inAll[i * inPer + u * per + k] > 0) alive = true;
      if (!alive) dead++;
    }
    let zeros = 0;
    for (const x of outAll) if (x === 0) zeros++;
    return {
      ...base,
      view: { kind: 'activation', fn: node.type, fnParams: node.type === 'PReLU' ? { alpha: mean(v('slope') ?? [0.25]) } : (params as Record<string, number | string | boolean>), hist: histogram(inAll, 48), outHist: histogram(outAll, 48), negative, count: inAll.length, units, deadUnits: dead, zeroOutputs: zeros },
    };
  }
  if (node.type === 'MaxPool2D' || node.type === 'AvgPool2D') {
    const size = Number(params.size);
    const stride = Number(params.stride ?? size) || size;
    const [C, H, Wd] = inShape;
    const [, Ho, Wo] = outShape;
    const c = Math.min(Math.max(0, opts.channel ?? 0), C - 1);
    const hw = slide(H, size, stride, 1, String(params.padding ?? 'valid'), Number(params.pad ?? 0), params.ceil === true);
    const ww = slide(Wd, size, stride, 1, String(params.padding ?? 'valid'), Number(params.pad ?? 0), params.ceil === true);
    if (typeof hw === 'string' || typeof ww === 'string') throw cannotSlide(nodeId, hw, ww);
    // A 2x2 block of outputs in the middle of the map, and the input patch under it.
    const oi = Math.max(0, Math.floor(Ho / 2) - 1);
    const oj = Math.max(0, Math.floor(Wo / 2) - 1);
    const rows = Math.min(2, Ho - oi);
    const cols = Math.min(2, Wo - oj);
    const y0 = oi * stride - hw.padBegin;
    const x0 = oj * stride - ww.padBegin;
    const ph = (rows - 1) * stride + size;
    const pw = (cols - 1) * stride + size;
    const patch: (number | null)[] = [];
    for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) {
      const yy = y0 + y;
      const xx = x0 + x;
      patch.push(yy >= 0 && yy < H && xx >= 0 && xx < Wd ? round(xin[(c * H + yy) * Wd + xx]) : null);
    }
    const out: number[] = [];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out.push(xout[(c * Ho + oi + i) * Wo + oj + j]);
    return { ...base, view: { kind: 'pool', op: node.type === 'MaxPool2D' ? 'max' : 'avg', size, stride, channel: c, patch, patchSize: [ph, pw], at: [oi, oj], out, outBlock: [rows, cols] } };
  }
  if (node.type === 'GlobalAvgPool') {
    const [C, H, Wd] = inShape;
    const c = Math.min(Math.max(0, opts.channel ?? 0), C - 1);
    return { ...base, view: { kind: 'gap', channel: c, plane: Array.from(xin.subarray(c * H * Wd, (c + 1) * H * Wd)), size: [H, Wd], out: xout[c] } };
  }
  if (node.type === 'Flatten') {
    // A few positions of the image-shaped input and where they land in the vector.
    const [C, H, Wd] = inShape.length === 3 ? inShape : [1, 1, inPer];
    const cells: { c: number; y: number; x: number; index: number; value: number; out: number }[] = [];
    for (let c = 0; c < Math.min(C, 2); c++) for (let y = 0; y < Math.min(H, 2); y++) for (let x = 0; x < Math.min(Wd, 3); x++) {
      const index = (c * H + y) * Wd + x;
      cells.push({ c, y, x, index, value: xin[index], out: xout[index] });
    }
    return { ...base, view: { kind: 'flatten', cells, length: outPer } };
  }
  if (node.type === 'Dropout') {
    const rate = Number(params.rate);
    const rng = new Rng(doc.training.seed + 7);
    const k = Math.min(inPer, 24);
    const keep = rate < 1 ? 1 / (1 - rate) : 0;
    const inputs = Array.from(xin.subarray(0, k));
    const mask = inputs.map(() => (rng.next() >= rate ? keep : 0));
    return { ...base, view: { kind: 'dropout', rate, inputs, mask, training: inputs.map((x, i) => x * mask[i]), inference: Array.from(xout.subarray(0, k)) } };
  }
  if (node.type === 'BatchNorm') {
    const C = inShape[0];
    const c = Math.min(Math.max(0, opts.channel ?? 0), C - 1);
    const per = inShape.length === 3 ? inShape[1] * inShape[2] : 1;
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < ctx.n; i++) for (let k = 0; k < per; k++) (before.push(inAll[i * inPer + c * per + k]), after.push(outAll[i * outPer + c * per + k]));
    const mean = before.reduce((a2, b) => a2 + b, 0) / before.length;
    const variance = before.reduce((a2, b) => a2 + (b - mean) ** 2, 0) / before.length;
    const eps = Number(params.epsilon ?? 1e-5);
    const gamma = v('gamma')?.[c] ?? 1;
    const beta = v('beta')?.[c] ?? 0;
    const batchNorm = before.map((x) => ((x - mean) / Math.sqrt(variance + eps)) * gamma + beta);
    const range: [number, number] = [Math.min(...before, ...after, ...batchNorm), Math.max(...before, ...after, ...batchNorm)];
    return {
      ...base,
      view: {
        kind: 'batchnorm', channel: c, batchMean: mean, batchVar: variance, runningMean: v('running_mean')?.[c] ?? 0, runningVar: v('running_var')?.[c] ?? 1, gamma, beta, eps,
        before: histogram(before, 40, range), inference: histogram(after, 40, range), training: histogram(batchNorm, 40, range),
      },
    };
  }
  if (node.type === 'Add' || node.type === 'Concat') {
    // Each input's real tensor for this image (the outputs of the layers wired into it, from ONNX Runtime).
    const per = (shape: number[]) => (shape.length === 3 ? shape[1] * shape[2] : 1);
    const size: [number, number] = outShape.length === 3 ? [outShape[1], outShape[2]] : [1, 1];
    const plane = per(outShape);
    const ins = srcs.map((id) => {
      const shape = a.shapes.get(id)!;
      const n = prod(shape);
      const all = got.get(id)!.subarray(s * n, (s + 1) * n);
      const nd = doc.nodes.find((x) => x.id === id)!;
      return { id, label: nd.label ?? nd.id, shape, all };
    });
    if (node.type === 'Add') {
      const C = outShape.length === 3 ? outShape[0] : 1;
      const c = Math.min(Math.max(0, opts.channel ?? 0), C - 1);
      const p = outShape.length === 3 ? plane : outPer;
      // The skip connection: an input whose layer also feeds (through other layers) another of the Add's inputs.
      const feeds = (from: string, to: string): boolean => {
        const seen = new Set<string>();
        const stack = [to];
        while (stack.length) {
          const id = stack.pop()!;
          if (id === from) return true;
          if (seen.has(id)) continue;
          seen.add(id);
          for (const x of a.inputsOf.get(id) ?? []) if (x) stack.push(x);
        }
        return false;
      };
      return {
        ...base,
        view: {
          kind: 'add', channel: c, channels: C, size: outShape.length === 3 ? size : [1, outPer],
          inputs: ins.map((x, i) => ({
            id: x.id, label: x.label, skip: ins.some((y, j) => j !== i && y.id !== x.id && feeds(x.id, y.id)),
            plane: Array.from(x.all.subarray(c * p, (c + 1) * p)), rms: rms(x.all),
          })),
          output: Array.from(xout.subarray(c * p, (c + 1) * p)), outRms: rms(xout),
        },
      };
    }
    // Concat: output channels [from, to) are input i's channels, in port order.
    const C = outShape[0];
    const c = Math.min(Math.max(0, opts.channel ?? 0), C - 1);
    let from = 0;
    const segments = ins.map((x) => ({ id: x.id, label: x.label, from, to: (from += x.shape[0]) }));
    const k = segments.findIndex((g) => c >= g.from && c < g.to);
    const ic = c - segments[k].from;
    const means: number[] = [];
    for (let o = 0; o < C; o++) means.push(mean(xout.subarray(o * plane, (o + 1) * plane)));
    return {
      ...base,
      view: { kind: 'concat', channel: c, size, segments, source: k, sourceChannel: ic, input: Array.from(ins[k].all.subarray(ic * plane, (ic + 1) * plane)), output: Array.from(xout.subarray(c * plane, (c + 1) * plane)), means },
    };
  }
  if (node.type === 'Pad') {
    const [C, H, Wd] = inShape;
    const [, Ho, Wo] = outShape;
    const c = Math.min(Math.max(0, opts.channel ?? 0), C - 1);
    return {
      ...base,
      view: {
        kind: 'pad', channel: c, channels: C, fromImage: src === a.inputId,
        geometry: { top: Number(params.top), bottom: Number(params.bottom), left: Number(params.left), right: Number(params.right), value: Number(params.value ?? 0) },
        input: Array.from(xin.subarray(c * H * Wd, (c + 1) * H * Wd)), inSize: [H, Wd],
        output: Array.from(xout.subarray(c * Ho * Wo, (c + 1) * Ho * Wo)), outSize: [Ho, Wo],
      },
    };
  }
  if (node.type === 'Output') {
    return { ...base, view: { kind: 'output', loss: params.loss === 'mse' ? 'mse' : 'cross_entropy', scores: Array.from(xin), label, classNames: ctx.classNames } };
  }
  return { ...base, view: { kind: 'none' } };
}

/**
 * Gradient by nudging: the loss on the batch with one weight moved by +ε and −ε, the central
 * difference, and autodiff's value for that weight (train/gradcheck.ts along that one axis).
 */
export async function learnNudge(
  project: Project,
  rawDoc: unknown,
  dataDir: string,
  param: string,
  index: number,
  opts: LearnOptions & { eps?: number } = {},
): Promise<LearnNudgeResult> {
  const ctx = await learnContext(project, rawDoc, dataDir, { ...opts, batch: opts.batch ?? 8 });
  const cur = ctx.values.get(param);
  if (!cur) throw new EngineError('not-found', `no parameter ${param} (the layer has no weights, or it is not part of the network)`, said('no-parameter', { param }));
  if (!Number.isInteger(index) || index < 0 || index >= cur.length) throw new EngineError('bad-request', `${param} has ${cur.length} values; index ${index} is outside`, said('index-outside', { param, count: cur.length, index }));
  const eps = opts.eps ?? 3e-3;
  const [row] = await gradientCheck(ctx.doc, { x: ctx.x, labels: ctx.labels, n: ctx.n, seed: ctx.doc.training.seed, eps, values: ctx.values, only: { param, index } });
  if (!row) throw new EngineError('bad-request', `${param} is not trained (a frozen layer or a running statistic): it has no gradient`, said('not-trained', { param }));
  return {
    param,
    index,
    value: cur[index],
    eps,
    batch: ctx.n,
    weights: ctx.weights,
    loss: row.loss!,
    lossPlus: row.lossPlus!,
    lossMinus: row.lossMinus!,
    numeric: row.numeric,
    analytic: row.analytic,
    relError: row.relError,
    ok: row.ok,
  };
}

/**
 * Mini-batch SGD: from the same start, `steps` optimizer steps (the document's optimizer and
 * learning rate) at each batch size, on the same shuffled training images; the loss of each
 * batch, and their mean. A short real training: nothing is saved.
 */
export async function learnBatches(project: Project, rawDoc: unknown, dataDirIn: string, opts: LearnOptions & { sizes?: number[]; steps?: number } = {}): Promise<LearnBatchesResult> {
  const doc = docOrThrow(rawDoc);
  const sizes = opts.sizes ?? [32, 64, 128];
  const steps = opts.steps ?? 6;
  const t0 = performance.now();
  const spec = imageSpec(doc);
  const dataDir = project.dataDir(dataDirIn);
  const scan = await scanImageFolder(dataDir, { valSplit: 0, seed: doc.training.seed });
  const rng = new Rng(doc.training.seed + 11);
  const all = [...scan.train];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const need = Math.min(all.length, Math.max(...sizes) * steps);
  const split = await loadSplit(all.slice(0, need), { ...spec, resize: dataSettings(doc.training).resize });
  if (!split.count) throw new EngineError('bad-request', `no usable images in ${dataDir}`, said('learn-no-images', { dir: dataDir }));
  const { values, weights, norm: runNorm } = learnValues(project, doc, opts);
  const ip = resolved(doc.nodes.find((n) => n.type === 'Input')!).params;
  const norm = runNorm ?? (dataSettings(doc.training).normalize === 'mean-std' ? pixelStats(split.pixels, split.count, spec.channels) : !isPlain(ip) ? inputNormalization(ip) : unitScale(spec.channels));
  const per = spec.channels * spec.height * spec.width;
  const x = new Float32Array(split.pixels.length);
  toInput(split.pixels, x, spec.height * spec.width, norm);
  const labels = BigInt64Array.from(split.labels, (l) => BigInt(l));
  const out: LearnBatchesResult['sizes'] = [];
  for (const b of sizes) {
    // A dataset smaller than steps × b images is reused from its start (the result says how many images there were).
    const bs = b;
    const xb = new Float32Array(bs * per);
    const lb = new BigInt64Array(bs);
    const step = await openStepRunner({ ...doc, weights: undefined, training: { ...doc.training, batchSize: bs } }, { threads: 1, seed: doc.training.seed, shards: 1, group: 1 });
    try {
      for (const [k, val] of values) if (step.values.has(k)) step.values.set(k, Float32Array.from(val));
      const mrng = new Rng(doc.training.seed + 3);
      const losses: number[] = [];
      for (let i = 0; i < steps; i++) {
        for (let k = 0; k < bs; k++) {
          const at = (i * bs + k) % split.count;
          xb.set(x.subarray(at * per, (at + 1) * per), k * per);
          lb[k] = labels[at];
        }
        const r = await step.run(xb, lb, bs, doc.training.lr, step.masks(bs, mrng));
        losses.push(r.loss);
      }
      out.push({ batchSize: bs, losses, mean: losses.reduce((a, c) => a + c, 0) / losses.length });
    } finally {
      await step.release();
    }
  }
  return { sizes: out, steps, images: split.count, optimizer: doc.training.optimizer, lr: doc.training.lr, weights, seconds: (performance.now() - t0) / 1000 };
}
