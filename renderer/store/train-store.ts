// What the Train, Evaluate, Try it and Export views show: the chosen dataset and its report, the
// live run (every step point, columnar for the plots), the runs history and an overlaid run.
// Pure TypeScript: the engine's events go in, views subscribe.
import { EngineError, type EngineText } from '../../engine/protocol.ts';
import type { AugmentPreviewResult, DatasetReportResult, DeviceInfo, DeviceName, DivergedEvent, EpochEvent, RunCurves, RunSummary, ServerEvent, StartedEvent, StepPoint, TrainingStatus } from '../../engine/protocol.ts';

export type RunState = TrainingStatus['state'];

/** One column per quantity, so the plots get arrays without copying. */
export interface Series {
  step: number[];
  loss: number[];
  accuracy: number[];
  lr: number[];
  samplesPerSec: number[];
  epoch: number[];
}

export interface TrainState {
  dataDir: string | null;
  report: DatasetReportResult | null;
  reportError: string | null;
  /** The report's error as code + params (engine/graph/error-codes.ts), for the UI's language. */
  reportErrorText: EngineText | null;
  reportLoading: boolean;
  /** A few training images after the document's augmentation, beside the originals. */
  preview: AugmentPreviewResult | null;
  /** Why there is no preview: the engine's error (shown through engineText, so it follows the UI's language). */
  previewError: Error | string | null;
  runId: string | null;
  runState: RunState;
  started: StartedEvent | null;
  series: Series;
  epochs: EpochEvent[];
  /** The run that finished last (or was stopped), with how it ended. */
  done: { reason: string; step: number; best: { epoch: number; accuracy: number; loss: number } | null } | null;
  error: string | null;
  errorText: EngineText | null;
  /** The run's log: each line with its code + params (`text`) or, from a divergence, the event, so it shows in the UI's language (renderer/i18n/train.ts). */
  logs: LogLine[];
  /** Where and why the current run diverged (marked on the step-loss plot). */
  diverged: DivergedEvent | null;
  /** When the current run's first step arrived (ms, performance.now), for the time left. */
  firstStepAt: number | null;
  runs: RunSummary[];
  overlay: RunCurves | null;
  /** CPU and the GPU providers as the engine found them; the chosen one trains the next run. */
  devices: DeviceInfo[];
  device: DeviceName;
  /** Bumped on every change to the series: charts redraw when it moves. */
  version: number;
}

/** A line of the run's log: the engine's English `message`, and what the UI shows in its language. */
export interface LogLine { level: 'info' | 'warn'; message: string; text?: EngineText; diverged?: DivergedEvent }

const emptySeries = (): Series => ({ step: [], loss: [], accuracy: [], lr: [], samplesPerSec: [], epoch: [] });

export class TrainStore {
  private state: TrainState = {
    dataDir: null, report: null, reportError: null, reportErrorText: null, reportLoading: false, preview: null, previewError: null, runId: null, runState: 'idle', started: null,
    series: emptySeries(), epochs: [], done: null, error: null, errorText: null, logs: [], diverged: null, firstStepAt: null, runs: [], overlay: null, devices: [], device: 'cpu', version: 0,
  };
  private listeners = new Set<() => void>();

