// The training worker thread: ONNX Runtime's session.run() holds its thread for the whole
// step, so training lives here and the caller's thread stays free to answer stop and status.
// Pause holds the loop at the next step boundary; resume lets it go on at that same step.
import { parentPort } from 'node:worker_threads';
import { workerCommand, type TrainEvent } from '../protocol.ts';
import { runTraining } from './run.ts';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
let stop = false;
let paused = false;
let step = 0;
let release: (() => void) | null = null;
const emit = (e: TrainEvent) => {
  if (e.type === 'step') step = e.step;
  port.postMessage(e);
};

async function waitIfPaused(): Promise<void> {
  if (!paused || stop) return;
  emit({ type: 'paused', step });
  while (paused && !stop) await new Promise<void>((r) => (release = r));
  emit({ type: 'resumed', step });
}

port.on('message', (raw: unknown) => {
  const parsed = workerCommand.safeParse(raw);
  if (!parsed.success) {
    emit({ type: 'log', level: 'warn', message: `ignored a malformed command: ${parsed.error.issues[0]?.message}` });
    return;
  }
  const cmd = parsed.data;
  if (cmd.type === 'start') {
    runTraining(cmd.request, emit, () => stop, waitIfPaused)
      .catch((e: Error) => emit({ type: 'error', message: e.message }))
      .finally(() => port.close());
    return;
  }
  if (cmd.type === 'stop') stop = true;
  else paused = cmd.type === 'pause';
  release?.();
  release = null;
});
