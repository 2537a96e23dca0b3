// Opens an exported model.onnx for predict and eval: reads its metadata (class names, input
// shape, scaling) with our own reader first, so a bad file gets a clear error, then ORT.
import fs from 'node:fs';
import path from 'node:path';
import type { Normalization } from '../data/batches.ts';
import type { ResizePolicy } from '../data/decode.ts';
import { loadSplit } from '../data/image-folder.ts';
import { CodedError, nested, said } from '../graph/error-codes.ts';
import { lossOfOutputTag, type LossName } from '../graph/losses.ts';
import { decodeModel, OnnxReadError } from '../onnx/model.ts';
import { openRunner, type Device } from './ort.ts';
import { Scorer } from './scorer.ts';

export interface LoadedModel {
  scorer: Scorer;
  classNames: string[];
  /** [C, H, W] */
  inputShape: number[];
  /** The loss it was trained with, from its `netwright.output` tag: what its `probs` hold. */
  loss: LossName;
  /** The resize policy of the document it was trained from (stretch when it does not say). */
  resize: ResizePolicy;
  release(): Promise<void>;
}

export async function openModel(file: string, device: Device = 'cpu'): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CodedError(`cannot read ${file}: ${error}`, said('model-unreadable', { file, error }));
  }
  let m;
  try {
    m = decodeModel(bytes);
  } catch (e) {
    if (e instanceof OnnxReadError) throw new CodedError(`${file} is not a usable ONNX model: ${e.message}`, said('model-not-onnx', { file, reason: nested(e) }));
    throw e;
  }
  const input = m.graph.inputs.find((i) => !m.graph.initializers.some((t) => t.name === i.name));
  if (!input || input.shape.length !== 4) throw new CodedError(`${file}: expected one image input [N, C, H, W]`, said('model-input', { file }));
  const inputShape = input.shape.slice(1).map((d) => (typeof d === 'number' ? d : NaN));
  if (inputShape.some((d) => !Number.isFinite(d))) throw new CodedError(`${file}: the input's channel, height and width must be fixed sizes`, said('model-input-size', { file }));
  if (!m.graph.outputs.some((o) => o.name === 'probs')) throw new CodedError(`${file}: no 'probs' output; was it exported by Netwright?`, said('model-no-probs', { file }));
  let classNames: string[] = [];
  try {
    classNames = JSON.parse(m.metadata['netwright.class_names'] ?? '[]');
  } catch {
    throw new CodedError(`${file}: metadata netwright.class_names is not valid JSON`, said('model-class-names', { file }));
  }
  const probs = m.graph.outputs.find((o) => o.name === 'probs')!;
  const k = typeof probs.shape[1] === 'number' ? probs.shape[1] : classNames.length;
  if (!classNames.length) classNames = Array.from({ length: k }, (_, i) => String(i));
  let normalization: Normalization | undefined;
  if (m.metadata['netwright.mean'] && m.metadata['netwright.std']) {
    try {
      normalization = { mean: JSON.parse(m.metadata['netwright.mean']), std: JSON.parse(m.metadata['netwright.std']) };
    } catch {
      throw new CodedError(`${file}: metadata netwright.mean / netwright.std is not valid JSON`, said('model-norm-json', { file }));
    }
    if (normalization!.mean.length !== inputShape[0] || normalization!.std.length !== inputShape[0]) throw new CodedError(`${file}: netwright.mean and netwright.std need one value per input channel`, said('model-norm-channels', { file }));
  }
  let resize: ResizePolicy = 'stretch';
  try {
    resize = JSON.parse(m.metadata['netwright.document'] ?? '{}')?.training?.data?.resize ?? 'stretch';
  } catch {
    // no readable document: the default policy
  }
  const { runner } = await openRunner(bytes, device);
  return {
    scorer: new Scorer(runner, inputShape, k, undefined, normalization),
    classNames,
    inputShape,
    loss: lossOfOutputTag(m.metadata['netwright.output']),
    resize,
    release: () => runner.release(),
  };
}

