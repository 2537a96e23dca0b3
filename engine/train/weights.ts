// Starting values of a network: random init from the seed, replaced by the document's weights
// file (an imported model's parameters and BatchNorm statistics) wherever it has a value.
import fs from 'node:fs';
import path from 'node:path';
import { initialValues, type Forward } from '../graph/compile.ts';
import type { NetworkDocument } from '../graph/document.ts';
import { said } from '../graph/error-codes.ts';
import { decodeSafetensors, encodeSafetensors, WeightsFileError, type NamedTensor } from '../onnx/safetensors.ts';

export { WeightsFileError };

/** The weights file's path: `doc.weights` against the document's folder (absolute paths stay). */
export function weightsPath(doc: NetworkDocument, docDir?: string): string | undefined {
  if (!doc.weights) return undefined;
  return path.resolve(docDir ?? '.', doc.weights);
}

export function readWeightsFile(file: string): Map<string, NamedTensor> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new WeightsFileError(`cannot read the weights file ${file}: ${error}`, said('weights-unreadable', { file, error }));
  }
  return decodeSafetensors(bytes, file).tensors;
}

export function writeWeightsFile(file: string, values: Map<string, { shape: number[]; data: Float32Array }>, metadata: Record<string, string> = {}): void {
  fs.writeFileSync(file, encodeSafetensors(values, { format: 'netwright-weights', ...metadata }));
}

/** Every weight and state of the network whose shape in the file differs from the document's. */
export function weightMismatches(f: Pick<Forward, 'weights' | 'states'>, tensors: Map<string, NamedTensor>): string[] {
  const out: string[] = [];
  for (const w of [...f.weights, ...f.states]) {
    const t = tensors.get(w.name);
    if (t && t.shape.join() !== w.shape.join()) out.push(`${w.name} has shape [${t.shape}] in the weights file but the document needs [${w.shape}]`);
  }
  return out;
}

/**
 * Random init from the seed, then every value the document's weights file holds. A value whose
 * shape does not match the document is an error (the layer changed since the import); a weight
 * the file lacks (a layer drawn after the import) keeps its random init.
 */
export function startValues(doc: NetworkDocument, f: Pick<Forward, 'weights' | 'states'>, seed: number, docDir?: string): Map<string, Float32Array> {
  const values = initialValues(f, seed);
  const file = weightsPath(doc, docDir);
  if (!file) return values;
  const tensors = readWeightsFile(file);
  const bad = weightMismatches(f, tensors);
  if (bad.length) throw new WeightsFileError(`the weights file ${file} does not fit the network:\n${bad.map((b) => `  - ${b}`).join('\n')}\n(change the layer back, or give it a new id so it starts from random values)`);
  for (const name of values.keys()) {
    const t = tensors.get(name);
    if (t) values.set(name, t.data);
  }
  return values;
}
