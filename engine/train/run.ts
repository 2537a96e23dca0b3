// One training run, start to finish: data, sessions, the step loop, validation, and every
// output file. Runs inside the training worker; talks only through `emit`.
import fs from 'node:fs';
import path from 'node:path';
import { channelStats, unitScale } from '../data/batches.ts';
import { Prefetcher, prefetchSource } from '../data/prefetch.ts';
import { loadDataset, type CachedSplit } from '../data/cache.ts';
import { type ImageSpec } from '../data/decode.ts';
import { datasetReport } from '../data/report.ts';
import { scanImageFolder } from '../data/scan.ts';
import { buildInferenceModel, initialValues, type ModelMeta } from '../graph/compile.ts';
import { dataSettings, parseDocument, type NetworkDocument } from '../graph/document.ts';
import { inferShapes } from '../graph/infer.ts';
import { Rng } from '../graph/rng.ts';
import { encodeModel } from '../onnx/model.ts';
import { trainRequest, type EpochEvent, type StepEvent, type TrainEvent, type TrainRequest } from '../protocol.ts';
import { writeCheckpoint } from './checkpoint.ts';
import { MetricsWriter } from './metrics.ts';
import { openSession, ort } from './ort.ts';
import { report, Scorer } from './scorer.ts';
import { lrAt, scheduleSettings } from './schedule.ts';
import { TrainingStep } from './step.ts';

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
  const doc = documentOrThrow(req.doc);
  const analysis = inferShapes(doc);
  if (!analysis.ok) {
    throw new TrainingError('the network has problems:\n' + analysis.problems.filter((p) => p.severity !== 'warning').map((p) => `  - [${p.nodeId ?? '-'}] ${p.message}`).join('\n'));
  }
  const settings = doc.training;
  const spec = imageSpec(doc);
  const classes = analysis.shapes.get(analysis.outputId!)![0];

  const dataOpts = dataSettings(settings);
  const scan = await scanImageFolder(req.dataDir, { valSplit: settings.valSplit, seed: settings.seed });
  if (scan.classNames.length !== classes) {
    throw new TrainingError(
      `the output head has ${classes} classes but ${req.dataDir} has ${scan.classNames.length} class folders (${scan.classNames.join(', ')}); set the units of the Dense layer before the output to ${scan.classNames.length}`,
    );
  }
  emit({ type: 'log', level: 'info', message: `reading ${scan.train.length + scan.val.length} images (${scan.classNames.length} classes)` });
  const data = await loadDataset(scan, { ...spec, resize: dataOpts.resize }, { cacheDir: dataOpts.cacheDir });
  let prefetch: Prefetcher | undefined;
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
    const norm = dataOpts.normalize === 'mean-std' ? channelStats(train, spec.channels) : unitScale(spec.channels);
    if (dataOpts.normalize === 'mean-std') emit({ type: 'log', level: 'info', message: `normalization from the training split: mean ${fmtList(norm.mean)}, std ${fmtList(norm.std)}` });

    const step = await TrainingStep.create(doc, { device: req.device, threads: req.threads });
    if (step.fallback) emit({ type: 'log', level: 'warn', message: step.fallback });
    const meta: ModelMeta = dataOpts.normalize === 'mean-std'
      ? { classNames: scan.classNames, scaling: '(x/255 - mean) / std', extra: { 'netwright.mean': JSON.stringify(norm.mean), 'netwright.std': JSON.stringify(norm.std), 'netwright.document': JSON.stringify(doc) } }
      : { classNames: scan.classNames, extra: { 'netwright.document': JSON.stringify(doc) } };
    const files: string[] = [];
    const out = (name: string) => {
      const p = path.join(req.outDir, name);
      if (!files.includes(p)) files.push(p);
      return p;
    };
    fs.writeFileSync(out('init.onnx'), encodeModel(buildInferenceModel(doc, initialValues(step.graph.forward, settings.seed), meta)));
    const metrics = new MetricsWriter(out('metrics.csv'));

    // Validation runs the same forward graph with the current values fed as inputs: one session per run.
    const valModel = await openSession(encodeModel(buildInferenceModel(doc, 'inputs', meta)), step.device, req.threads);
    const scorer = new Scorer(valModel.session, [spec.channels, spec.height, spec.width], classes, () => {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of step.modelValues()) feeds[k] = new ort.Tensor('float32', v, shapeOf(step, k));
      return feeds;
    }, dataOpts.normalize === 'mean-std' ? norm : undefined);

    const bs = settings.batchSize;
    const stepsPerEpoch = Math.ceil(train.count / bs);
    const totalSteps = Math.min(stepsPerEpoch * settings.epochs, req.maxSteps ?? Infinity);
    emit({ type: 'started', device: step.device, classNames: scan.classNames, trainCount: train.count, valCount: val.count, stepsPerEpoch, totalSteps });

    const rng = new Rng(settings.seed ^ 0x5eed);
    let stepNo = 0;
    let epoch = 0;
    let reason: 'finished' | 'max-steps' | 'stopped' = 'finished';
    const schedule = scheduleSettings(settings);
    // model.onnx always holds the last finished epoch; best.onnx the best by validation
    // (accuracy, then loss; training figures when there is no validation split).
    let best: { epoch: number; accuracy: number; loss: number } | null = null;
    let epochsDone = 0;
    // Batches are filled on their own thread, the next one while ONNX Runtime runs this step.
    prefetch = new Prefetcher(prefetchSource(train, spec, norm, dataOpts.augment, settings.seed, bs));
    const order = Array.from({ length: train.count }, (_, i) => i);
    const batchSize = (b: number) => Math.min(bs, train.count - b * bs);
    // ONNX Runtime refuses tensors over shared memory: each batch is copied out (a few µs).
    const per = spec.channels * spec.height * spec.width;
    const x = new Float32Array(bs * per);
    const y = new BigInt64Array(bs);

    outer: for (epoch = 1; epoch <= settings.epochs; epoch++) {
      rng.shuffle(order);
      prefetch.request(0, batchSize(0), order);
      const t0 = performance.now();
      let lossSum = 0;
      let correctSum = 0;
      let seen = 0;
      const finishEpoch = async () => {
        const seconds = (performance.now() - t0) / 1000;
        let valLoss: number | null = null;
        let valAccuracy: number | null = null;
        if (val.count) {
          const rep = report(await scoreSplit(scorer, val, classes), val.labels, scan.classNames, step.graph.forward.loss);
          valLoss = rep.loss;
          valAccuracy = rep.accuracy;
        }
        const e: EpochEvent = { type: 'epoch', step: stepNo, epoch, loss: seen ? lossSum / seen : NaN, accuracy: seen ? correctSum / seen : NaN, valLoss, valAccuracy, samplesPerSec: seen / seconds, seconds };
        emit(e);
        metrics.epoch(e);
        epochsDone = epoch;
        const model = encodeModel(buildInferenceModel(doc, step.modelValues(), meta));
        fs.writeFileSync(out('model.onnx'), model);
        const score = { epoch, accuracy: valAccuracy ?? e.accuracy, loss: valLoss ?? e.loss };
        if (!best || score.accuracy > best.accuracy || (score.accuracy === best.accuracy && score.loss < best.loss)) {
          best = score;
          fs.writeFileSync(out('best.onnx'), model);
        }
        writeCheckpoint(out('checkpoint.nwck'), { step: stepNo, epoch, t: step.t, rngState: Array.from(rng.state()), classNames: scan.classNames, doc }, step.values);
      };
      for (let b = 0; b < stepsPerEpoch; b++) {
        if (waitIfPaused) await waitIfPaused();
        if (shouldStop()) {
          reason = 'stopped';
          break outer;
        }
        const ts = performance.now();
        if (b + 1 < stepsPerEpoch) prefetch.request((b + 1) * bs, batchSize(b + 1));
        const batch = await prefetch.take();
        const n = batch.n;
        x.set(batch.x.subarray(0, n * per));
        y.set(batch.y.subarray(0, n));
        const lr = lrAt(settings.lr, schedule, stepNo + 1, stepsPerEpoch, totalSteps);
        const r = await step.run(x, y, n, lr, step.masks(n, rng));
        stepNo++;
        lossSum += r.loss * n;
        correctSum += r.correct;
        seen += n;
        const e: StepEvent = { type: 'step', step: stepNo, epoch, loss: r.loss, accuracy: r.correct / n, samplesPerSec: n / ((performance.now() - ts) / 1000), lr };
        emit(e);
        metrics.step(e);
        if (!Number.isFinite(r.loss)) throw new TrainingError(`the loss became ${r.loss} at step ${stepNo}; lower the learning rate (now ${lr})`);
        if (req.maxSteps && stepNo >= req.maxSteps) {
          reason = 'max-steps';
          await finishEpoch();
          break outer;
        }
      }
      await finishEpoch();
    }
    metrics.flush();
    // Stopped before any epoch finished: keep what there is rather than nothing.
    if (!epochsDone) fs.writeFileSync(out('model.onnx'), encodeModel(buildInferenceModel(doc, step.modelValues(), meta)));
    await valModel.session.release();
    await step.release();
    emit({ type: 'done', reason, step: stepNo, epoch: Math.min(epoch, settings.epochs), outDir: req.outDir, files, best });

  } finally {
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
