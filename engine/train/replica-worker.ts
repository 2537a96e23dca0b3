// Entry of the replica thread of a data-parallel training step (see parallel.ts): waits for a
// step, runs its shard of the batch, hands back gradients, loss and correct count.
import { parentPort, workerData } from 'node:worker_threads';
import { CTRL, NUM, ShardBuffers, type ReplicaInit } from './parallel.ts';
import { openStepSession, type StepSession } from './ort.ts';

if (!parentPort) throw new Error('replica-worker.ts must run as a worker thread');
const init = workerData as ReplicaInit;
const ctrl = new Int32Array(init.ctrl);
const num = new Float64Array(init.num);
const params = new Float32Array(init.params);
const grads = new Float32Array(init.grads);
const fixed = new Float32Array(init.fixed);
let fixedVersion = 0;
const x = new Float32Array(init.x);
const labels = new BigInt64Array(init.labels);
const masks = init.masks.map((m) => new Float32Array(m));
const errorText = new Uint8Array(init.error);
const L = init.layout;
const buf = new ShardBuffers(L);
const per = L.inputShape.reduce((a, b) => a * b, 1);

let session: StepSession;
try {
  session = await openStepSession(init.model, init.threads);
} catch (e) {
  parentPort.postMessage({ error: (e as Error).message });
  process.exit(1);
}
// The step count is read before saying ready: the first step can start the moment the
// training thread hears it, and a count read after that could already be the first step's,
// which this thread would then wait past forever (seen once in CI, on a loaded machine).
let seq = Atomics.load(ctrl, CTRL.SEQ);
parentPort.postMessage({ ready: true });
// Tests widen that window (parallel.test.ts): the first step then starts before this line ends.
const pause = Number(process.env.NETWRIGHT_REPLICA_PAUSE_MS ?? 0);
if (pause > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
for (;;) {
  // The next step comes as soon as the optimizer update is through: spin briefly before sleeping.
  const spin = performance.now() + 2;
  while (Atomics.load(ctrl, CTRL.SEQ) === seq && performance.now() < spin);
  Atomics.wait(ctrl, CTRL.SEQ, seq);
  seq = Atomics.load(ctrl, CTRL.SEQ);
  if (Atomics.load(ctrl, CTRL.STOP)) break;
  let status = 0;
  try {
    const n = Atomics.load(ctrl, CTRL.N);
    buf.params.set(params);
    const fv = Atomics.load(ctrl, CTRL.FIXED);
    if (fv !== fixedVersion) {
      buf.fixed.set(fixed);
      fixedVersion = fv;
    }
    buf.x.set(x.subarray(0, n * per));
    buf.labels.set(labels.subarray(0, n));
    L.masks.forEach((m, i) => buf.masks[i].set(masks[i].subarray(0, n * m.per)));
    const r = await buf.run(session, n, num[NUM.SCALE]);
    grads.set(buf.grads);
    num[NUM.LOSS] = r.loss;
    num[NUM.CORRECT] = r.correct;
  } catch (e) {
    status = 1;
    errorText.fill(0);
    errorText.set(new TextEncoder().encode(String((e as Error).message ?? e)).subarray(0, errorText.length - 1));
  }
  Atomics.store(ctrl, CTRL.STATUS, status);
  Atomics.store(ctrl, CTRL.DONE, seq);
  Atomics.notify(ctrl, CTRL.DONE);
}
await session.release();
process.exit(0);
