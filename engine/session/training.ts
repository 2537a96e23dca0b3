// One training run at a time per engine: start it on a worker thread, pause/resume/stop it, keep
// its points for pages that connect mid-run, record it in the runs history, and pass its
// events, coalesced, to whoever listens (the web bridge, the Electron port).
import fs from 'node:fs';
import path from 'node:path';
import { loadCheckpoint } from '../train/checkpoint.ts';
import { checkMemory, documentOrThrow } from '../train/prepare.ts';
import { startTraining, type TrainingHandle } from '../train/run-client.ts';
import { nested, said, textOf } from '../graph/error-codes.ts';
import { EngineError, type EngineText, type DoneEvent, type EpochEvent, type ServerEvent, type StartedEvent, type StepPoint, type TrainingStatus, type MethodParams } from '../protocol.ts';
import type { TrainEvent, TrainRequest } from '../train/messages.ts';
import { StepCoalescer } from './coalesce.ts';
import { runName, type Project } from './project.ts';
import { finishRecord, newRunRecord, readRunRecord, writeRunRecord, type RunRecord } from './runs.ts';

type State = TrainingStatus['state'];

export class TrainingSession {
  private handle: TrainingHandle | null = null;
  private state: State = 'idle';
  private runId: string | null = null;
  private started: StartedEvent | null = null;
  private points: StepPoint[] = [];
  private epochs: EpochEvent[] = [];
  private done: DoneEvent | null = null;
  private error: string | null = null;
  private errorText: EngineText | undefined;
  private listeners = new Set<(e: ServerEvent) => void>();
  /** Resolves when the current run has ended (tests, shutdown). */
  finished: Promise<void> = Promise.resolve();

  constructor(private readonly project: Project, private readonly opts: { intervalMs?: number; threads?: number } = {}) {}

