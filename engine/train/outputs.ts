// Every file a training run writes into its folder: dataset.json and skipped.csv (what was
// read), init.onnx, model.onnx (the last finished epoch), best.onnx (the best by validation),
// metrics.csv and the checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedDataset } from '../data/cache.ts';
import { datasetReport } from '../data/report.ts';
import type { FolderScan } from '../data/scan.ts';
import { buildInferenceModel, type ModelMeta } from '../graph/compile.ts';
import type { NetworkDocument } from '../graph/document.ts';
import { problemMessage, said } from '../graph/error-codes.ts';
import { encodeModel } from '../onnx/model.ts';
import type { TrainEvent } from './messages.ts';
import { runHeader, writeCheckpoint, type RunState } from './checkpoint.ts';
import { MetricsWriter } from './metrics.ts';

/** dataset.json, and skipped.csv when files were skipped; logs the report's warnings. */
export function writeDatasetFiles(dir: string, scan: FolderScan, data: LoadedDataset, emit: (e: TrainEvent) => void): void {
  fs.mkdirSync(dir, { recursive: true });
  const rep = datasetReport(scan, data);
  fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify(rep, null, 2) + '\n');
  for (const w of rep.issues) {
    const { message, ...text } = problemMessage(w);
    emit({ type: 'log', level: 'warn', message, text });
  }
  if (data.skipped.length) {
    const csv = 'path,reason\n' + data.skipped.map((s) => `${csvCell(s.path)},${csvCell(s.reason)}`).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'skipped.csv'), csv);
    const reasons = Object.entries(rep.skippedByReason).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join(', ');
    const csvPath = path.join(dir, 'skipped.csv');
    // The reasons stay in the English line; the dataset report lists them in the UI's language.
    emit({ type: 'log', level: 'warn', message: `skipped ${data.skipped.length} file(s) (${reasons}); see ${csvPath}`, text: said('skipped-files', { count: data.skipped.length, csv: csvPath }) });
  }
}

/** The model files, metrics.csv and the checkpoint; `files` lists those written, in order. */
export class RunOutputs {
  readonly files: string[] = [];
  readonly metrics: MetricsWriter;

  /** Writes init.onnx (`init`: the start values) and metrics.csv (the rows in `history`). */
  constructor(readonly dir: string, private readonly doc: NetworkDocument, private readonly meta: ModelMeta, init: Map<string, Float32Array>, history: string) {
    fs.writeFileSync(this.out('init.onnx'), encodeModel(buildInferenceModel(doc, init, meta)));
    this.metrics = new MetricsWriter(this.out('metrics.csv'), history);
  }

  private out(name: string): string {
    const p = path.join(this.dir, name);
    if (!this.files.includes(p)) this.files.push(p);
    return p;
  }

  /** model.onnx from `values`; its bytes. */
  writeModel(values: Map<string, Float32Array>): Uint8Array {
    const model = encodeModel(buildInferenceModel(this.doc, values, this.meta));
    fs.writeFileSync(this.out('model.onnx'), model);
    return model;
  }

  writeBest(model: Uint8Array): void {
    fs.writeFileSync(this.out('best.onnx'), model);
  }

  /** checkpoint.nwck: the state and every carried value (checkpoint.ts keeps the previous one). */
  writeCheckpoint(state: RunState, values: Map<string, Float32Array>): void {
    writeCheckpoint(this.out('checkpoint.nwck'), runHeader(state), values);
  }
}

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
