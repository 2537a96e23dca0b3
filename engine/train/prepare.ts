// Preparation of a training run, before its first step: the checks a caller can make alone
// (document, memory, output folder), then prepareRun: the document (or a checkpoint to resume),
// the dataset, the step (step.ts), cached features, validation, and the run's starting state.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { channelStats, unitScale } from '../data/batches.ts';
import { loadDataset, type CachedSplit, type LoadedDataset } from '../data/cache.ts';
import { type ImageSpec } from '../data/decode.ts';
import { scanImageFolder } from '../data/scan.ts';
import { buildInferenceModel, type ModelMeta } from '../graph/compile.ts';
import { dataSettings, nodeParams, parseDocument, type NetworkDocument, type TrainingSettings } from '../graph/document.ts';
import { inputNormalization, isPlain } from '../graph/layers/input.ts';
import { inferShapes } from '../graph/infer.ts';
import { estimateMemory, fmtBytes, formatMemory, memoryRefusalText } from '../graph/memory.ts';
import { CodedError, problemList, said } from '../graph/error-codes.ts';
import { Rng } from '../graph/rng.ts';
import type { CodedMessage, EngineText } from '../protocol.ts';
import { encodeModel } from '../onnx/model.ts';
import { trainRequest, type TrainEvent, type TrainRequest } from './messages.ts';
import { DAMAGED, LATEST, loadCheckpoint, type RunState } from './checkpoint.ts';
import { featureCut, headProbs, openFeatures, type Features } from './features.ts';
import { openRunner, ort, type StepSession } from './ort.ts';
import { writeDatasetFiles } from './outputs.ts';
import { scheduleSettings } from './schedule.ts';
import { Scorer } from './scorer.ts';
import { openStepRunner, type StepRunner } from './step.ts';

/** A run that cannot start or go on; `text`: its message as code + params (engine/graph/error-codes.ts), when it has one. */
export class TrainingError extends CodedError {
  constructor(message: string, text?: EngineText) {
    super(message, text);
  }
}

export function loadDocument(file: string): NetworkDocument {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TrainingError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return documentOrThrow(text, file);
}

/** `where`: the document's file, or what it is as a coded message (default: the document). */
export function documentOrThrow(input: unknown, where: string | CodedMessage = { ...said('the-document'), message: 'the document' }): NetworkDocument {
  const r = parseDocument(input);
  const named = typeof where === 'string' ? where : where.message;
  if (!r.ok) {
    const list = problemList(r.problems);
    throw new TrainingError(`${named} cannot be loaded:\n${list.message}`, { ...said('document-unloadable', { where }), problems: list.problems });
  }
  const bad = r.problems.filter((p) => p.severity !== 'warning');
  if (bad.length) {
    const list = problemList(bad);
    throw new TrainingError(`${named} has problems:\n${list.message}`, { ...said('document-problems', { where }), problems: list.problems });
  }
  return r.doc;
}


/** Training may use this fraction of the machine's memory (os.totalmem()) unless allowLarge. */
export const MEMORY_FRACTION = 0.75;

/** Bytes training may take: 75% of os.totalmem(), or NETWRIGHT_MEMORY_LIMIT (bytes) when set; `where`: "(source)" as a coded message. */
export function memoryLimit(): { bytes: number; source: string; where: CodedMessage } {
  const env = Number(process.env.NETWRIGHT_MEMORY_LIMIT);
  if (process.env.NETWRIGHT_MEMORY_LIMIT && Number.isFinite(env) && env > 0) {
    return { bytes: env, source: 'NETWRIGHT_MEMORY_LIMIT', where: { ...said('memory-where-env', { variable: 'NETWRIGHT_MEMORY_LIMIT' }), message: '(NETWRIGHT_MEMORY_LIMIT)' } };
  }
  const percent = MEMORY_FRACTION * 100;
  const total = fmtBytes(os.totalmem());
  const source = `${percent}% of this machine's ${total}`;
  return { bytes: Math.floor(os.totalmem() * MEMORY_FRACTION), source, where: { ...said('memory-where-share', { percent, total }), message: `(${source})` } };
}

/**
 * Refuses, before any image is read, a network whose training would not fit (see
 * graph/memory.ts); returns the line to log when it fits.
 */
export function checkMemory(doc: NetworkDocument, allowLarge = false): string {
  const m = estimateMemory(doc);
  const limit = memoryLimit();
  const why = memoryRefusalText(m, limit.bytes, allowLarge, limit.where);
  if (why) throw new TrainingError(why.message, why);
  return `memory: about ${formatMemory(m)}; limit ${fmtBytes(limit.bytes)} (${limit.source})${allowLarge && m.total > limit.bytes ? ', exceeded: allowed by --allow-large' : ''}`;
}

