// Export > PyTorch and Try it > Predict a folder: the app's side of `netwright export-pytorch`
// and `netwright predict --csv`, writing into the project (exports/, predictions/).
import fs from 'node:fs';
import path from 'node:path';
import { ExportRefusal, exportPyTorch, loadSource } from '../export/pytorch/export.ts';
import { nested, said } from '../graph/error-codes.ts';
import { EngineError, type PredictFolderResult, type PyTorchExportResult } from '../protocol.ts';
import { collectImages, openModel, predictFiles, predictionsCsv } from '../train/predictor.ts';
import type { Project } from './project.ts';
import { runModel } from './run-model.ts';

export function exportRunPyTorch(project: Project, runId: string, which: 'best' | 'last'): PyTorchExportResult {
  const m = runModel(project, runId, which);
  const outDir = path.join(project.exportsDir, `${runId}${which === 'best' ? '' : '-last'}-pytorch`);
  try {
    const r = exportPyTorch(loadSource(m.file), outDir);
    return { outDir: r.outDir, files: r.files.map((f) => path.basename(f)), className: r.className, weights: r.weights !== null };
  } catch (e) {
    if (e instanceof ExportRefusal) throw new EngineError('refused', e.message, said('export-refused', { detail: nested(e) }));
    throw e;
  }
}

const ROWS_SHOWN = 200;

export async function predictFolder(project: Project, runId: string, which: 'best' | 'last', dataDir: string, top: number): Promise<PredictFolderResult> {
  const m = runModel(project, runId, which);
  const dir = project.dataDir(dataDir);
  const model = await openModel(m.file);
  const t0 = performance.now();
  let rows;
  try {
    rows = await predictFiles(model, collectImages([dir], model.classNames), { top });
  } finally {
    await model.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  const outDir = path.join(project.root, 'predictions');
  fs.mkdirSync(outDir, { recursive: true });
  const csv = path.join(outDir, `${runId}-${path.basename(dir)}-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.csv`);
  fs.writeFileSync(csv, predictionsCsv(rows.map((r) => ({ ...r, path: path.relative(dir, r.path) })), top));
  const labelled = rows.filter((r) => r.top && r.trueClass);
  return {
    csv,
    dataDir: dir,
    files: rows.length,
    classified: rows.filter((r) => r.top).length,
    labelled: labelled.length,
    correct: labelled.filter((r) => r.top![0].class === r.trueClass).length,
    seconds,
    rows: rows.slice(0, ROWS_SHOWN).map((r) => ({ path: path.relative(dir, r.path), trueClass: r.trueClass ?? null, top: r.top ?? [], error: r.error ?? null })),
  };
}
