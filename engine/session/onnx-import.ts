// Importing an ONNX file into the project: the document and its weights file beside it, both or
// neither (the import is checked completely before anything is written).
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import { inferShapes } from '../graph/infer.ts';
import { EngineError, type ImportedOnnx } from '../protocol.ts';
import { CodedError, nested, said } from '../graph/error-codes.ts';
import type { Project } from './project.ts';
import { importOnnx, type ImportOptions, type ImportResult } from '../graph/from-onnx.ts';
import { encodeSafetensors } from '../onnx/safetensors.ts';

export interface ImportedFiles {
  docPath: string;
  weightsPath: string;
  result: ImportResult;
}

/** `<net>.weights.safetensors` beside `<net>.json`. */
export const weightsFileFor = (docPath: string): string => docPath.replace(/\.json$/i, '') + '.weights.safetensors';

export function importOnnxFile(src: string, docPath: string, opts: ImportOptions & { overwrite?: boolean } = {}): ImportedFiles {
  const bytes = fs.readFileSync(src);
  const result = importOnnx(bytes, { ...opts, name: opts.name ?? path.basename(src).replace(/\.onnx$/i, '') });
  const weightsPath = weightsFileFor(docPath);
  if (!opts.overwrite) for (const f of [docPath, weightsPath]) if (fs.existsSync(f)) throw new CodedError(`${f} already exists (pass --force to replace it)`, said('onnx-exists', { file: f }));
  result.doc.weights = path.basename(weightsPath);
  fs.mkdirSync(path.dirname(path.resolve(docPath)), { recursive: true });
  writeFileAtomic(weightsPath, encodeSafetensors(result.weights, { format: 'netwright-weights', source: path.basename(src), opset: String(result.opset) }));
  try {
    writeFileAtomic(docPath, JSON.stringify(result.doc, null, 2) + '\n');
  } catch (e) {
    fs.rmSync(weightsPath, { force: true });
    throw e;
  }
  return { docPath, weightsPath, result };
}

/** The app's File > Import ONNX… (a job): paths already checked to be inside the project. */
export function importOnnxJob(_project: Project, src: string, out: string, opts: ImportOptions & { overwrite?: boolean }): Omit<ImportedOnnx, 'text'> {
  let r: ImportedFiles;
  try {
    r = importOnnxFile(src, out, opts);
  } catch (e) {
    throw new EngineError('bad-request', `cannot import ${path.basename(src)}: ${(e as Error).message}`, said('onnx-import', { file: path.basename(src), reason: nested(e) }));
  }
  return { path: r.docPath, weights: r.weightsPath, open: r.result.open, layers: r.result.counts.layers, params: inferShapes(r.result.doc).totals.params };
}
