// Evaluate, predict, export, gradient check, dataset report, augmentation previews and IDX
// import run ONNX Runtime or long loops that hold their thread; each runs on a worker thread of
// its own, so the engine's message loop keeps answering (info, pause, stop) meanwhile.
//
// A worker thread costs tens of MB and each job can hold a dataset in memory, so they go
// through one queue per kind: at most JOB_LIMITS[kind].running threads alive at once (a slot is
// free only once its thread has exited), at most `waiting` requests queued behind them. For the
// views that show one result at a time, newest wins: a request replaces the one of the same kind
// from the same client that is waiting or running (its thread is terminated), and the replaced
// caller gets the error code 'superseded', which the editor ignores.
import type { Worker } from 'node:worker_threads';
import { spawnWorker, workerUrl } from '../threads.ts';
import { nested, said } from '../graph/error-codes.ts';
import { EngineError, type EngineText } from '../protocol.ts';
import type { JOBS } from './job-table.ts';

export type JobKind = keyof typeof JOBS;
export type JobArgs<K extends JobKind> = Parameters<(typeof JOBS)[K]> extends [unknown, ...infer A] ? A : never;
export type JobResult<K extends JobKind> = Awaited<ReturnType<(typeof JOBS)[K]>>;

/** What a worker needs to rebuild the host's Project: the same folders may be read. */
export interface ProjectSpec {
  root: string;
  dataDirs: string[];
}

export interface JobMessage {
  ok: boolean;
  result?: unknown;
  code?: string;
  /** The error's message as code + params (engine/graph/error-codes.ts). */
  text?: EngineText;
  message?: string;
}

export interface JobLimit {
  /** Worker threads of this kind alive at once. */
  running: number;
  /** Requests queued behind them; one more is refused. */
  waiting: number;
  /** A newer request from the same client supersedes a waiting or running one. */
  newestWins: boolean;
}

/** Two at once for the views (two pages may be open), one at a time for jobs that write files. */
export const JOB_LIMITS: Record<JobKind, JobLimit> = {
  datasetReport: { running: 2, waiting: 4, newestWins: true },
  augmentPreview: { running: 2, waiting: 4, newestWins: true },
  evaluate: { running: 2, waiting: 4, newestWins: true },
  predict: { running: 2, waiting: 4, newestWins: true },
  gradientCheck: { running: 2, waiting: 4, newestWins: true },
  exportModel: { running: 1, waiting: 8, newestWins: false },
  importIdx: { running: 1, waiting: 4, newestWins: false },
  importOnnx: { running: 1, waiting: 4, newestWins: false },
  exportPyTorch: { running: 1, waiting: 8, newestWins: false },
  predictFolder: { running: 1, waiting: 4, newestWins: false },
  // learn panel
  learnLayer: { running: 2, waiting: 4, newestWins: true },
  learnNudge: { running: 1, waiting: 4, newestWins: true },
  learnBatches: { running: 1, waiting: 4, newestWins: true },
  // end learn panel
};

interface Job {
  kind: JobKind;
  client: string;
  args: unknown[];
  resolve(v: unknown): void;
  reject(e: Error): void;
  settled: boolean;
  worker: Worker | null;
}

export class JobRunner {
  /** Jobs whose worker has not replied yet. */
  running = 0;
  /** Worker threads started and not yet exited (a superseded one counts until it is gone). */
  threads = 0;
  private readonly waiting = new Map<JobKind, Job[]>();
  private readonly alive = new Map<JobKind, Set<Job>>();

  constructor(private readonly project: ProjectSpec, private readonly limits: Record<JobKind, JobLimit> = JOB_LIMITS) {}

  /** Runs a job for the one anonymous client (tests, the CLI). */
  run<K extends JobKind>(kind: K, ...args: JobArgs<K>): Promise<JobResult<K>> {
    return this.runFor('', kind, ...args);
  }

