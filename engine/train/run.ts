// One training run, start to finish: data, sessions, the step loop, validation, and every
// output file. Runs inside the training worker; talks only through `emit`.
import fs from 'node:fs';
import path from 'node:path';
import { loadSplit, scanImageFolder, type ImageSpec, type LoadedSplit } from '../data/image-folder.ts';
import { buildInferenceModel, initialValues } from '../graph/compile.ts';
import { parseDocument, type NetworkDocument } from '../graph/document.ts';
import { inferShapes } from '../graph/infer.ts';
import { Rng } from '../graph/rng.ts';
import { encodeModel } from '../onnx/model.ts';
import { trainRequest, type EpochEvent, type StepEvent, type TrainEvent, type TrainRequest } from '../protocol.ts';
import { writeCheckpoint } from './checkpoint.ts';
import { MetricsWriter } from './metrics.ts';
import { openSession, ort } from './ort.ts';
import { report, Scorer } from './scorer.ts';
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

export async function runTraining(raw: TrainRequest, emit: (e: TrainEvent) => void, shouldStop: () => boolean): Promise<void> {
  const req = trainRequest.parse(raw);
  const doc = documentOrThrow(req.doc);
  const analysis = inferShapes(doc);
  if (!analysis.ok) {
    throw new TrainingError('the network has problems:\n' + analysis.problems.filter((p) => p.severity !== 'warning').map((p) => `  - [${p.nodeId ?? '-'}] ${p.message}`).join('\n'));
  }
  const settings = doc.training;
  const spec = imageSpec(doc);
  const classes = analysis.shapes.get(analysis.outputId!)![0];

  const scan = await scanImageFolder(req.dataDir, { valSplit: settings.valSplit, seed: settings.seed });
  if (scan.classNames.length !== classes) {
    throw new TrainingError(
      `the output head has ${classes} classes but ${req.dataDir} has ${scan.classNames.length} class folders (${scan.classNames.join(', ')}); set the units of the Dense layer before the output to ${scan.classNames.length}`,
    );
  }
  emit({ type: 'log', level: 'info', message: `decoding ${scan.train.length + scan.val.length} images (${scan.classNames.length} classes)` });
  const train = await loadSplit(scan.train, spec);
  const val = scan.val.length ? await loadSplit(scan.val, spec) : undefined;
  const skipped = [...scan.skipped, ...train.skipped, ...(val?.skipped ?? [])];
  fs.mkdirSync(req.outDir, { recursive: true });
  if (skipped.length) {
    const csv = 'path,reason\n' + skipped.map((s) => `${csvCell(s.path)},${csvCell(s.reason)}`).join('\n') + '\n';
    fs.writeFileSync(path.join(req.outDir, 'skipped.csv'), csv);
    emit({ type: 'log', level: 'warn', message: `skipped ${skipped.length} file(s); see ${path.join(req.outDir, 'skipped.csv')}` });
  }
  if (train.count === 0) throw new TrainingError(`no usable training images in ${req.dataDir}`);

  const step = await TrainingStep.create(doc, { device: req.device, threads: req.threads });
  if (step.fallback) emit({ type: 'log', level: 'warn', message: step.fallback });
  const meta = { classNames: scan.classNames, extra: { 'netwright.document': JSON.stringify(doc) } };
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
  });

  const bs = settings.batchSize;
  const per = spec.channels * spec.height * spec.width;
  const stepsPerEpoch = Math.ceil(train.count / bs);
  const totalSteps = Math.min(stepsPerEpoch * settings.epochs, req.maxSteps ?? Infinity);
  emit({ type: 'started', device: step.device, classNames: scan.classNames, trainCount: train.count, valCount: val?.count ?? 0, stepsPerEpoch, totalSteps });

  const rng = new Rng(settings.seed ^ 0x5eed);
  const x = new Float32Array(bs * per);
  const y = new BigInt64Array(bs);
  let stepNo = 0;
  let epoch = 0;
  let reason: 'finished' | 'max-steps' | 'stopped' = 'finished';
  const order = Array.from({ length: train.count }, (_, i) => i);

  outer: for (epoch = 1; epoch <= settings.epochs; epoch++) {
    rng.shuffle(order);
    const t0 = performance.now();
    let lossSum = 0;
    let correctSum = 0;
    let seen = 0;
    const finishEpoch = async () => {
      const seconds = (performance.now() - t0) / 1000;
      let valLoss: number | null = null;
      let valAccuracy: number | null = null;
      if (val?.count) {
        const rep = report(await scorer.probs(val.pixels, val.count), val.labels, scan.classNames, step.graph.forward.loss);
        valLoss = rep.loss;
        valAccuracy = rep.accuracy;
      }
      const e: EpochEvent = { type: 'epoch', step: stepNo, epoch, loss: seen ? lossSum / seen : NaN, accuracy: seen ? correctSum / seen : NaN, valLoss, valAccuracy, samplesPerSec: seen / seconds, seconds };
      emit(e);
      metrics.epoch(e);
      writeCheckpoint(out('checkpoint.nwck'), { step: stepNo, epoch, t: step.t, rngState: Array.from(rng.state()), classNames: scan.classNames, doc }, step.values);
    };
    for (let b = 0; b < stepsPerEpoch; b++) {
      if (shouldStop()) {
        reason = 'stopped';
        break outer;
      }
      const ts = performance.now();
      const n = Math.min(bs, train.count - b * bs);
      fillBatch(train, order, b * bs, n, per, x, y);
      const r = await step.run(x, y, n, settings.lr, step.masks(n, rng));
      stepNo++;
      lossSum += r.loss * n;
      correctSum += r.correct;
      seen += n;
      const e: StepEvent = { type: 'step', step: stepNo, epoch, loss: r.loss, accuracy: r.correct / n, samplesPerSec: n / ((performance.now() - ts) / 1000), lr: settings.lr };
      emit(e);
      metrics.step(e);
      if (!Number.isFinite(r.loss)) throw new TrainingError(`the loss became ${r.loss} at step ${stepNo}; lower the learning rate (now ${settings.lr})`);
      if (req.maxSteps && stepNo >= req.maxSteps) {
        reason = 'max-steps';
        await finishEpoch();
        break outer;
      }
    }
    await finishEpoch();
  }
  metrics.flush();
  fs.writeFileSync(out('model.onnx'), encodeModel(buildInferenceModel(doc, step.modelValues(), meta)));
  await valModel.session.release();
  await step.release();
  emit({ type: 'done', reason, step: stepNo, epoch: Math.min(epoch, settings.epochs), outDir: req.outDir, files });

  function fillBatch(split: LoadedSplit, idx: number[], start: number, n: number, size: number, xb: Float32Array, yb: BigInt64Array) {
    for (let i = 0; i < n; i++) {
      const j = idx[start + i];
      const src = split.pixels.subarray(j * size, (j + 1) * size);
      const o = i * size;
      for (let k = 0; k < size; k++) xb[o + k] = src[k] / 255;
      yb[i] = BigInt(split.labels[j]);
    }
  }
}

function shapeOf(step: TrainingStep, name: string): number[] {
  const f = step.graph.forward;
  return [...f.weights, ...f.states].find((w) => w.name === name)!.shape;
}

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
