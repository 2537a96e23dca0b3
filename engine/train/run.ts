// One training run, start to finish: data, sessions, the step loop, validation, and every
// output file. Runs inside the training worker; talks only through `emit`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { channelStats, unitScale } from '../data/batches.ts';
import { Prefetcher, prefetchSource } from '../data/prefetch.ts';
import { loadDataset, type CachedSplit } from '../data/cache.ts';
import { type ImageSpec } from '../data/decode.ts';
import { datasetReport } from '../data/report.ts';
import { scanImageFolder } from '../data/scan.ts';
import { buildInferenceModel, type ModelMeta } from '../graph/compile.ts';
import { startValues } from './weights.ts';
import { dataSettings, nodeParams, parseDocument, type NetworkDocument } from '../graph/document.ts';
import { inputNormalization, isPlain } from '../graph/layers/input.ts';
import { inferShapes } from '../graph/infer.ts';
import { estimateMemory, floatArray, fmtBytes, formatMemory, memoryRefusal } from '../graph/memory.ts';
import { Rng } from '../graph/rng.ts';
import { encodeModel } from '../onnx/model.ts';
import type { DivergedEvent, EpochEvent } from '../protocol.ts';
import { trainRequest, type StepEvent, type TrainEvent, type TrainRequest } from './messages.ts';
import { DAMAGED, LATEST, loadCheckpoint, writeCheckpoint, type CheckpointHeader, type DataCursor } from './checkpoint.ts';
import { diverged, LossWatch, nonFinite, uniformLoss } from './divergence.ts';
import { MetricsWriter } from './metrics.ts';
import { openRunner, ort } from './ort.ts';
import { report, Scorer } from './scorer.ts';
import { lrAt, scheduleSettings } from './schedule.ts';
import { TrainingStep } from './step.ts';
import { featureCut, headProbs, openFeatures, type Features } from './features.ts';

export class TrainingError extends Error {}

export function loadDocument(file: string): NetworkDocument {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new TrainingError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return documentOrThrow(text, file);
}

export function documentOrThrow(input: unknown, where = 'the document'): NetworkDocument {
  const r = parseDocument(input);
  if (!r.ok) throw new TrainingError(`${where} cannot be loaded:\n` + r.problems.map((p) => `  - ${p.message}`).join('\n'));
  const bad = r.problems.filter((p) => p.severity !== 'warning');
  if (bad.length) throw new TrainingError(`${where} has problems:\n` + bad.map((p) => `  - [${p.nodeId}${p.param ? `.${p.param}` : ''}] ${p.message}`).join('\n'));
  return r.doc;
}

/** Training may use this fraction of the machine's memory (os.totalmem()) unless allowLarge. */
export const MEMORY_FRACTION = 0.75;

/** Bytes training may take: 75% of os.totalmem(), or NETWRIGHT_MEMORY_LIMIT (bytes) when set. */
export function memoryLimit(): { bytes: number; source: string } {
  const env = Number(process.env.NETWRIGHT_MEMORY_LIMIT);
  if (process.env.NETWRIGHT_MEMORY_LIMIT && Number.isFinite(env) && env > 0) return { bytes: env, source: 'NETWRIGHT_MEMORY_LIMIT' };
  return { bytes: Math.floor(os.totalmem() * MEMORY_FRACTION), source: `${MEMORY_FRACTION * 100}% of this machine's ${fmtBytes(os.totalmem())}` };
}

/**
 * Refuses, before any image is read, a network whose training would not fit (see
 * graph/memory.ts); returns the line to log when it fits.
 */
export function checkMemory(doc: NetworkDocument, allowLarge = false): string {
  const m = estimateMemory(doc);
  const limit = memoryLimit();
  const why = memoryRefusal(m, limit.bytes, allowLarge, `(${limit.source})`);
  if (why) throw new TrainingError(why);
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
  if (!input) throw new TrainingError('the network has no Input layer');
  const a = inferShapes(doc);
  const [c, h, w] = a.shapes.get(input.id)!;
  return { height: h, width: w, channels: c as 1 | 3 };
}

/**
 * `waitIfPaused` is awaited before every step: while the user has paused, it does not resolve,
 * and the run continues at the same step when it does.
 */