/** A run's own files: a new run never writes into a folder that holds any of them. */
export const RUN_FILES = ['run.json', 'checkpoint.nwck', 'checkpoint.prev.nwck', 'model.onnx', 'best.onnx', 'init.onnx', 'metrics.csv'];

/**
 * A folder a new run may write to: absent or empty (`allow`: files the caller wrote itself just
 * now, e.g. run.json). Otherwise the message says how to continue that run or where to go instead.
 */
export function checkNewRunFolder(dir: string, allow: string[] = []): void {
  let names: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw new TrainingError(`${dir} is a file, not a run folder; choose another output folder`);
    names = fs.readdirSync(dir);
  } catch (e) {
    if (e instanceof TrainingError) throw e;
    return; // does not exist yet
  }
  const others = names.filter((n) => !allow.includes(n));
  if (!others.length) return;
  const isRun = others.some((n) => RUN_FILES.includes(n));
  throw new TrainingError(
    isRun
      ? `${dir} already holds a run (${others.filter((n) => RUN_FILES.includes(n)).join(', ')}); a new run never replaces one: choose another output folder, or continue that run with netwright train --resume ${dir} [--epochs N]`
      : `${dir} is not empty (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}); a run writes into an empty or new folder: choose another output folder`,
  );
}

export function imageSpec(doc: NetworkDocument): ImageSpec {
  const input = doc.nodes.find((n) => n.type === 'Input');
  if (!input) throw new TrainingError('the network has no Input layer', said('no-input-layer'));
  const a = inferShapes(doc);
  const [c, h, w] = a.shapes.get(input.id)!;
  return { height: h, width: w, channels: c as 1 | 3 };
}