  getState = (): TrainState => this.state;
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  private set(patch: Partial<TrainState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  setDataDir(dataDir: string | null): void {
    if (dataDir !== this.state.dataDir) this.set({ dataDir, report: null, reportError: null, reportErrorText: null, preview: null, previewError: null });
  }
  /** `error`: why there is no report (an EngineError keeps its code and params). */
  setReport(report: DatasetReportResult | null, error: string | Error | null = null): void {
    const text = error instanceof EngineError ? (error.text ?? null) : null;
    this.set({ report, reportError: error instanceof Error ? error.message : error, reportErrorText: text, reportLoading: false });
  }
  setPreview(preview: AugmentPreviewResult | null, error: Error | string | null = null): void {
    this.set({ preview, previewError: error });
  }
  setReportLoading(): void {
    this.set({ reportLoading: true, reportError: null, reportErrorText: null });
  }
  /** A device that turns out unavailable is never kept chosen. */
  setDevices(devices: DeviceInfo[]): void {
    const ok = devices.some((d) => d.device === this.state.device && d.available);
    this.set({ devices, device: ok ? this.state.device : 'cpu' });
  }
  setDevice(device: DeviceName): void {
    if (this.state.devices.some((d) => d.device === device && d.available)) this.set({ device });
  }
  setRuns(runs: RunSummary[]): void {
    this.set({ runs });
  }
  setOverlay(overlay: RunCurves | null): void {
    this.set({ overlay, version: this.state.version + 1 });
  }

  /**
   * Another document was opened: the Train view belongs to it, so the last run's curves, progress
   * and overlay go (a run still going stays: it is the only one the engine can have).
   */
  resetForDocument(): void {
    if (this.state.runState !== 'idle') return;
    this.set({ runId: null, started: null, series: emptySeries(), epochs: [], done: null, error: null, errorText: null, logs: [], diverged: null, firstStepAt: null, overlay: null, version: this.state.version + 1 });
  }

  /**
   * A run was started from this page: clear the plots before its first event. The start reply
   * can come after the run's first events (a refusal is emitted at once): those are kept, never
   * reset back to 'starting'.
   */
  beginRun(runId: string): void {
    const early = this.early?.runId === runId ? this.early.events : [];
    this.early = null;
    if (this.state.runId === runId) return;
    this.reset(runId);
    for (const e of early) this.handle({ runId, event: e });
  }

  /**
   * Events of a run this page does not follow yet, other than 'started' and 'log' (which make it
   * follow the run): a refusal's 'error' can come before the start reply, and beginRun replays it.
   * Only the latest such run's, and only its last few.
   */
  private early: { runId: string; events: ServerEvent['event'][] } | null = null;

  /**
   * A run of this page is continued (same run id): its old curves go now, before the request,
   * so the continuation's first events, which can come before the reply, land on a clean slate.
   */
  continueRun(runId: string): void {
    this.reset(runId);
  }

  /** The continue request was refused: nothing started. */
  continueRefused(runId: string): void {
    if (this.state.runId === runId && this.state.runState === 'starting') this.set({ runState: 'idle' });
  }

  private reset(runId: string): void {
    this.set({ runId, runState: 'starting', started: null, series: emptySeries(), epochs: [], done: null, error: null, errorText: null, logs: [], diverged: null, firstStepAt: null, version: this.state.version + 1 });
  }

  /** The engine's view of the current run (page load, reconnect). */
  loadStatus(s: TrainingStatus): void {
    if (!s.runId) return;
    this.reset(s.runId);
    this.addPoints(s.points);
    this.set({
      runState: s.state,
      started: s.started,
      epochs: s.epochs,
      done: s.done ? { reason: s.done.reason, step: s.done.step, best: s.done.best ?? null } : null,
      error: s.error,
      errorText: s.errorText ?? null,
    });
  }

  handle({ runId, event: e }: ServerEvent): void {
    if (runId !== this.state.runId) {
      // A run started elsewhere (another page): follow it from here on. Other events wait for beginRun.
      if (e.type !== 'started' && e.type !== 'log') {
        if (this.early?.runId !== runId) this.early = { runId, events: [] };
        this.early.events = [...this.early.events.slice(-15), e];
        return;
      }
      this.reset(runId);
    }
    switch (e.type) {
      case 'steps':
        if (this.state.firstStepAt === null) this.state.firstStepAt = performance.now();
        this.addPoints(e.points);
        this.set({ runState: this.state.runState === 'starting' ? 'running' : this.state.runState, version: this.state.version + 1 });
        break;
      case 'epoch':
        this.set({ epochs: [...this.state.epochs, e], version: this.state.version + 1 });
        break;
      case 'started':
        this.set({ started: e, runState: 'running' });
        break;
      case 'paused':
        this.set({ runState: this.state.runState === 'stopping' ? 'stopping' : 'paused' });
        break;
      case 'resumed':
        this.set({ runState: this.state.runState === 'stopping' ? 'stopping' : 'running' });
        break;
      case 'log':
        this.set({ logs: [...this.state.logs.slice(-50), { level: e.level, message: e.message, ...(e.text ? { text: e.text } : {}) }] });
        break;
      case 'done':
        this.set({ runState: 'idle', done: { reason: e.reason, step: e.step, best: e.best ?? null } });
        break;
      case 'error':
        this.set({ runState: 'idle', error: e.message, errorText: e.text ?? null });
        break;
      case 'diverged':
        this.set({ diverged: e, logs: [...this.state.logs.slice(-50), { level: 'warn', message: `diverged at step ${e.step}: ${e.message}; ${e.hint}`, diverged: e }] });
        break;
    }
  }

  markState(runState: RunState): void {
    if (this.state.runState !== 'idle') this.set({ runState });
  }

  private addPoints(points: StepPoint[]): void {
    const s = this.state.series;
    for (const p of points) {
      s.step.push(p.step);
      s.loss.push(p.loss);
      s.accuracy.push(p.accuracy);
      s.lr.push(p.lr);
      s.samplesPerSec.push(p.samplesPerSec);
      s.epoch.push(p.epoch);
    }
  }

  /** Progress figures: overall fraction, steps per second over the recent points, seconds left. */
  progress(now = performance.now()): { fraction: number; step: number; total: number; epoch: number; epochs: number; samplesPerSec: number; secondsLeft: number | null } {
    const s = this.state.series;
    const total = this.state.started?.totalSteps ?? 0;
    const step = s.step.at(-1) ?? 0;
    const recent = s.samplesPerSec.slice(-50);
    const samplesPerSec = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
    const batch = this.state.started ? Math.max(1, this.state.started.trainCount / Math.max(1, this.state.started.stepsPerEpoch)) : 1;
    const secondsLeft = samplesPerSec > 0 && total ? ((total - step) * batch) / samplesPerSec : null;
    void now;
    return {
      fraction: total ? step / total : 0,
      step,
      total,
      epoch: s.epoch.at(-1) ?? 0,
      epochs: this.state.started ? Math.ceil(total / Math.max(1, this.state.started.stepsPerEpoch)) : 0,
      samplesPerSec,
      secondsLeft,
    };
  }
}

/** Why the chosen dataset cannot be trained on: a code for the UI's language (`trainBlock.<code>`, renderer/i18n/train.ts), its params and the English text. */
export interface DatasetBlock {
  code: 'no-folder' | 'report-error' | 'no-images' | 'one-class' | 'no-train';
  params: Record<string, string | number>;
  message: string;
}

/**
 * Why the chosen dataset cannot be trained on, in the dataset report's own words (null: it can,
 * as far as the report tells). Train is disabled with this reason, as it is for network errors.
 */
export function datasetBlock(s: Pick<TrainState, 'dataDir' | 'report' | 'reportError'>): DatasetBlock | null {
  if (!s.dataDir) return { code: 'no-folder', params: {}, message: 'Choose a dataset folder first.' };
  if (s.reportError) return { code: 'report-error', params: { error: s.reportError }, message: s.reportError };
  const r = s.report;
  if (!r) return null;
  if (r.totals.train + r.totals.val === 0) return { code: 'no-images', params: { root: r.root }, message: `No usable images in ${r.root}: expected PNG, JPEG, WebP, GIF, BMP or TIFF images in one subfolder per class.` };
  if (r.classNames.length < 2) {
    const name = r.classNames[0] ?? '';
    return { code: 'one-class', params: { count: r.classNames.length, name }, message: r.warnings.find((w) => /at least two class/.test(w)) ?? `only ${r.classNames.length} class: a classifier needs at least two class folders` };
  }
  if (r.totals.train === 0) return { code: 'no-train', params: { root: r.root }, message: `No training images in ${r.root}.` };
  return null;
}

export const datasetBlocker = (s: Pick<TrainState, 'dataDir' | 'report' | 'reportError'>): string | null => datasetBlock(s)?.message ?? null;

/** Live status of the current run for the Runs table (run.json is written only at its start and end). */
function liveStatus(s: TrainState): RunSummary['status'] {
  if (s.runState !== 'idle') return 'running';
  if (s.error) return 'error';
  return (s.done?.reason as RunSummary['status'] | undefined) ?? 'running';
}

/**
 * The Runs table's rows: the listed runs, with the current run's row following it live (status,
 * epochs, steps, figures, the error) and added on top when the list has not caught up with it yet.
 */
export function runRows(s: TrainState): RunSummary[] {
  if (!s.runId) return s.runs;
  const last = s.epochs.at(-1);
  const live = {
    status: liveStatus(s),
    epochs: last?.epoch ?? 0,
    steps: s.series.step.at(-1) ?? 0,
    ...(last ? { final: { loss: last.loss, accuracy: last.accuracy, valLoss: last.valLoss, valAccuracy: last.valAccuracy } } : {}),
    ...(s.done?.best ? { best: s.done.best } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.error && s.errorText ? { errorText: s.errorText } : {}),
  };
  const i = s.runs.findIndex((r) => r.runId === s.runId);
  if (i >= 0) {
    const r = s.runs[i];
    // The list is newer once the run has ended and run.json says so.
    if (s.runState === 'idle' && r.status !== 'running' && r.status !== 'interrupted') return s.runs;
    return s.runs.map((x, j) => (j === i ? { ...x, ...live, epochs: Math.max(x.epochs, live.epochs) } : x));
  }
  if (s.runState === 'idle' && !s.error && !s.done) return s.runs;
  const row: RunSummary = {
    runId: s.runId, name: '', dataDir: s.dataDir ?? '', startedAt: new Date().toISOString(), settings: {}, final: null, best: null, hasModel: false,
    title: null, docPath: null, error: null, canContinue: false, ...live,
  };
  return [row, ...s.runs];
}

/** Exponential moving average, debiased like TensorBoard's smoothing, for the step-loss plot. */
export function smooth(values: number[], weight: number): number[] {
  const out = new Array<number>(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = weight > 0 ? last / (1 - weight ** n) : v;
  }
  return out;
}

/** At most `max` points for drawing: the mean of each bucket (the store keeps every point). */
export function downsample(x: number[], ys: number[][], max: number): [number[], ...number[][]] {
  if (x.length <= max) return [x, ...ys];
  const k = Math.ceil(x.length / max);
  const ox: number[] = [];
  const oys = ys.map(() => [] as number[]);
  for (let i = 0; i < x.length; i += k) {
    const end = Math.min(x.length, i + k);
    ox.push(x[end - 1]);
    ys.forEach((y, j) => {
      let sum = 0;
      for (let t = i; t < end; t++) sum += y[t];
      oys[j].push(sum / (end - i));
    });
  }
  return [ox, ...oys];
}

/**
 * Two plots' columns on one x axis (for uPlot): the union of both x columns, each series null
 * where its own x has no point. Both x columns must be ascending.
 */
export function mergeOnX(a: [number[], ...(number | null)[][]], b: [number[], ...(number | null)[][]]): [number[], ...(number | null)[][]] {
  const [ax, ...ays] = a;
  const [bx, ...bys] = b;
  const xs: number[] = [];
  const oa = ays.map(() => [] as (number | null)[]);
  const ob = bys.map(() => [] as (number | null)[]);
  let i = 0;
  let j = 0;
  while (i < ax.length || j < bx.length) {
    const x = j >= bx.length || (i < ax.length && ax[i] <= bx[j]) ? ax[i] : bx[j];
    const takeA = i < ax.length && ax[i] === x;
    const takeB = j < bx.length && bx[j] === x;
    xs.push(x);
    oa.forEach((col, k) => col.push(takeA ? ays[k][i] : null));
    ob.forEach((col, k) => col.push(takeB ? bys[k][j] : null));
    if (takeA) i++;
    if (takeB) j++;
  }
  return [xs, ...oa, ...ob];
}
