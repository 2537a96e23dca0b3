// Runs history: each run folder holds run.json (settings, dataset, status, final figures) beside
// metrics.csv and the models. Listing reads those files only.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.ts';
import type { NetworkDocument } from '../graph/document.ts';
import { engineText, type DoneEvent, type EngineText, type EpochEvent, type RunCurves, type RunSummary } from '../protocol.ts';

export interface RunRecord {
  name: string;
  dataDir: string;
  docPath: string | null;
  startedAt: string;
  status: RunSummary['status'];
  settings: Record<string, unknown>;
  doc: unknown;
  epochs: number;
  steps: number;
  final: RunSummary['final'];
  best: RunSummary['best'];
  error?: string;
  /** The error as code + params (engine/graph/error-codes.ts), when it has them. */
  errorText?: EngineText;
  /** Display name given by the user; the folder name (the run id) never changes. */
  title?: string;
}

/** The record of a run that starts now (the app and the CLI write the same one). */
export function newRunRecord(doc: NetworkDocument, dataDir: string, docPath: string | null, device: string): RunRecord {
  return {
    name: doc.name, dataDir: path.resolve(dataDir), docPath, startedAt: new Date().toISOString(), status: 'running',
    settings: { ...doc.training, device } as Record<string, unknown>, doc, epochs: 0, steps: 0, final: null, best: null,
  };
}

export function writeRunRecord(dir: string, r: RunRecord): void {
  // A title set while the run was going (renameRun) survives the run's own later writes.
  if (r.title === undefined) {
    try {
      const old = readRunRecord(dir).title;
      if (typeof old === 'string') r = { ...r, title: old };
    } catch {
      // no record yet
    }
  }
  writeFileAtomic(path.join(dir, 'run.json'), JSON.stringify(r, null, 2) + '\n');
}

/** Sets (or, with an empty title, clears) a run's display name in its run.json. */
export function renameRun(runId: string, dir: string, title: string): { runId: string; title: string | null } {
  const t = title.trim().replace(/\s+/g, ' ');
  writeRunRecord(dir, { ...readRunRecord(dir), title: t });
  return { runId, title: t || null };
}

export function readRunRecord(dir: string): RunRecord {
  return JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
}

export function finishRecord(r: RunRecord, done: DoneEvent | { type: 'error'; message: string; text?: EngineText }, lastEpoch: EpochEvent | undefined): RunRecord {
  const final = lastEpoch ? { loss: lastEpoch.loss, accuracy: lastEpoch.accuracy, valLoss: lastEpoch.valLoss, valAccuracy: lastEpoch.valAccuracy } : null;
  // A continued run that ends before an epoch keeps the figures it had.
  if (done.type === 'error') return { ...r, status: 'error', error: done.message, ...(done.text ? { errorText: done.text } : {}), final: final ?? r.final };
  return { ...r, status: done.reason, epochs: lastEpoch?.epoch ?? r.epochs, steps: done.step, final: final ?? r.final, best: done.best ?? null, error: undefined, errorText: undefined };
}

/** Newest first. A run whose engine went away mid-run says 'interrupted'. */
export function listRuns(runsDir: string, active: string | null): RunSummary[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(runsDir);
  } catch {
    return [];
  }
  const out: RunSummary[] = [];
  for (const runId of names) {
    const dir = path.join(runsDir, runId);
    let r: RunRecord;
    try {
      r = readRunRecord(dir);
    } catch {
      continue;
    }
    out.push({
      runId,
      name: r.name,
      dataDir: r.dataDir,
      startedAt: r.startedAt,
      status: r.status === 'running' && runId !== active ? 'interrupted' : r.status,
      settings: r.settings,
      epochs: r.epochs,
      steps: r.steps,
      final: r.final,
      best: r.best,
      hasModel: fs.existsSync(path.join(dir, 'model.onnx')),
      canContinue: ['checkpoint.nwck', 'checkpoint.prev.nwck'].some((f) => fs.existsSync(path.join(dir, f))),
      title: typeof r.title === 'string' && r.title ? r.title : null,
      docPath: typeof r.docPath === 'string' ? r.docPath : null,
      error: typeof r.error === 'string' ? r.error : null,
      ...(typeof r.error === 'string' && engineText.safeParse(r.errorText).success ? { errorText: r.errorText } : {}),
    });
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

/** Curves from metrics.csv: step rows have empty validation columns, epoch rows follow each epoch. */
export function readCurves(runId: string, dir: string): RunCurves {
  const steps: RunCurves['steps'] = [];
  const epochs: RunCurves['epochs'] = [];
  let text = '';
  try {
    text = fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8');
  } catch {
    return { runId, steps, epochs };
  }
  const num = (s: string | undefined) => (s === undefined || s === '' ? null : Number(s));
  const lines = text.trim().split('\n').slice(1);
  // An epoch row repeats the step number of the epoch's last step; it is the second row with that step.
  let lastStep = -1;
  for (const line of lines) {
    const c = line.split(',');
    const step = Number(c[0]);
    const isEpoch = c[4] !== '' || step === lastStep;
    if (isEpoch) epochs.push({ epoch: Number(c[1]), step, loss: num(c[2]), accuracy: num(c[3]), valLoss: num(c[4]), valAccuracy: num(c[5]) });
    else steps.push([step, Number(c[2]), Number(c[3])]);
    lastStep = step;
  }
  return { runId, steps, epochs };
}
