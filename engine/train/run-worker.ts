// The training thread (started by run-client.ts), where runTraining (run.ts) runs: ONNX
// Runtime's session.run() holds its thread for the whole step, so training lives here and the
// caller's thread stays free to answer stop and status.
// Pause holds the loop at the next step boundary; resume lets it go on at that same step.
import { parentPort } from 'node:worker_threads';
import { workerCommand, type TrainEvent } from './messages.ts';
import { runTraining } from './run.ts';
import { CONTROL } from './control.ts';
import { said, textOf } from '../graph/error-codes.ts';

if (!parentPort) throw new Error('run-worker.ts must run as a worker thread');
const port = parentPort;
let stop = false;
let paused = false;
// Stop and pause also arrive through a word shared with the caller (run-client.ts), read at every
// step boundary: a message waits for this thread's event loop, which a run of synchronous
// session calls (validation, checkpoints) can keep busy for several step groups.
let control: Int32Array | null = null;
const stopped = () => stop || (control !== null && Atomics.load(control, 0) === CONTROL.stop);
const pausing = () => paused || (control !== null && Atomics.load(control, 0) === CONTROL.pause);
let step = 0;
let release: (() => void) | null = null;
// Step events cross the border as one array per step group (a message each cost 20-40 µs of this
// thread's time, 4-7% of an MLP epoch): queued, and posted at the loop's next await. Any other
// event posts the queued steps first, then itself at once, so the order is kept.
let steps: TrainEvent[] = [];
const flushSteps = () => {
  if (!steps.length) return;
  port.postMessage(steps);
  steps = [];
};
const emit = (e: TrainEvent) => {
  if (e.type === 'step') {
    step = e.step;
    if (steps.push(e) === 1) queueMicrotask(flushSteps);
    return;
  }
  flushSteps();
  port.postMessage(e);
};

async function waitIfPaused(): Promise<void> {
  if (!pausing() || stopped()) return;
  emit({ type: 'paused', step });
  while (pausing() && !stopped()) await new Promise<void>((r) => (release = r));
  emit({ type: 'resumed', step });
}

port.on('message', (raw: unknown) => {
  const parsed = workerCommand.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues[0]?.message ?? '';
    emit({ type: 'log', level: 'warn', message: `ignored a malformed command: ${detail}`, text: said('malformed-command', { detail }) });
    return;
  }
  const cmd = parsed.data;
  if (cmd.type === 'start') {
    const shared = (raw as { control?: unknown }).control;
    if (shared instanceof SharedArrayBuffer) control = new Int32Array(shared);
    runTraining(cmd.request, emit, stopped, waitIfPaused)
      .catch((e: Error) => {
        const text = textOf(e);
        emit({ type: 'error', message: e.message, ...(text ? { text } : {}) });
      })
      .finally(() => port.close());
    return;
  }
  if (cmd.type === 'stop') stop = true;
  else paused = cmd.type === 'pause';
  release?.();
  release = null;
});