/** Everything a run needs once prepared; release() closes what it opened. */
export interface PreparedRun {
  req: TrainRequest;
  doc: NetworkDocument;
  settings: TrainingSettings;
  spec: ImageSpec;
  classes: number;
  classNames: string[];
  data: LoadedDataset;
  train: CachedSplit;
  val: CachedSplit;
  norm: { mean: number[]; std: number[] };
  step: StepRunner;
  /** With everything below the head frozen: the cached features the head trains on. */
  features?: Features;
  meta: ModelMeta;
  /** The checkpoint file a resumed run started from. */
  resumedFrom?: string;
  /** Where the run starts: a new run's first state, or the checkpoint's. */
  state: RunState;
  /** Class probabilities of the validation split with the current values. */
  scoreVal(): Promise<Float32Array>;
  /** Releases the validation session (before the run says it is done). */
  closeValidation(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Reads the request (or the newest good checkpoint of its folder, to resume), checks the
 * network, memory and data, writes dataset.json and skipped.csv, opens the step and validation.
 */
export async function prepareRun(raw: TrainRequest, emit: (e: TrainEvent) => void): Promise<PreparedRun> {
  const req = trainRequest.parse(raw);
  // A resumed run takes its document, settings and state from the newest good checkpoint.
  const resumed = req.resume ? loadCheckpoint(req.outDir) : null;
  const ck = resumed?.header;
  if (resumed) {
    for (const p of resumed.problems) emit({ type: 'log', level: 'warn', message: `passed over a checkpoint: ${p}`, text: said('checkpoint-passed-over', { problem: p }) });
    const latest = path.join(req.outDir, LATEST);
    if (resumed.file !== latest && fs.existsSync(latest)) {
      // Set the damaged file aside, so the next save does not keep it as the previous checkpoint.
      const aside = path.join(req.outDir, DAMAGED);
      fs.renameSync(latest, aside);
      emit({ type: 'log', level: 'warn', message: `moved the damaged ${latest} to ${aside}`, text: said('checkpoint-moved', { file: latest, aside }) });
    }
    emit({ type: 'log', level: 'info', message: `resuming from ${resumed.file} at step ${ck!.step} (epoch ${ck!.epoch} finished)` });
  } else {
    if (req.epochs !== undefined) throw new TrainingError('epochs in a train request applies to resuming only: a new run takes its epochs from the document');
    checkNewRunFolder(req.outDir, ['run.json']);
  }
  const doc = documentOrThrow(resumed ? ck!.doc : req.doc, resumed ? resumed.file : undefined);
  const analysis = inferShapes(doc);
  if (!analysis.ok) {
    const list = problemList(analysis.problems.filter((p) => p.severity !== 'warning'));
    throw new TrainingError(`the network has problems:\n${list.message}`, { ...said('network-problems'), problems: list.problems });
  }
  if (ck && req.epochs !== undefined && req.epochs !== doc.training.epochs) {
    const inProgress = ck.cursor && ck.cursor.batch > 0 ? ck.cursor.epoch : ck.epoch;
    if (req.epochs < Math.max(1, inProgress)) {
      const partial = !!ck.cursor && ck.cursor.batch > 0;
      throw new TrainingError(
        `the run has ${partial ? `epoch ${inProgress} in progress` : `${ck.epoch} epoch(s) finished`}; resume with --epochs ${Math.max(1, inProgress)} or more`,
        said('resume-epochs', { state: partial ? 'partial' : 'finished', epoch: partial ? inProgress : ck.epoch, min: Math.max(1, inProgress) }),
      );
    }
    const from = doc.training.epochs;
    doc.training = { ...doc.training, epochs: req.epochs };
    const s = scheduleSettings(doc.training);
    emit({ type: 'log', level: 'info', message: `extending the run from ${from} to ${req.epochs} epochs` });
    if (s.kind === 'cosine') emit({ type: 'log', level: 'info', message: `the cosine schedule is recomputed over ${req.epochs} epochs: from step ${ck.step + 1} on, the rate follows the curve of a ${req.epochs}-epoch run (the steps taken so far kept the rates of the ${from}-epoch curve)` });
  }
  const settings = doc.training;
  if (ck && (ck.cursor?.epoch ?? 1) > settings.epochs) emit({ type: 'log', level: 'info', message: `the run has finished its ${settings.epochs} epoch(s); to train on, resume with --epochs ${settings.epochs + 1} or more` });
  emit({ type: 'log', level: 'info', message: checkMemory(doc, req.allowLarge) });
  const spec = imageSpec(doc);
  const classes = analysis.shapes.get(analysis.outputId!)![0];

  const dataOpts = dataSettings(settings);
  const scan = await scanImageFolder(req.dataDir, { valSplit: settings.valSplit, seed: settings.seed });
  // The dataset's own problems first: a unit count to change is no help for a folder without images.
  if (scan.train.length + scan.val.length === 0) {
    throw new TrainingError(`no images in ${req.dataDir}: expected PNG, JPEG, WebP, GIF, BMP or TIFF images in one subfolder per class`, said('no-images', { dir: req.dataDir }));
  }
  if (scan.classNames.length < 2) {
    throw new TrainingError(`only one class (${scan.classNames[0]}) in ${req.dataDir}: a classifier needs at least two class folders`, said('only-one-class', { name: scan.classNames[0], dir: req.dataDir }));
  }
  if (ck && ck.classNames.join('\n') !== scan.classNames.join('\n')) {
    const [classes, trained] = [scan.classNames.join(', '), ck.classNames.join(', ')];
    throw new TrainingError(`${req.dataDir} has the classes ${classes} but the checkpoint was trained on ${trained}`, said('resume-classes', { dir: req.dataDir, classes, trained }));
  }
  emit({ type: 'log', level: 'info', message: `reading ${scan.train.length + scan.val.length} images (${scan.classNames.length} classes)` });
  const data = await loadDataset(scan, { ...spec, resize: dataOpts.resize }, { cacheDir: dataOpts.cacheDir });
  let step: StepRunner | undefined;
  let features: Features | undefined;
  try {
    const { train, val, stats } = data;
    emit({ type: 'log', level: 'info', message: `images: ${stats.fromCache} from the cache, ${stats.decoded} decoded${stats.workers ? ` on ${stats.workers} threads` : ''} (cache: ${data.cacheFolder})` });
    writeDatasetFiles(req.outDir, scan, data, emit);
    if (train.count === 0) throw new TrainingError(`no usable training images in ${req.dataDir}: every file was skipped (see ${path.join(req.outDir, 'skipped.csv')}); expected PNG, JPEG, WebP, GIF, BMP or TIFF images in one subfolder per class`, said('no-usable-images', { dir: req.dataDir, csv: path.join(req.outDir, 'skipped.csv') }));
    // Only now that the images are known usable: a unit count is the last thing to blame.
    if (scan.classNames.length !== classes) {
      throw new TrainingError(
        `the output head has ${classes} classes but ${req.dataDir} has ${scan.classNames.length} class folders (${scan.classNames.join(', ')}); set the units of the Dense layer before the output to ${scan.classNames.length}`,
        said('head-classes', { classes, dir: req.dataDir, folders: scan.classNames.length, names: scan.classNames.join(', ') }),
      );
    }
    // The Input's own preprocessing (an imported model's mean/std) unless the split's statistics are asked for.
    const inputParams = nodeParams(doc.nodes.find((n) => n.type === 'Input')!);
    const normalized = dataOpts.normalize === 'mean-std' || !isPlain(inputParams);
    const norm = ck?.norm ?? (dataOpts.normalize === 'mean-std' ? channelStats(train, spec.channels) : normalized ? inputNormalization(inputParams) : unitScale(spec.channels));
    if (dataOpts.normalize === 'mean-std' && !ck) emit({ type: 'log', level: 'info', message: `normalization from the training split: mean ${fmtList(norm.mean)}, std ${fmtList(norm.std)}` });

    // Everything below the head frozen, no augmentation: the head trains on cached features (features.ts).
    const cut = featureCut(doc, train.count + val.count);
    step = await openStepRunner(doc, { device: req.device, threads: req.threads, from: cut ?? undefined });
    if (cut) {
      features = await openFeatures(doc, step.modelValues(), cut, { train, val }, [spec.channels, spec.height, spec.width], norm, step.device, req.threads);
      emit({ type: 'log', level: 'info', message: `everything up to ${cut} is frozen: its output is computed once per image and cached, and only the layers after it train` });
    }
    if (step.fallback) {
      const { message, ...text } = step.fallback;
      emit({ type: 'log', level: 'warn', message, text });
    }
    if (step.kind === 'sharded') emit({ type: 'log', level: 'info', message: 'each batch is split in two halves trained at the same time on two threads (same result as one batch)' });
    if (step.group > 1) emit({ type: 'log', level: 'info', message: `steps run up to ${step.group} at a time in one ONNX Runtime call (same result as one at a time)` });
    if (resumed) {
      for (const [k, v] of step.values) {
        const saved = resumed.values.get(k);
        if (!saved) throw new TrainingError(`${resumed.file} does not fit the network: ${k} is missing`, said('resume-tensor-missing', { file: resumed.file, tensor: k }));
        if (saved.length !== v.length) throw new TrainingError(`${resumed.file} does not fit the network: ${k} has ${saved.length} values, expected ${v.length}`, said('resume-tensor-size', { file: resumed.file, tensor: k, found: saved.length, expected: v.length }));
        step.values.set(k, saved);
      }
      step.t = ck!.t;
    }
    const meta: ModelMeta = normalized
      ? { classNames: scan.classNames, scaling: '(x/255 - mean) / std', extra: { 'netwright.mean': JSON.stringify(norm.mean), 'netwright.std': JSON.stringify(norm.std), 'netwright.document': JSON.stringify(doc) } }
      : { classNames: scan.classNames, extra: { 'netwright.document': JSON.stringify(doc) } };

    // The schedule spans every epoch: --max-steps and stop end a run early, they do not reshape its rates.
    const lrHorizon = Math.ceil(train.count / settings.batchSize) * settings.epochs;
    const fresh: RunState = { step: 0, epoch: 0, t: 0, rngState: Array.from(new Rng(settings.seed ^ 0x5eed).state()), metrics: '', best: null, classNames: scan.classNames, doc };
    const state: RunState = { ...(ck ?? fresh), lrHorizon, best: ck?.best ?? null, classNames: scan.classNames, norm, dataDir: req.dataDir, doc };

    // Validation runs the same forward graph with the current values fed as inputs: one session per run.
    // With cached features, the head alone on the validation split's features.
    const s = step;
    const valModel = await openRunner(encodeModel(buildInferenceModel(doc, 'inputs', meta, cut ? { from: cut } : undefined)), s.device, req.threads);
    const stepFeeds = () => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of s.values) if (!s.graph.slots.some((sl) => sl.name === k)) feeds[k] = new ort.Tensor('float32', v, shapeOf(s, k));
      return feeds;
    };
    const scorer = new Scorer(valModel.runner, [spec.channels, spec.height, spec.width], classes, stepFeeds, normalized ? norm : undefined);
    const f = features;
    let validation: StepSession | null = valModel.runner;
    return {
      req, doc, settings, spec, classes, classNames: scan.classNames, data, train, val, norm, step, features, meta, resumedFrom: resumed?.file, state,
      scoreVal: () => (f ? headProbs(valModel.runner, f.val, classes, stepFeeds()) : scoreSplit(scorer, val, classes)),
      closeValidation: async () => {
        await validation?.release();
        validation = null;
      },
      release: async () => {
        // Also on errors: a sharded step's replica thread would otherwise outlive the run.
        await s.release();
        await f?.release();
        data.close();
      },
    };
  } catch (e) {
    await step?.release();
    await features?.release();
    data.close();
    throw e;
  }
}

/** Scores a split in chunks, so validation never holds more than a chunk of pixels. */
async function scoreSplit(scorer: Scorer, split: CachedSplit, classes: number, chunk = 2048): Promise<Float32Array> {
  const probs = new Float32Array(split.count * classes);
  const buf = new Uint8Array(Math.min(chunk, split.count) * split.size);
  for (let s = 0; s < split.count; s += chunk) {
    const n = Math.min(chunk, split.count - s);
    probs.set(await scorer.probs(split.readRange(s, n, buf), n), s * classes);
  }
  return probs;
}

const fmtList = (v: number[]): string => `[${v.map((x) => x.toFixed(4)).join(', ')}]`;

function shapeOf(step: StepRunner, name: string): number[] {
  const f = step.graph.forward;
  return [...f.weights, ...f.states].find((w) => w.name === name)!.shape;
}