// ---- Batch prediction: folders walked recursively, one row per file ----

export interface PredictInput {
  path: string;
  /** The class folder the file sits in below a folder given, when that is one of the model's classes. */
  trueClass?: string;
}

export interface PredictRow extends PredictInput {
  top?: { class: string; probability: number }[];
  /** Why the file could not be classified. */
  error?: string;
}

const hidden = (name: string): boolean => name.startsWith('.') || ['thumbs.db', 'desktop.ini', '__macosx'].includes(name.toLowerCase());

/** Files named, and every file below the folders named (sorted, hidden and system files left out). */
export function collectImages(inputs: string[], classNames: string[]): PredictInput[] {
  const out: PredictInput[] = [];
  const classes = new Set(classNames);
  const walk = (dir: string, root: string, seen: Set<string>): void => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (e) {
      out.push({ path: dir, error: `cannot list folder (${(e as NodeJS.ErrnoException).code})` } as PredictRow);
      return;
    }
    for (const name of names) {
      if (hidden(name)) continue;
      const p = path.join(dir, name);
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(p);
      } catch {
        st = undefined;
      }
      if (st?.isDirectory()) walk(p, root, seen);
      else {
        const first = path.relative(root, p).split(path.sep)[0];
        const inClass = path.relative(root, p).includes(path.sep) && classes.has(first);
        out.push(inClass ? { path: p, trueClass: first } : { path: p });
      }
    }
  };
  for (const input of inputs) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(input);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) walk(input, input, new Set());
    else out.push({ path: input });
  }
  return out;
}

/**
 * Top-k classes of every file, decoded a chunk at a time (never the whole folder in memory) and
 * scored `batch` images per ONNX Runtime call. Files that cannot be decoded get their reason.
 */
export async function predictFiles(m: LoadedModel, files: PredictInput[], opts: { top: number; batch?: number; chunk?: number; onProgress?: (done: number) => void }): Promise<PredictRow[]> {
  const [c, h, w] = m.inputShape;
  const spec = { height: h, width: w, channels: c as 1 | 3, resize: m.resize };
  const k = m.classNames.length;
  const chunk = opts.chunk ?? 4096;
  const rows: PredictRow[] = files.map((f) => ({ ...f }));
  for (let s = 0; s < files.length; s += chunk) {
    const part = rows.slice(s, s + chunk);
    const todo = part.map((r, i) => ({ path: r.path, label: i })).filter((x) => !part[x.label].error);
    const split = await loadSplit(todo, spec);
    const reasons = new Map(split.skipped.map((x) => [x.path, x.reason]));
    const probs = split.count ? await m.scorer.probs(split.pixels, split.count, opts.batch ?? 256) : new Float32Array(0);
    for (let i = 0; i < split.count; i++) {
      const p = probs.subarray(i * k, (i + 1) * k);
      const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a]).slice(0, opts.top);
      part[split.labels[i]].top = order.map((j) => ({ class: m.classNames[j], probability: p[j] }));
    }
    for (const r of part) if (!r.top && !r.error) r.error = reasons.get(r.path) ?? 'could not decode';
    opts.onProgress?.(Math.min(files.length, s + chunk));
  }
  return rows;
}

const cell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** path,true_class,class_1,probability_1,…,class_k,probability_k,error */
export function predictionsCsv(rows: PredictRow[], top: number): string {
  const head = ['path', 'true_class', ...Array.from({ length: top }, (_, i) => [`class_${i + 1}`, `probability_${i + 1}`]).flat(), 'error'];
  const lines = rows.map((r) => {
    const t = Array.from({ length: top }, (_, i) => (r.top?.[i] ? [cell(r.top[i].class), r.top[i].probability.toFixed(6)] : ['', ''])).flat();
    return [cell(r.path), cell(r.trueClass ?? ''), ...t, cell(r.error ?? '')].join(',');
  });
  return [head.join(','), ...lines].join('\n') + '\n';
}
