// Export: write the run's model with its metadata, reload the written file in ONNX Runtime, and
// check it reproduces the engine's own forward graph (fed the same values as inputs, as during
// validation) on validation images before calling it a success.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { toInput } from '../data/batches.ts';
import { buildInferenceModel } from '../graph/compile.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import type { ExportResult } from '../protocol.ts';
import { openSession, ort } from '../train/ort.ts';
import type { Project } from './project.ts';
import { runModel, validationImages } from './run-model.ts';

export const EXPORT_TOLERANCE = 1e-4;
const COMPARE_IMAGES = 64;

export async function exportRun(project: Project, runId: string, which: 'best' | 'last'): Promise<ExportResult> {
  const m = runModel(project, runId, which);
  m.dataDir(); // the run's dataset folder is checked before anything is written
  const bytes = fs.readFileSync(m.file);
  const source = decodeModel(bytes);
  fs.mkdirSync(project.exportsDir, { recursive: true });
  const dest = path.join(project.exportsDir, `${runId}${which === 'best' ? '' : '-last'}.onnx`);
  writeFileAtomic(dest, bytes);

  // The engine's reference: the forward graph with the values as inputs (what validation runs).
  const values = new Map(source.graph.initializers.filter((t) => t.data instanceof Float32Array).map((t) => [t.name, t.data as Float32Array]));
  const reference = buildInferenceModel(m.doc, 'inputs', { classNames: JSON.parse(source.metadata['netwright.class_names'] ?? '[]') });
  const feedsFor = new Map(reference.graph.inputs.filter((i) => i.name !== 'input').map((i) => [i.name, i.shape as number[]]));

  const { split } = await validationImages(m, COMPARE_IMAGES);
  const [c, h, w] = JSON.parse(source.metadata['netwright.input_shape']) as number[];
  const x = new Float32Array(split.count * c * h * w);
  if (source.metadata['netwright.mean']) toInput(split.pixels, x, h * w, { mean: JSON.parse(source.metadata['netwright.mean']), std: JSON.parse(source.metadata['netwright.std']) });
  else for (let i = 0; i < x.length; i++) x[i] = split.pixels[i] / 255;
  const input = new ort.Tensor('float32', x, [split.count, c, h, w]);

  const exported = await ort.InferenceSession.create(dest);
  const engine = (await openSession(encodeModel(reference), 'cpu', 1)).session;
  let a: Float32Array;
  let b: Float32Array;
  try {
    a = (await exported.run({ input })).probs.data as Float32Array;
    const feeds: Record<string, ort.Tensor> = { input };
    for (const [name, shape] of feedsFor) feeds[name] = new ort.Tensor('float32', values.get(name)!, shape);
    b = (await engine.run(feeds)).probs.data as Float32Array;
  } finally {
    await exported.release();
    await engine.release();
  }
  const k = a.length / Math.max(1, split.count);
  let maxAbsDiff = 0;
  let sameArgmax = 0;
  for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
  for (let i = 0; i < split.count; i++) if (argmaxAt(a, i * k, k) === argmaxAt(b, i * k, k)) sameArgmax++;
  const metadata = decodeModel(fs.readFileSync(dest)).metadata;
  delete metadata['netwright.document'];
  return {
    path: dest,
    bytes: bytes.length,
    metadata,
    compared: split.count,
    maxAbsDiff,
    sameArgmax,
    tolerance: EXPORT_TOLERANCE,
    ok: split.count > 0 && maxAbsDiff <= EXPORT_TOLERANCE && sameArgmax === split.count,
  };
}

function argmaxAt(v: Float32Array, off: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (v[off + j] > v[off + best]) best = j;
  return best;
}
