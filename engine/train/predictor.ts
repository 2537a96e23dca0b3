// Opens an exported model.onnx for predict and eval: reads its metadata (class names, input
// shape, scaling) with our own reader first, so a bad file gets a clear error, then ORT.
import fs from 'node:fs';
import type { Normalization } from '../data/batches.ts';
import { decodeModel, OnnxReadError } from '../onnx/model.ts';
import { openRunner, type Device } from './ort.ts';
import { Scorer } from './scorer.ts';

export interface LoadedModel {
  scorer: Scorer;
  classNames: string[];
  /** [C, H, W] */
  inputShape: number[];
  output: 'softmax' | 'scores';
  release(): Promise<void>;
}

export async function openModel(file: string, device: Device = 'cpu'): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let m;
  try {
    m = decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxReadError) throw new Error(`${file} is not a usable ONNX model: ${e.message}`);
    throw e;
  }
  const input = m.graph.inputs.find((i) => !m.graph.initializers.some((t) => t.name === i.name));
  if (!input || input.shape.length !== 4) throw new Error(`${file}: expected one image input [N, C, H, W]`);
  const inputShape = input.shape.slice(1).map((d) => (typeof d === 'number' ? d : NaN));
  if (inputShape.some((d) => !Number.isFinite(d))) throw new Error(`${file}: the input's channel, height and width must be fixed sizes`);
  if (!m.graph.outputs.some((o) => o.name === 'probs')) throw new Error(`${file}: no 'probs' output; was it exported by Netwright?`);
  let classNames: string[] = [];
  try {
    classNames = JSON.parse(m.metadata['netwright.class_names'] ?? '[]');
  } catch {
    throw new Error(`${file}: metadata netwright.class_names is not valid JSON`);
  }
  const probs = m.graph.outputs.find((o) => o.name === 'probs')!;
  const k = typeof probs.shape[1] === 'number' ? probs.shape[1] : classNames.length;
  if (!classNames.length) classNames = Array.from({ length: k }, (_, i) => String(i));
  let normalization: Normalization | undefined;
  if (m.metadata['netwright.mean'] && m.metadata['netwright.std']) {
    try {
      normalization = { mean: JSON.parse(m.metadata['netwright.mean']), std: JSON.parse(m.metadata['netwright.std']) };
    } catch {
      throw new Error(`${file}: metadata netwright.mean / netwright.std is not valid JSON`);
    }
    if (normalization!.mean.length !== inputShape[0] || normalization!.std.length !== inputShape[0]) throw new Error(`${file}: netwright.mean and netwright.std need one value per input channel`);
  }
  const { runner } = await openRunner(bytes, device);
  return {
    scorer: new Scorer(runner, inputShape, k, undefined, normalization),
    classNames,
    inputShape,
    output: m.metadata['netwright.output'] === 'scores' ? 'scores' : 'softmax',
    release: () => runner.release(),
  };
}
