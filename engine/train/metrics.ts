// metrics.csv: one row per optimizer step (val columns empty) and one row per finished epoch
// (epoch means of the training loss and accuracy, plus the validation figures).
import fs from 'node:fs';
import type { EpochEvent } from '../protocol.ts';
import type { StepEvent } from './messages.ts';

export const METRICS_HEADER = 'step,epoch,loss,accuracy,val_loss,val_accuracy,samples_per_s';

const f = (x: number | null | undefined, digits = 6): string => (x === null || x === undefined || Number.isNaN(x) ? '' : x.toFixed(digits));

export class MetricsWriter {
  private rows: string[] = [];
  /** Every row so far, without the header: a checkpoint carries it, so a resumed run rewrites the file and goes on. */
  history: string;
  constructor(private readonly file: string, history = '') {
    this.history = history;
    fs.writeFileSync(file, METRICS_HEADER + '\n' + history);
  }
  step(e: StepEvent): void {
    this.push([e.step, e.epoch, f(e.loss), f(e.accuracy), '', '', f(e.samplesPerSec, 1)].join(','));
    if (this.rows.length >= 500) this.flush();
  }
  epoch(e: EpochEvent): void {
    this.push([e.step, e.epoch, f(e.loss), f(e.accuracy), f(e.valLoss), f(e.valAccuracy), f(e.samplesPerSec, 1)].join(','));
    this.flush();
  }
  private push(row: string): void {
    this.rows.push(row);
    this.history += row + '\n';
  }
  flush(): void {
    if (this.rows.length) fs.appendFileSync(this.file, this.rows.join('\n') + '\n');
    this.rows = [];
  }
}
