// Evaluate, predict, export, gradient check, dataset report, augmentation previews and IDX
// import run ONNX Runtime or long loops that hold their thread; each runs on a worker thread of
// its own, so the engine's message loop keeps answering (info, pause, stop) meanwhile.
import { spawnWorker, workerUrl } from '../threads.ts';
import { EngineError } from '../protocol.ts';
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
  message?: string;
}

export class JobRunner {
  /** Jobs whose worker has not replied yet. */
  running = 0;

  constructor(private readonly project: ProjectSpec) {}

  /** Jobs that fill the pixel cache may run at once: loaders share a cache safely (data/cache.ts). */
  run<K extends JobKind>(kind: K, ...args: JobArgs<K>): Promise<JobResult<K>> {
    const worker = spawnWorker(workerUrl('job-worker', import.meta.url), { kind, args, project: this.project });
    this.running++;
    return new Promise<JobResult<K>>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        this.running--;
        f();
        // Its reply is in; nothing it left open (a libuv handle, a thread pool) may keep it alive.
        void worker.terminate();
      };
      worker.once('message', (m: JobMessage) =>
        settle(() => (m.ok ? resolve(m.result as JobResult<K>) : reject(new EngineError(m.code ?? 'io', m.message ?? `${kind} failed`)))),
      );
      worker.once('error', (e) => settle(() => reject(new EngineError('io', `${kind} failed: ${e.message}`))));
      worker.once('exit', (code) => settle(() => reject(new EngineError('io', `${kind}: its worker thread exited (code ${code}) without an answer`))));
    });
  }
}
