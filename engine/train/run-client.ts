// The client of the training thread: starts a run on its own thread (run-worker.ts), relays
// its events, validated, to the caller, and passes on stop, pause and resume.
import { said } from '../graph/error-codes.ts';
import { spawnWorker, workerUrl } from '../threads.ts';
import { trainEvent, type TrainEvent, type TrainRequest } from './messages.ts';
import { CONTROL } from './control.ts';

export interface TrainingHandle {
  stop(): void;
  /** Holds the run at the next step boundary (acknowledged by a 'paused' event). */
  pause(): void;
  resume(): void;
  /** Resolves with the final event: 'done' or 'error'. */
  finished: Promise<Extract<TrainEvent, { type: 'done' | 'error' }>>;
}

export function startTraining(request: TrainRequest, onEvent: (e: TrainEvent) => void): TrainingHandle {
  const worker = spawnWorker(workerUrl('run-worker', import.meta.url));
  let last: Extract<TrainEvent, { type: 'done' | 'error' }> | undefined;
  const finished = new Promise<Extract<TrainEvent, { type: 'done' | 'error' }>>((resolve) => {
    // An event, or an array of step events (a step group's, run-worker.ts).
    worker.on('message', (raw: unknown) => {
      for (const item of Array.isArray(raw) ? raw : [raw]) {
        const parsed = trainEvent.safeParse(item);
        if (!parsed.success) continue;
        const e = parsed.data;
        if (e.type === 'done' || e.type === 'error') last = e;
        onEvent(e);
      }
    });
    worker.on('error', (err) => {
      last = { type: 'error', message: `the training thread failed: ${err.message}`, text: said('run-worker-failed', { error: err.message }) };
      onEvent(last);
    });
    worker.on('exit', (code) => {
      resolve(last ?? { type: 'error', message: `the training worker exited with code ${code} before finishing`, text: said('run-worker-exited', { code }) });
    });
  });
  const control = new Int32Array(new SharedArrayBuffer(4));
  worker.postMessage({ type: 'start', request, control: control.buffer });
  return {
    stop: () => {
      Atomics.store(control, 0, CONTROL.stop);
      worker.postMessage({ type: 'stop' });
    },
    pause: () => {
      Atomics.compareExchange(control, 0, CONTROL.run, CONTROL.pause);
      worker.postMessage({ type: 'pause' });
    },
    resume: () => {
      Atomics.compareExchange(control, 0, CONTROL.pause, CONTROL.run);
      worker.postMessage({ type: 'resume' });
    },
    finished,
  };
}
