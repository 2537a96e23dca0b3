// A finished (or stopped) run's model, with what it was trained on: the document, the dataset
// folder, and the validation split that the run held out (same seed, same split).
import fs from 'node:fs';
import path from 'node:path';
import { scanImageFolder, loadSplit, type LoadedSplit } from '../data/image-folder.ts';
import { dataSettings, type NetworkDocument } from '../graph/document.ts';
import { nested, said } from '../graph/error-codes.ts';
import { EngineError } from '../protocol.ts';
import { documentOrThrow, imageSpec } from '../train/prepare.ts';
import type { Project } from './project.ts';
import { readRunRecord, type RunRecord } from './runs.ts';

export interface RunModel {
  runId: string;
  dir: string;
  record: RunRecord;
  doc: NetworkDocument;
  /** best.onnx or model.onnx */
  file: string;
  /**
   * The run's dataset folder, checked like every dataset folder the editor names (Project.dataDir):
   * run.json is a file in the project, and what it says is not trusted further than that.
   */
  dataDir(): string;
}

export function runModel(project: Project, runId: string, which: 'best' | 'last'): RunModel {
  const dir = project.runDir(runId);
  const record = readRunRecord(dir);
  const best = path.join(dir, 'best.onnx');
  const last = path.join(dir, 'model.onnx');
  const file = which === 'best' && fs.existsSync(best) ? best : last;
  if (!fs.existsSync(file)) throw new EngineError('not-found', `run ${runId} has no model yet (it writes model.onnx when its first epoch ends)`, said('no-model', { runId }));
  const dataDir = () => {
    if (typeof record.dataDir !== 'string') throw new EngineError('bad-request', `run ${runId}'s run.json names no dataset folder`, said('run-json-no-dataset', { runId }));
    try {
      return project.dataDir(record.dataDir);
    } catch (e) {
      throw new EngineError((e as EngineError).code ?? 'refused', `run ${runId}'s dataset: ${(e as Error).message}`, said('run-dataset', { runId, reason: nested(e) }));
    }
  };
  return { runId, dir, record, doc: documentOrThrow(record.doc, { ...said('run-document', { runId }), message: `run ${runId}'s document` }), file, dataDir };
}

/** The run's validation images, decoded as the network sees them (at most `limit`). */
export async function validationImages(m: RunModel, limit = Infinity): Promise<{ split: LoadedSplit; classNames: string[]; dataDir: string }> {
  const dataDir = m.dataDir();
  const scan = await scanImageFolder(dataDir, { valSplit: m.doc.training.valSplit, seed: m.doc.training.seed }).catch((e: Error) => {
    throw new EngineError('not-found', `cannot read the run's dataset ${dataDir}: ${e.message}`, said('run-dataset-unreadable', { dir: dataDir, reason: nested(e) }));
  });
  // No validation split (valSplit 0): evaluate on the training images, and say so through dataDir.
  const samples = (scan.val.length ? scan.val : scan.train).slice(0, limit);
  const split = await loadSplit(samples, { ...imageSpec(m.doc), resize: dataSettings(m.doc.training).resize });
  return { split, classNames: scan.classNames, dataDir };
}
