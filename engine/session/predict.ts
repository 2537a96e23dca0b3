// Try it: one image through a run's model: top-k classes, the feature maps of every convolution
// (the model with each conv's output added as a graph output), and the first layer's filters.
import fs from 'node:fs';
import sharp from 'sharp';
import { toInput, type Normalization } from '../data/batches.ts';
import { decodeImage } from '../data/decode.ts';
import { dataSettings } from '../graph/document.ts';
import { inferShapes } from '../graph/infer.ts';
import { decodeModel, encodeModel } from '../onnx/model.ts';
import { nested, said } from '../graph/error-codes.ts';
import { EngineError, type PredictResult } from '../protocol.ts';
import { openSession, ort } from '../train/ort.ts';
import { imageSpec } from '../train/prepare.ts';
import type { Project } from './project.ts';
import { runModel } from './run-model.ts';

/** Feature-map planes sent per layer: enough to see what the layer picks up, bounded in size. */
const MAX_CHANNELS = 32;

export async function predictImage(
  project: Project,
  runId: string,
  which: 'best' | 'last',
  image: { path: string } | { data: string },
  top: number,
): Promise<PredictResult> {
  const m = runModel(project, runId, which);
  const spec = { ...imageSpec(m.doc), resize: dataSettings(m.doc.training).resize };
  const bytes = 'path' in image ? fs.readFileSync(project.dataFile(m.dataDir(), image.path)) : Buffer.from(image.data, 'base64');
  let pixels: Uint8Array;
  try {
    pixels = await decodeImage(bytes, spec);
  } catch (e) {
    throw new EngineError('bad-request', `cannot use this image: ${(e as Error).message}`, said('image-unusable', { reason: nested(e) }));
  }

  const model = decodeModel(fs.readFileSync(m.file));
  const classNames = JSON.parse(model.metadata['netwright.class_names'] ?? '[]') as string[];
  const analysis = inferShapes(m.doc);
  const convs = analysis.order.filter((n) => n.type === 'Conv2D' && analysis.shapes.get(n.id));
  const mapOutputs: { nodeId: string; label: string; tensor: string; shape: number[] }[] = [];
  for (const n of convs) {
    const last = model.graph.nodes.filter((g) => g.outputs.some((o) => o.startsWith(`${n.id}/`))).at(-1);
    if (!last) continue;
    const shape = analysis.shapes.get(n.id)!;
    mapOutputs.push({ nodeId: n.id, label: n.label ?? n.id, tensor: last.outputs[0], shape });
    if (!model.graph.outputs.some((o) => o.name === last.outputs[0])) model.graph.outputs.push({ name: last.outputs[0], dtype: 'float32', shape: ['N', ...shape] });
  }

  const norm: Normalization | undefined = model.metadata['netwright.mean']
    ? { mean: JSON.parse(model.metadata['netwright.mean']), std: JSON.parse(model.metadata['netwright.std']) }
    : undefined;
  const x = new Float32Array(pixels.length);
  if (norm) toInput(pixels, x, spec.height * spec.width, norm);
  else for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;

  const { session } = await openSession(encodeModel(model), 'cpu', 1);
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run({ input: new ort.Tensor('float32', x, [1, spec.channels, spec.height, spec.width]) });
  } finally {
    await session.release();
  }
  const probs = out.probs.data as Float32Array;
  const ranked = [...probs].map((p, label) => ({ label, name: classNames[label] ?? String(label), probability: p })).sort((a, b) => b.probability - a.probability);

  const featureMaps = mapOutputs.map((o) => ({ nodeId: o.nodeId, label: o.label, maps: planes(out[o.tensor].data as Float32Array, o.shape) }));
  const first = convs[0];
  const w = first && model.graph.initializers.find((t) => t.name === `${first.id}.W`);
  return {
    classNames,
    top: ranked.slice(0, top),
    input: await pngDataUrl(pixels, spec.channels, spec.width, spec.height),
    featureMaps,
    filters: w ? { nodeId: first.id, shape: w.dims, values: Array.from(w.data as Float32Array) } : null,
  };
}

/** Each channel scaled to 0..255 by its own range; the range is sent along. */
function planes(v: Float32Array, [c, h, w]: number[]): PredictResult['featureMaps'][number]['maps'] {
  const n = Math.min(c, MAX_CHANNELS);
  const plane = h * w;
  const bytes = new Uint8Array(n * plane);
  const ranges: [number, number][] = [];
  for (let ch = 0; ch < n; ch++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = ch * plane; i < (ch + 1) * plane; i++) (lo = Math.min(lo, v[i])), (hi = Math.max(hi, v[i]));
    const k = hi > lo ? 255 / (hi - lo) : 0;
    for (let i = ch * plane; i < (ch + 1) * plane; i++) bytes[i] = Math.round((v[i] - lo) * k);
    ranges.push([lo, hi]);
  }
  return { shape: [c, h, w], channels: n, data: Buffer.from(bytes).toString('base64'), ranges };
}

/** CHW uint8 pixels -> a PNG data URL. */
export async function pngDataUrl(chw: Uint8Array, channels: number, width: number, height: number): Promise<string> {
  const plane = width * height;
  const hwc = new Uint8Array(chw.length);
  for (let c = 0; c < channels; c++) for (let i = 0; i < plane; i++) hwc[i * channels + c] = chw[c * plane + i];
  const png = await sharp(hwc, { raw: { width, height, channels: channels as 1 | 3 } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
