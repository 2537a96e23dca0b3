// netwright export-pytorch: a network document, or a run folder (its document, class names,
// normalization and trained weights), as a small PyTorch package: model.py, train.py,
// weights.pt (from a run), network.json and a README with the commands.
import fs from 'node:fs';
import path from 'node:path';
import { dataSettings, documentSchema, parseDocument, type NetworkDocument } from '../../graph/document.ts';
import { resolved } from '../../graph/infer.ts';
import { scheduleSettings } from '../../train/schedule.ts';
import { decodeModel } from '../../onnx/model.ts';
import { said } from '../../graph/error-codes.ts';
import { ExportRefusal } from './layers.ts';
import { modelSource, type ModelSource } from './model-py.ts';
import { readmeSource } from './readme.ts';
import { torchSave, type TorchTensor } from './torch-file.ts';
import { trainSource } from './train-py.ts';

export { ExportRefusal } from './layers.ts';

/** Which of a run's models supplies the weights: best.onnx (else model.onnx), model.onnx, or init.onnx. */
export type WeightsChoice = 'best' | 'last' | 'init';

export interface PyTorchSource {
  doc: NetworkDocument;
  /** Parameter and state values by Netwright name (`<nodeId>.<weight>`), when a run supplies them. */
  values?: Map<string, Float32Array>;
  classNames?: string[];
  norm?: { mean: number[]; std: number[] };
  /** Where the weights came from, for the README. */
  from?: string;
}

export interface PyTorchExport {
  outDir: string;
  className: string;
  files: string[];
  weights: string | null;
}

/** A document file, or a run folder's model (its metadata carries the document it was trained from). */
export function loadSource(file: string, which: WeightsChoice = 'best'): PyTorchSource {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ExportRefusal(`${file} does not exist`, said('export-missing', { file }));
  }
  if (!stat.isDirectory()) {
    if (file.endsWith('.onnx')) return fromModel(file);
    return { doc: documentFrom(fs.readFileSync(file, 'utf8'), file) };
  }
  const names = which === 'init' ? ['init.onnx'] : which === 'last' ? ['model.onnx'] : ['best.onnx', 'model.onnx'];
  const model = names.map((n) => path.join(file, n)).find((p) => fs.existsSync(p));
  if (!model) throw new ExportRefusal(`${file} has no ${names.join(' or ')}: is it a Netwright run folder?`, said('export-no-model', { file, which }));
  return fromModel(model);
}

function fromModel(file: string): PyTorchSource {
  const m = decodeModel(fs.readFileSync(file));
  const docText = m.metadata['netwright.document'];
  if (!docText) throw new ExportRefusal(`${file} does not carry its network document (netwright.document): export the document instead`, said('export-no-document', { file }));
  const doc = documentFrom(docText, file);
  const values = new Map(m.graph.initializers.filter((t) => t.data instanceof Float32Array && t.name.includes('.')).map((t) => [t.name, t.data as Float32Array]));
  const classNames = JSON.parse(m.metadata['netwright.class_names'] ?? '[]') as string[];
  const norm = m.metadata['netwright.mean'] ? { mean: JSON.parse(m.metadata['netwright.mean']) as number[], std: JSON.parse(m.metadata['netwright.std']) as number[] } : undefined;
  return { doc, values, classNames: classNames.length ? classNames : undefined, norm, from: file };
}

function documentFrom(text: string, where: string): NetworkDocument {
  const r = parseDocument(text);
  if (!r.ok) {
    const problems = r.problems.map((p) => `  - ${p.message}`).join('\n');
    throw new ExportRefusal(`${where} cannot be loaded:\n${problems}`, said('export-doc-load', { file: where, problems }));
  }
  return r.doc;
}

/** The state dict of model.py: each Netwright weight under its PyTorch name, plus the buffers only PyTorch keeps. */
export function stateDict(src: ModelSource, values: Map<string, Float32Array>): Map<string, TorchTensor> {
  const out = new Map<string, TorchTensor>();
  for (const node of src.nodes) {
    const { row } = node;
    if (!row.weights) continue;
    const dn = src.analysis.order.find((n) => n.id === node.nodeId)!;
    const { def, params } = resolved(dn);
    const ins = src.analysis.inputsOf.get(node.nodeId)!.map((s) => src.analysis.shapes.get(s!)!);
    const shape = src.analysis.shapes.get(node.nodeId)!;
    const specs = [...(def.weights?.(params, ins, shape) ?? []), ...(def.states?.(params, ins, shape) ?? [])];
    for (const spec of specs) {
      const torchName = row.weights[spec.name];
      if (!torchName) throw new ExportRefusal(`[${node.nodeId}] ${node.type}: weight ${spec.name} has no PyTorch name in engine/export/pytorch/layers.ts`, said('export-torch-name', { node: node.nodeId, type: node.type, weight: spec.name }));
      const v = values.get(`${node.nodeId}.${spec.name}`);
      if (!v) throw new ExportRefusal(`the run's model has no value for ${node.nodeId}.${spec.name}`, said('export-no-value', { node: node.nodeId, weight: spec.name }));
      out.set(`${node.name}.${torchName}`, { dtype: 'float32', shape: spec.shape, data: v });
    }
    for (const b of row.extraBuffers ?? []) out.set(`${node.name}.${b}`, { dtype: 'int64', shape: [], data: BigInt64Array.from([0n]) });
  }
  return out;
}

export function exportPyTorch(src: PyTorchSource, outDir: string): PyTorchExport {
  const model = modelSource(src.doc);
  const training = documentSchema.parse(src.doc).training;
  const settings = { ...training, schedule: scheduleSettings(training), data: dataSettings(training) } as Record<string, unknown>;
  delete settings.divergence;
  delete (settings.data as Record<string, unknown>).cacheDir;
  const weights = src.values ? torchSave(stateDict(model, src.values)) : null;
  const files: [string, string | Uint8Array][] = [
    ['model.py', model.text],
    ['train.py', trainSource({ name: src.doc.name, className: model.className, training: settings, loss: model.loss, classNames: src.classNames ?? null, mean: src.norm?.mean ?? null, std: src.norm?.std ?? null })],
    ['network.json', JSON.stringify(src.doc, null, 2) + '\n'],
    ...(weights ? [['weights.pt', weights] as [string, Uint8Array]] : []),
    ['README.md', readmeSource({ doc: src.doc, model, weightsFrom: weights ? src.from ?? 'the run' : null })],
  ];
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, content] of files) fs.writeFileSync(path.join(outDir, name), content);
  return { outDir, className: model.className, files: files.map(([n]) => path.join(outDir, n)), weights: weights ? path.join(outDir, 'weights.pt') : null };
}
