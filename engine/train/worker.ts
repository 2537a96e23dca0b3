// The training worker thread: ONNX Runtime's session.run() holds its thread for the whole
// step, so training lives here and the caller's thread stays free to answer stop and status.
import { parentPort } from 'node:worker_threads';
import { workerCommand, type TrainEvent } from '../protocol.ts';
import { runTraining } from './run.ts';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
let stop = false;
const emit = (e: TrainEvent) => port.postMessage(e);

port.on('message', (raw: unknown) => {
  const parsed = workerCommand.safeParse(raw);
  if (!parsed.success) {
    emit({ type: 'log', level: 'warn', message: `ignored a malformed command: ${parsed.error.issues[0]?.message}` });
    return;
  }
  const cmd = parsed.data;
  if (cmd.type === 'stop') stop = true;
  else {
    runTraining(cmd.request, emit, () => stop)
      .catch((e: Error) => emit({ type: 'error', message: e.message }))
      .finally(() => port.close());
  }
});