  /** Queues a job for `client` (one connection: a page, a window); see the limits above. */
  runFor<K extends JobKind>(client: string, kind: K, ...args: JobArgs<K>): Promise<JobResult<K>> {
    const limit = this.limits[kind];
    const waiting = this.queue(kind);
    if (limit.newestWins) {
      for (const j of [...waiting, ...this.threadsOf(kind)]) if (j.client === client) this.cancel(j, new EngineError('superseded', `${kind}: superseded by a newer request`, said('job-superseded', { kind })));
    }
    if (waiting.length >= limit.waiting) {
      return Promise.reject(new EngineError('refused', `${kind}: ${limit.running} running and ${limit.waiting} waiting already; try again when one finishes`, said('job-queue-full', { kind, running: limit.running, waiting: limit.waiting })));
    }
    return new Promise<JobResult<K>>((resolve, reject) => {
      waiting.push({ kind, client, args, resolve: resolve as (v: unknown) => void, reject, settled: false, worker: null });
      this.pump(kind);
    });
  }

  /** Cancels every job of `client` (its connection closed). */
  cancelClient(client: string): void {
    for (const kind of Object.keys(this.limits) as JobKind[]) {
      for (const j of [...this.queue(kind), ...this.threadsOf(kind)]) if (j.client === client) this.cancel(j, cancelled(kind));
    }
  }

  cancelAll(): void {
    for (const kind of Object.keys(this.limits) as JobKind[]) {
      for (const j of [...this.queue(kind), ...this.threadsOf(kind)]) this.cancel(j, cancelled(kind));
    }
  }

  private queue(kind: JobKind): Job[] {
    let q = this.waiting.get(kind);
    if (!q) this.waiting.set(kind, (q = []));
    return q;
  }

  private threadsOf(kind: JobKind): Set<Job> {
    let s = this.alive.get(kind);
    if (!s) this.alive.set(kind, (s = new Set()));
    return s;
  }

  private cancel(job: Job, e: EngineError): void {
    const q = this.queue(job.kind);
    const i = q.indexOf(job);
    if (i >= 0) q.splice(i, 1);
    this.settle(job, () => job.reject(e));
  }

  /** Answers the caller once; its thread is terminated (its slot frees on 'exit'). */
  private settle(job: Job, f: () => void): void {
    if (job.settled) return;
    job.settled = true;
    if (job.worker) this.running--;
    f();
    // Its reply is in (or no longer wanted); nothing it left open (a libuv handle, a thread pool) may keep it alive.
    if (job.worker) void job.worker.terminate();
  }

  private pump(kind: JobKind): void {
    const q = this.queue(kind);
    const alive = this.threadsOf(kind);
    while (alive.size < this.limits[kind].running && q.length) this.start(q.shift()!, alive);
  }

  private start(job: Job, alive: Set<Job>): void {
    const { kind } = job;
    let worker: Worker;
    try {
      worker = spawnWorker(workerUrl('job-worker', import.meta.url), { kind, args: job.args, project: this.project });
    } catch (e) {
      this.settle(job, () => job.reject(new EngineError('io', `${kind}: cannot start a worker thread: ${(e as Error).message}`, said('job-no-thread', { kind, error: (e as Error).message }))));
      return;
    }
    job.worker = worker;
    alive.add(job);
    this.running++;
    this.threads++;
    worker.once('message', (m: JobMessage) =>
      this.settle(job, () => (m.ok ? job.resolve(m.result) : job.reject(failed(kind, m)))),
    );
    worker.once('error', (e) => this.settle(job, () => job.reject(new EngineError('io', `${kind} failed: ${e.message}`, said('job-crashed', { kind, reason: nested(e) })))));
    worker.once('exit', (code) => {
      this.settle(job, () => job.reject(new EngineError('io', `${kind}: its worker thread exited (code ${code}) without an answer`, said('job-exited', { kind, code }))));
      alive.delete(job);
      this.threads--;
      this.pump(kind);
    });
  }
}

const cancelled = (kind: JobKind): EngineError => new EngineError('io', `${kind}: cancelled`, said('job-cancelled', { kind }));

/** A worker's error reply: its own message and code, or (a reply without a message) that the job failed. */
function failed(kind: JobKind, m: JobMessage): EngineError {
  if (m.message == null) return new EngineError(m.code ?? 'io', `${kind} failed`, said('job-failed', { kind }));
  return new EngineError(m.code ?? 'io', m.message, m.text);
}