export async function runTraining(raw: TrainRequest, emit: (e: TrainEvent) => void, shouldStop: () => boolean, waitIfPaused?: () => Promise<void>): Promise<void> {
  const req = trainRequest.parse(raw);
  // A resumed run takes its document, settings and state from the newest good checkpoint.
  const resumed = req.resume ? loadCheckpoint(req.outDir) : null;
  const ck: CheckpointHeader | undefined = resumed?.header;
  if (resumed) {
    for (const p of resumed.problems) emit({ type: 'log', level: 'warn', message: `passed over a checkpoint: ${p}` });
    const latest = path.join(req.outDir, LATEST);
    if (resumed.file !== latest && fs.existsSync(latest)) {
      // Set the damaged file aside, so the next save does not keep it as the previous checkpoint.
      const aside = path.join(req.outDir, DAMAGED);
      fs.renameSync(latest, aside);
      emit({ type: 'log', level: 'warn', message: `moved the damaged ${latest} to ${aside}` });
    }
    emit({ type: 'log', level: 'info', message: `resuming from ${resumed.file} at step ${ck!.step} (epoch ${ck!.epoch} finished)` });
  } else {
    if (req.epochs !== undefined) throw new TrainingError('epochs in a train request applies to resuming only: a new run takes its epochs from the document');
    checkNewRunFolder(req.outDir, ['run.json']);
  }
  const doc = documentOrThrow(resumed ? ck!.doc : req.doc, resumed ? resumed.file : undefined);
  const analysis = inferShapes(doc);
  if (!analysis.ok) {
    throw new TrainingError('the network has problems:\n' + analysis.problems.filter((p) => p.severity !== 'warning').map((p) => `  - [${p.nodeId ?? '-'}] ${p.message}`).join('\n'));
  }
  if (ck && req.epochs !== undefined && req.epochs !== doc.training.epochs) {
    const inProgress = ck.cursor && ck.cursor.batch > 0 ? ck.cursor.epoch : ck.epoch;
    if (req.epochs < Math.max(1, inProgress)) throw new TrainingError(`the run has ${ck.cursor && ck.cursor.batch > 0 ? `epoch ${inProgress} in progress` : `${ck.epoch} epoch(s) finished`}; resume with --epochs ${Math.max(1, inProgress)} or more`);
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
    throw new TrainingError(`no images in ${req.dataDir}: expected PNG, JPEG, WebP, GIF, BMP or TIFF images in one subfolder per class`);
  }
  if (scan.classNames.length < 2) {
    throw new TrainingError(`only one class (${scan.classNames[0]}) in ${req.dataDir}: a classifier needs at least two class folders`);
  }
  if (ck && ck.classNames.join('\n') !== scan.classNames.join('\n')) {
    throw new TrainingError(`${req.dataDir} has the classes ${scan.classNames.join(', ')} but the checkpoint was trained on ${ck.classNames.join(', ')}`);
  }
  emit({ type: 'log', level: 'info', message: `reading ${scan.train.length + scan.val.length} images (${scan.classNames.length} classes)` });
  const data = await loadDataset(scan, { ...spec, resize: dataOpts.resize }, { cacheDir: dataOpts.cacheDir });
  let prefetch: Pick<Prefetcher, 'request' | 'take' | 'augmentState' | 'close'> | undefined;
  let opened: TrainingStep | undefined;
  let features: Features | undefined;
  try {
    const { train, val, stats } = data;
    emit({ type: 'log', level: 'info', message: `images: ${stats.fromCache} from the cache, ${stats.decoded} decoded${stats.workers ? ` on ${stats.workers} threads` : ''} (cache: ${data.cacheFolder})` });
    fs.mkdirSync(req.outDir, { recursive: true });
    const rep = datasetReport(scan, data);
    fs.writeFileSync(path.join(req.outDir, 'dataset.json'), JSON.stringify(rep, null, 2) + '\n');
    for (const w of rep.warnings) emit({ type: 'log', level: 'warn', message: w });
    if (data.skipped.length) {
      const csv = 'path,reason\n' + data.skipped.map((s) => `${csvCell(s.path)},${csvCell(s.reason)}`).join('\n') + '\n';
      fs.writeFileSync(path.join(req.outDir, 'skipped.csv'), csv);
      const reasons = Object.entries(rep.skippedByReason).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join(', ');
      emit({ type: 'log', level: 'warn', message: `skipped ${data.skipped.length} file(s) (${reasons}); see ${path.join(req.outDir, 'skipped.csv')}` });
    }
    if (train.count === 0) throw new TrainingError(`no usable training images in ${req.dataDir}: every file was skipped (see ${path.join(req.outDir, 'skipped.csv')}); expected PNG, JPEG, WebP, GIF, BMP or TIFF images in one subfolder per class`);
    // Only now that the images are known usable: a unit count is the last thing to blame.
    if (scan.classNames.length !== classes) {
      throw new TrainingError(
        `the output head has ${classes} classes but ${req.dataDir} has ${scan.classNames.length} class folders (${scan.classNames.join(', ')}); set the units of the Dense layer before the output to ${scan.classNames.length}`,
      );
    }
    // The Input's own preprocessing (an imported model's mean/std) unless the split's statistics are asked for.
    const inputParams = nodeParams(doc.nodes.find((n) => n.type === 'Input')!);
    const normalized = dataOpts.normalize === 'mean-std' || !isPlain(inputParams);
    const norm = ck?.norm ?? (dataOpts.normalize === 'mean-std' ? channelStats(train, spec.channels) : normalized ? inputNormalization(inputParams) : unitScale(spec.channels));
    if (dataOpts.normalize === 'mean-std' && !ck) emit({ type: 'log', level: 'info', message: `normalization from the training split: mean ${fmtList(norm.mean)}, std ${fmtList(norm.std)}` });

    // Everything below the head frozen, no augmentation: the head trains on cached features (features.ts).
    const cut = featureCut(doc, train.count + val.count);
    const step = await TrainingStep.create(doc, { device: req.device, threads: req.threads, from: cut ?? undefined });
    opened = step;
    if (cut) {
      features = await openFeatures(doc, step.modelValues(), cut, { train, val }, [spec.channels, spec.height, spec.width], norm, step.device, req.threads);
      emit({ type: 'log', level: 'info', message: `everything up to ${cut} is frozen: its output is computed once per image and cached, and only the layers after it train` });
    }
    if (step.fallback) emit({ type: 'log', level: 'warn', message: step.fallback });
    if (step.parallel) emit({ type: 'log', level: 'info', message: 'each batch is split in two halves trained at the same time on two threads (same result as one batch)' });
    if (step.group > 1) emit({ type: 'log', level: 'info', message: `steps run up to ${step.group} at a time in one ONNX Runtime call (same result as one at a time)` });
    if (resumed) {
      for (const [k, v] of step.values) {
        const saved = resumed.values.get(k);
        if (!saved || saved.length !== v.length) throw new TrainingError(`${resumed.file} does not fit the network: ${k} ${saved ? `has ${saved.length} values, expected ${v.length}` : 'is missing'}`);
        step.values.set(k, saved);
      }
      step.t = ck!.t;
    }
    const meta: ModelMeta = normalized
      ? { classNames: scan.classNames, scaling: '(x/255 - mean) / std', extra: { 'netwright.mean': JSON.stringify(norm.mean), 'netwright.std': JSON.stringify(norm.std), 'netwright.document': JSON.stringify(doc) } }
      : { classNames: scan.classNames, extra: { 'netwright.document': JSON.stringify(doc) } };
    const files: string[] = [];
    const out = (name: string) => {
      const p = path.join(req.outDir, name);
      if (!files.includes(p)) files.push(p);
      return p;
    };
    fs.writeFileSync(out('init.onnx'), encodeModel(buildInferenceModel(doc, startValues(doc, step.whole, settings.seed), meta)));
    const metrics = new MetricsWriter(out('metrics.csv'), ck?.metrics ?? '');

    // Validation runs the same forward graph with the current values fed as inputs: one session per run.
    // With cached features, the head alone on the validation split's features.
    const valModel = await openRunner(encodeModel(buildInferenceModel(doc, 'inputs', meta, cut ? { from: cut } : undefined)), step.device, req.threads);
    const stepFeeds = () => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of step.values) if (!step.graph.slots.some((s) => s.name === k)) feeds[k] = new ort.Tensor('float32', v, shapeOf(step, k));
      return feeds;
    };
    const scorer = new Scorer(valModel.runner, [spec.channels, spec.height, spec.width], classes, stepFeeds, normalized ? norm : undefined);
    const scoreVal = () => (features ? headProbs(valModel.runner, features.val, classes, stepFeeds()) : scoreSplit(scorer, val, classes));

    const bs = settings.batchSize;
    const stepsPerEpoch = Math.ceil(train.count / bs);
    // The schedule spans every epoch: --max-steps and stop end a run early, they do not reshape its rates.
    const lrHorizon = stepsPerEpoch * settings.epochs;
    const totalSteps = Math.min(lrHorizon, req.maxSteps ?? Infinity);
    emit({ type: 'started', device: step.device, classNames: scan.classNames, trainCount: train.count, valCount: val.count, stepsPerEpoch, totalSteps });

    const rng = ck ? new Rng(Uint32Array.from(ck.rngState)) : new Rng(settings.seed ^ 0x5eed);
    let stepNo = ck?.step ?? 0;
    let epoch = 0;
    let reason: 'finished' | 'max-steps' | 'stopped' = 'finished';
    const schedule = scheduleSettings(settings);
    // model.onnx always holds the last finished epoch; best.onnx the best by validation
    // (accuracy, then loss; training figures when there is no validation split).
    let best: { epoch: number; accuracy: number; loss: number } | null = ck?.best ?? null;
    let epochsDone = ck?.epoch ?? 0;
    const watch = new LossWatch(settings.divergence?.lossSpike ?? 3, uniformLoss(step.graph.forward.loss, classes), ck?.lossWatch);
    // Batches are filled on their own thread, the next group while ONNX Runtime runs this one.
    // A group is the steps one session run takes (step.group, TrainingStep.runGroup): batches
    // of bs samples one after the other; the short last batch of an epoch is a group of its own.
    const G = step.group;
    prefetch = features?.source ?? new Prefetcher(prefetchSource(train, spec, norm, dataOpts.augment, settings.seed, bs * G, ck?.augmentRngState));
    const order = ck?.cursor?.order ?? Array.from({ length: train.count }, (_, i) => i);
    if (order.length !== train.count) throw new TrainingError(`${resumed!.file} was saved for ${order.length} training images but ${req.dataDir} now has ${train.count}; resume needs the same images`);
    const batchSize = (b: number) => Math.min(bs, train.count - b * bs);
    const fullBatches = Math.floor(train.count / bs);
    /** Steps in the group that starts at batch b when `done` steps are done. */
    const groupAt = (b: number, done: number) => (b >= fullBatches ? 1 : Math.max(1, Math.min(G, fullBatches - b, (req.maxSteps ?? Infinity) - done)));
    const samples = (b: number, k: number) => (k === 1 ? batchSize(b) : k * bs);
    // ONNX Runtime refuses tensors over shared memory: each group is copied out (a few µs a batch).
    const per = features ? features.train.per : spec.channels * spec.height * spec.width;
    const x = floatArray(G * bs * per, `a group of ${G} batches of ${bs} images`);
    const y = new BigInt64Array(G * bs);

    let unchecked = 0;
    const stopDiverged = (e: DivergedEvent): never => {
      emit(e);
      metrics.flush();
      throw new TrainingError(`training diverged: ${e.message}; ${e.hint} (now ${settings.lr}). The last checkpoint before it is kept.`);
    };
    /** Everything needed to go on exactly from here; never written with a value that is not finite. */
    const checkpoint = async (cursor: DataCursor, sums: { loss: number; correct: number; seen: number }, history: string) => {
      const bad = nonFinite(step.values);
      if (bad) stopDiverged(diverged(stepNo, 'non-finite-parameters', bad.value, `${bad.name}[${bad.index}] became ${bad.value} at step ${stepNo}`));
      writeCheckpoint(out('checkpoint.nwck'), {
        step: stepNo, epoch: epochsDone, t: step.t, lrHorizon, rngState: Array.from(rng.state()), augmentRngState: await prefetch!.augmentState(),
        cursor, epochSums: sums, lossWatch: watch.state(), metrics: history, best, classNames: scan.classNames, norm, dataDir: req.dataDir, doc,
      }, step.values);
    };

    const startEpoch = ck?.cursor?.epoch ?? 1;
    outer: for (epoch = startEpoch; epoch <= settings.epochs; epoch++) {
      const resuming = ck?.cursor && epoch === startEpoch;
      const first = resuming ? ck.cursor!.batch : 0;
      if (!(resuming && ck.cursor!.shuffled)) rng.shuffle(order);
      prefetch.request(first * bs, samples(first, groupAt(first, stepNo)), order);
      const t0 = performance.now();
      const sums = resuming && ck.epochSums ? { ...ck.epochSums } : { loss: 0, correct: 0, seen: 0 };
      let seenHere = 0;
      const finishEpoch = async (b: number) => {
        const partial = b + 1 < stepsPerEpoch;
        const seconds = (performance.now() - t0) / 1000;
        let valLoss: number | null = null;
        let valAccuracy: number | null = null;
        if (val.count) {
          const rep = report(await scoreVal(), val.labels, scan.classNames, step.graph.forward.loss);
          valLoss = rep.loss;
          valAccuracy = rep.accuracy;
        }
        const bad = nonFinite(step.values);
        if (bad) stopDiverged(diverged(stepNo, 'non-finite-parameters', bad.value, `${bad.name}[${bad.index}] became ${bad.value} at step ${stepNo}`));
        // A partial epoch (--max-steps) is reported, but a checkpoint holds the run as if it had
        // not been: the resumed run finishes the epoch and reports it once.
        const history = metrics.history;
        const bestBefore = best;
        const e: EpochEvent = { type: 'epoch', step: stepNo, epoch, loss: sums.seen ? sums.loss / sums.seen : NaN, accuracy: sums.seen ? sums.correct / sums.seen : NaN, valLoss, valAccuracy, samplesPerSec: seenHere / seconds, seconds };
        emit(e);
        metrics.epoch(e);
        if (!partial) epochsDone = epoch;
        const model = encodeModel(buildInferenceModel(doc, step.modelValues(), meta));
        fs.writeFileSync(out('model.onnx'), model);
        const score = { epoch, accuracy: valAccuracy ?? e.accuracy, loss: valLoss ?? e.loss };
        if (!best || score.accuracy > best.accuracy || (score.accuracy === best.accuracy && score.loss < best.loss)) {
          best = score;
          fs.writeFileSync(out('best.onnx'), model);
        }
        if (partial) {
          const keep = best;
          best = bestBefore;
          await checkpoint({ epoch, batch: b + 1, shuffled: true, order: [...order] }, sums, history);
          best = keep;
        } else await checkpoint({ epoch: epoch + 1, batch: 0, shuffled: false, order: [...order] }, { loss: 0, correct: 0, seen: 0 }, metrics.history);
      };
      for (let b = first; b < stepsPerEpoch; ) {
        if (waitIfPaused) await waitIfPaused();
        if (shouldStop()) {
          reason = 'stopped';
          metrics.flush();
          await checkpoint({ epoch, batch: b, shuffled: true, order: [...order] }, sums, metrics.history);
          break outer;
        }
        const ts = performance.now();
        const k = groupAt(b, stepNo);
        if (b + k < stepsPerEpoch) prefetch.request((b + k) * bs, samples(b + k, groupAt(b + k, stepNo + k)));
        const batch = await prefetch.take();
        const n = k === 1 ? batch.n : bs;
        x.set(batch.x.subarray(0, k * n * per));
        y.set(batch.y.subarray(0, k * n));
        const lrs = Array.from({ length: k }, (_, i) => lrAt(settings.lr, schedule, stepNo + 1 + i, stepsPerEpoch, lrHorizon));
        const rs = await step.runGroup(x, y, k, n, lrs, step.masks(n, rng, k));
        const perStep = (performance.now() - ts) / k;
        for (const [i, r] of rs.entries()) {
          stepNo++;
          const div = watch.check(stepNo, r.loss);
          if (div) stopDiverged(div);
          sums.loss += r.loss * n;
          sums.correct += r.correct;
          sums.seen += n;
          seenHere += n;
          const e: StepEvent = { type: 'step', step: stepNo, epoch, loss: r.loss, accuracy: r.correct / n, samplesPerSec: n / (perStep / 1000), lr: lrs[i] };
          emit(e);
          metrics.step(e);
        }
        // Every value is read every 16 steps or so (a pass in JavaScript: 0.1 ms for LeNet-5's
        // 123k values, 0.7 ms for the small CNN's 842k, a few % of their steps); a value that is
        // not finite makes the next loss not finite, which is checked every step, and every
        // checkpoint and epoch end reads them all.
        unchecked += k;
        if (unchecked >= 16) {
          unchecked = 0;
          const bad = nonFinite(step.values);
          if (bad) stopDiverged(diverged(stepNo, 'non-finite-parameters', bad.value, `${bad.name}[${bad.index}] became ${bad.value} by step ${stepNo}`));
        }
        b += k;
        if (req.maxSteps && stepNo >= req.maxSteps) {
          reason = 'max-steps';
          await finishEpoch(b - 1);
          break outer;
        }
      }
      await finishEpoch(stepsPerEpoch - 1);
    }
    metrics.flush();
    // Stopped before any epoch finished: keep what there is rather than nothing.
    if (!epochsDone) fs.writeFileSync(out('model.onnx'), encodeModel(buildInferenceModel(doc, step.modelValues(), meta)));
    await valModel.runner.release();
    emit({ type: 'done', reason, step: stepNo, epoch: Math.min(epoch, settings.epochs), outDir: req.outDir, files, best });

  } finally {
    // Also on errors: a sharded step's replica thread would otherwise outlive the run.
    await opened?.release();
    await features?.release();
    await prefetch?.close();
    data.close();
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

function shapeOf(step: TrainingStep, name: string): number[] {
  const f = step.graph.forward;
  return [...f.weights, ...f.states].find((w) => w.name === name)!.shape;
}

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