  onEvent(fn: (e: ServerEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get activeRun(): string | null {
    return this.state === 'idle' ? null : this.runId;
  }

  /** `o`: startTraining's params, defaults filled in by the method table (engine/protocol.ts). */
  start(rawDoc: unknown, dataDirIn: string, o: Pick<MethodParams<'startTraining'>, 'docPath' | 'maxSteps' | 'device' | 'allowLarge'>): { runId: string; outDir: string } {
    if (this.state !== 'idle') throw new EngineError('refused', `a run is already ${this.state} (${this.runId}); stop it first`, said('run-busy', { state: this.state, runId: String(this.runId) }));
    let doc;
    try {
      doc = documentOrThrow(rawDoc);
    } catch (e) {
      throw new EngineError('bad-request', (e as Error).message, textOf(e));
    }
    try {
      checkMemory(doc, o.allowLarge);
    } catch (e) {
      throw new EngineError('refused', (e as Error).message, textOf(e));
    }
    // The weights file of an imported model is named relative to the document's folder.
    if (doc.weights && !path.isAbsolute(doc.weights)) doc.weights = path.resolve(this.project.root, o.docPath ? path.dirname(o.docPath) : '.', doc.weights);
    const dataDir = this.project.dataDir(dataDirIn);
    const runId = uniqueRun(this.project.runsDir, runName(doc.name));
    const outDir = path.join(this.project.runsDir, runId);
    fs.mkdirSync(this.project.runsDir, { recursive: true });
    // Not recursive: the folder is this run's alone, never one that another run made meanwhile.
    try {
      fs.mkdirSync(outDir);
    } catch (e) {
      const error = String((e as NodeJS.ErrnoException).code);
      throw new EngineError('exists', `cannot create the run folder ${outDir}: ${error}`, said('run-folder-exists', { dir: outDir, error }));
    }
    const record: RunRecord = newRunRecord(doc, dataDir, o.docPath, o.device);
    writeRunRecord(outDir, record);
    return this.launch(runId, outDir, record, { doc, dataDir, outDir, maxSteps: o.maxSteps, threads: this.opts.threads, device: o.device, allowLarge: o.allowLarge });
  }

  /**
   * Continues a stopped, interrupted (engine crash) or finished run from its checkpoint, in its
   * own folder; `epochs` extends it (the total, as in `netwright train --resume --epochs`).
   */
  continueRun(runId: string, o: Pick<MethodParams<'continueTraining'>, 'epochs' | 'device' | 'allowLarge'>): { runId: string; outDir: string } {
    if (this.state !== 'idle') throw new EngineError('refused', `a run is already ${this.state} (${this.runId}); stop it first`, said('run-busy', { state: this.state, runId: String(this.runId) }));
    const outDir = this.project.runDir(runId);
    let header;
    try {
      header = loadCheckpoint(outDir).header;
    } catch (e) {
      throw new EngineError('not-found', `run ${runId} cannot be continued: ${(e as Error).message}`, said('cannot-continue', { runId, reason: nested(e) }));
    }
    let record: RunRecord;
    try {
      record = readRunRecord(outDir);
    } catch (e) {
      const file = path.join(outDir, 'run.json');
      throw new EngineError('io', `cannot read ${file}: ${(e as Error).message}`, said('run-record-unreadable', { file, reason: nested(e) }));
    }
    const named = header.dataDir ?? record.dataDir;
    if (typeof named !== 'string') throw new EngineError('bad-request', `run ${runId} names no dataset folder`, said('run-no-dataset', { runId }));
    // Checked like every dataset folder: the checkpoint and run.json are files in the project.
    const dataDir = this.project.dataDir(named);
    const done = header.epoch;
    const total = (header.doc as { training?: { epochs?: number } } | undefined)?.training?.epochs ?? done;
    const target = o.epochs ?? total;
    const midEpoch = !!header.cursor && header.cursor.batch > 0;
    const min = Math.max(1, midEpoch ? header.cursor!.epoch : done);
    if (target < min) {
      if (midEpoch) throw new EngineError('bad-request', `run ${runId} has epoch ${header.cursor!.epoch} in progress; continue it to ${min} epochs or more`, said('continue-in-epoch', { runId, epoch: header.cursor!.epoch, min }));
      throw new EngineError('bad-request', `run ${runId} has ${done} epoch(s) finished; continue it to ${min} epochs or more`, said('continue-below', { runId, done, min }));
    }
    if (target <= done && !midEpoch) throw new EngineError('bad-request', `run ${runId} has finished its ${done} epoch(s); give more epochs to continue it`, said('continue-finished', { runId, done }));
    record = { ...record, status: 'running', settings: { ...record.settings, epochs: target, ...(o.device ? { device: o.device } : {}) }, error: undefined };
    writeRunRecord(outDir, record);
    return this.launch(runId, outDir, record, { doc: undefined, resume: true, epochs: o.epochs, dataDir, outDir, threads: this.opts.threads, device: o.device, allowLarge: o.allowLarge });
  }

  private launch(runId: string, outDir: string, first: RunRecord, request: TrainRequest): { runId: string; outDir: string } {
    let record = first;
    Object.assign(this, { state: 'starting', runId, started: null, points: [], epochs: [], done: null, error: null, errorText: undefined });
    const send = (event: ServerEvent['event']) => {
      for (const l of this.listeners) l({ runId, event });
    };
    const coalescer = new StepCoalescer(send, this.opts.intervalMs);
    let heldError: (TrainEvent & { type: 'error' }) | null = null;
    const onEvent = (e: TrainEvent) => {
      if (e.type === 'step') {
        const { type: _, ...p } = e;
        this.points.push(p);
      } else if (e.type === 'epoch') this.epochs.push(e);
      else if (e.type === 'started') (this.started = e, this.state === 'starting' && (this.state = 'running'));
      else if (e.type === 'paused') this.state = this.state === 'stopping' ? 'stopping' : 'paused';
      else if (e.type === 'resumed') this.state = this.state === 'stopping' ? 'stopping' : 'running';
      else if (e.type === 'done') {
        // Held until run.json says how the run ended: a page that lists runs on 'done' sees it.
        this.done = e;
        return;
      } else if (e.type === 'error') {
        // Held too: a page that lists runs on 'error' must find run.json saying 'error', with the reason.
        this.error = e.message;
        this.errorText = e.text;
        heldError = e;
        return;
      }
      coalescer.push(e);
    };
    this.handle = startTraining(request, onEvent);
    this.finished = this.handle.finished.then((end) => {
      coalescer.flush();
      record = finishRecord(record, end, this.epochs.at(-1));
      try {
        writeRunRecord(outDir, record);
      } catch {
        // the run folder went away; the events already said how the run ended
      }
      if (end.type === 'error' && !this.error) (this.error = end.message, this.errorText = end.text);
      this.state = 'idle';
      this.handle = null;
      if (heldError) send(heldError);
      else if (end.type === 'error') send(end);
      if (this.done) send(this.done);
    });
    return { runId, outDir };
  }

  pause(): { state: State } {
    if (this.state === 'running' || this.state === 'starting') this.handle?.pause();
    return { state: this.state };
  }

  resume(): { state: State } {
    if (this.state === 'paused' || this.state === 'running' || this.state === 'starting') this.handle?.resume();
    return { state: this.state };
  }

  /** Stops after the current step; the run keeps the last finished epoch (model.onnx) and the best (best.onnx). */
  stop(): { state: State } {
    if (this.handle && this.state !== 'idle') {
      this.handle.stop();
      this.state = 'stopping';
    }
    return { state: this.state };
  }

  status(): TrainingStatus {
    return { state: this.state, runId: this.runId, started: this.started, points: this.points, epochs: this.epochs, done: this.done, error: this.error, ...(this.errorText ? { errorText: this.errorText } : {}) };
  }
}

function uniqueRun(dir: string, base: string): string {
  let name = base;
  for (let i = 2; fs.existsSync(path.join(dir, name)); i++) name = `${base}-${i}`;
  return name;
}
