// Export: write the run's model with its metadata, reload the written file in ONNX Runtime, and
// check it reproduces the engine's own forward graph (fed the same values as inputs, as during
// validation) on validation images before calling it a success. A document with its weights
// (`netwright export net.json`, an imported model) goes the same way, checked on seeded random images.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { toInput, type Normalization } from '../data/batches.ts';
import { buildInferenceModel, lowerForward, type ModelMeta } from '../graph/compile.ts';
import { nodeParams, type NetworkDocument } from '../graph/document.ts';
import { inputNormalization, isPlain } from '../graph/layers/input.ts';
import { Rng } from '../graph/rng.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import type { ExportResult } from '../protocol.ts';
import { openSession, ort, UNSAFE_OPTIMIZERS } from '../train/ort.ts';
import { startValues } from '../train/weights.ts';
import type { Project } from './project.ts';
import { runModel, validationImages } from './run-model.ts';

export const EXPORT_TOLERANCE = 1e-4;
const COMPARE_IMAGES = 64;

export async function exportRun(project: Project, runId: string, which: 'best' | 'last'): Promise<ExportResult> {
  const m = runModel(project, runId, which);
  m.dataDir(); // the run's dataset folder is checked before anything is written
  const bytes = fs.readFileSync(m.file);
  fs.mkdirSync(project.exportsDir, { recursive: true });
  const dest = path.join(project.exportsDir, `${runId}${which === 'best' ? '' : '-last'}.onnx`);
  const { split } = await validationImages(m, COMPARE_IMAGES);
  return writeAndVerify(m.doc, bytes, dest, split.pixels, split.count);
}

/** The document's preprocessing as export metadata: the Input's mean/std, when it has any. */
export function documentMeta(doc: NetworkDocument, classNames: string[] = []): ModelMeta {
  const input = doc.nodes.find((n) => n.type === 'Input');
  const p = input ? nodeParams(input) : {};
  const extra: Record<string, string> = { 'netwright.document': JSON.stringify(doc) };
  if (input && !isPlain(p)) {
    const norm = inputNormalization(p);
    return { classNames, scaling: '(x/255 - mean) / std', extra: { ...extra, 'netwright.mean': JSON.stringify(norm.mean), 'netwright.std': JSON.stringify(norm.std) } };
  }
  return { classNames, extra };
}

/**
 * The inference model of a document with its weights file (random init where it has none), or
 * of a run's model file; written to `dest` and checked like a run's export on `count` seeded
 * random images.
 */
export async function exportDocument(doc: NetworkDocument, dest: string, opts: { docDir?: string; modelBytes?: Uint8Array; count?: number; seed?: number } = {}): Promise<ExportResult> {
  let bytes = opts.modelBytes;
  if (!bytes) {
    const f = lowerForward(doc, 'infer', 'inputs');
    const values = startValues(doc, f, doc.training.seed, opts.docDir);
    bytes = encodeModel(buildInferenceModel(doc, values, documentMeta(doc)));
  }
  const [c, h, w] = JSON.parse(decodeModel(bytes).metadata['netwright.input_shape']) as number[];
  const count = opts.count ?? 8;
  const rng = new Rng(opts.seed ?? 7);
  const pixels = new Uint8Array(count * c * h * w);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rng.next() * 256);
  fs.mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
  return writeAndVerify(doc, bytes, dest, pixels, count);
}

async function writeAndVerify(doc: NetworkDocument, bytes: Uint8Array, dest: string, pixels: Uint8Array, count: number): Promise<ExportResult> {
  const source = decodeModel(bytes);
  writeFileAtomic(dest, bytes);
  // The engine's reference: the forward graph with the values as inputs (what validation runs).
  const values = new Map(source.graph.initializers.filter((t) => t.data instanceof Float32Array).map((t) => [t.name, t.data as Float32Array]));
  const reference = buildInferenceModel(doc, 'inputs', { classNames: JSON.parse(source.metadata['netwright.class_names'] ?? '[]') });
  const feedsFor = new Map(reference.graph.inputs.filter((i) => i.name !== 'input').map((i) => [i.name, i.shape as number[]]));
  const outName = source.graph.outputs.some((o) => o.name === 'probs') ? 'probs' : 'output';

  const [c, h, w] = JSON.parse(source.metadata['netwright.input_shape']) as number[];
  const x = new Float32Array(count * c * h * w);
  const norm: Normalization | undefined = source.metadata['netwright.mean'] ? { mean: JSON.parse(source.metadata['netwright.mean']), std: JSON.parse(source.metadata['netwright.std']) } : undefined;
  if (norm) toInput(pixels, x, h * w, norm);
  else for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  const input = new ort.Tensor('float32', x, [count, c, h, w]);

  const exported = await ort.InferenceSession.create(dest, { extra: UNSAFE_OPTIMIZERS } as ort.InferenceSession.SessionOptions);
  const engine = (await openSession(encodeModel(reference), 'cpu', 1)).session;
  let a: Float32Array;
  let b: Float32Array;
  try {
    a = (await exported.run({ input }))[outName].data as Float32Array;
    const feeds: Record<string, ort.Tensor> = { input };
    for (const [name, shape] of feedsFor) feeds[name] = new ort.Tensor('float32', values.get(name)!, shape);
    b = (await engine.run(feeds))[outName].data as Float32Array;
  } finally {
    await exported.release();
    await engine.release();
  }
  const k = a.length / Math.max(1, count);
  let maxAbsDiff = 0;
  let sameArgmax = 0;
  for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
  if (!Number.isFinite(maxAbsDiff) || a.some((v) => Number.isNaN(v))) maxAbsDiff = Infinity;
  for (let i = 0; i < count; i++) if (argmaxAt(a, i * k, k) === argmaxAt(b, i * k, k)) sameArgmax++;
  const metadata = decodeModel(fs.readFileSync(dest)).metadata;
  delete metadata['netwright.document'];
  return {
    path: dest,
    bytes: bytes.length,
    metadata,
    compared: count,
    maxAbsDiff,
    sameArgmax,
    tolerance: EXPORT_TOLERANCE,
    ok: count > 0 && maxAbsDiff <= EXPORT_TOLERANCE && sameArgmax === count,
  };
}

function argmaxAt(v: Float32Array, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}
