// Evaluation of a run's model on its validation split: the figures (confusion, per-class
// precision/recall/F1), the images behind every confusion cell, and the most confident mistakes.
import path from 'node:path';
import type { EvalResult } from '../protocol.ts';
import { openModel } from '../train/predictor.ts';
import { argmax, report } from '../train/scorer.ts';
import type { Project } from './project.ts';
import { runModel, validationImages } from './run-model.ts';

const PER_CELL = 200;
const MISTAKES = 48;

export async function evaluateRun(project: Project, runId: string, which: 'best' | 'last'): Promise<EvalResult> {
  const m = runModel(project, runId, which);
  const { split, classNames, dataDir } = await validationImages(m);
  const model = await openModel(m.file);
  let probs: Float32Array;
  try {
    probs = await model.scorer.probs(split.pixels, split.count);
  } finally {
    await model.release();
  }
  const k = classNames.length;
  const rep = report(probs, split.labels, classNames, model.loss);
  const cells = classNames.map(() => classNames.map(() => [] as string[]));
  const mistakes: EvalResult['mistakes'] = [];
  for (let i = 0; i < split.count; i++) {
    const label = split.labels[i];
    const predicted = argmax(probs, i * k, k);
    const rel = path.relative(dataDir, split.paths[i]);
    if (cells[label][predicted].length < PER_CELL) cells[label][predicted].push(rel);
    if (predicted !== label) mistakes.push({ path: rel, label, predicted, confidence: probs[i * k + predicted] });
  }
  mistakes.sort((a, b) => b.confidence - a.confidence);
  return {
    runId,
    model: path.basename(m.file),
    dataDir,
    classNames,
    count: rep.count,
    accuracy: rep.accuracy,
    loss: rep.loss,
    confusion: rep.confusion,
    perClass: rep.perClass.map((c) => ({ ...c, f1: c.precision + c.recall > 0 ? (2 * c.precision * c.recall) / (c.precision + c.recall) : 0 })),
    cells,
    mistakes: mistakes.slice(0, MISTAKES),
  };
}
