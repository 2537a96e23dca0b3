// Exact resume: E epochs straight, or stopped part-way (at an epoch end, mid-epoch, by stop) and
// resumed from the checkpoint, give the same parameters, optimizer state, metrics rows, step
// count and exported model, with augmentation and dropout on; and divergence stops a run.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import type { TrainEvent, TrainRequest } from '../../engine/train/messages.ts';
import { encodeCheckpoint, loadCheckpoint, readCheckpoint } from '../../engine/train/checkpoint.ts';
import { startTraining } from '../../engine/train/trainer.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const data = sampleData(20);
const augment = { hflip: true, cropPadding: 2, translate: 0.1, brightness: 0.2, contrast: 0.2 };

function project(training: Partial<NetworkDocument['training']> = {}): NetworkDocument {
  const doc = sampleProject({ epochs: 3, batchSize: 16, valSplit: 0.25, seed: 3, optimizer: 'adam', lr: 0.003, schedule: { kind: 'cosine', warmupSteps: 2, stepEpochs: 10, gamma: 0.1, minFactor: 0 }, data: { augment } as never, ...training });
  // A dropout layer before the head, so the run's generator draws masks every step.
  const into = doc.edges.find((e) => e.target === 'fc')!;
  doc.nodes.push({ id: 'drop', type: 'Dropout', params: { rate: 0.3 }, position: { x: 0, y: 0 } });
  doc.edges.push({ id: 'e-drop', source: into.source, target: 'drop', targetPort: 0 });
  into.source = 'drop';
  return doc;
}

async function run(req: Partial<TrainRequest> & { outDir: string }, stopAfter?: number) {
  const events: TrainEvent[] = [];
  const h = startTraining({ doc: project(), dataDir: data, threads: 1, ...req }, (e) => {
    events.push(e);
    if (stopAfter && e.type === 'step' && e.step === stopAfter) h.stop();
  });
  const end = await h.finished;
  assert.notEqual(end.type, 'error', JSON.stringify(end));
  return { events, end, steps: events.filter((e) => e.type === 'step') as Extract<TrainEvent, { type: 'step' }>[] };
}

/** metrics.csv without the throughput column, which is a timing. */
const metricsRows = (dir: string) => fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8').trim().split('\n').map((r) => r.split(',').slice(0, 6).join(','));

let straight: { dir: string; steps: { step: number; loss: number; lr: number }[]; logs: string[] } | undefined;
async function straightRun() {
  if (!straight) {
    const dir = tempDir();
    const r = await run({ outDir: dir });
    straight = { dir, steps: r.steps, logs: r.events.flatMap((e) => (e.type === 'log' ? [e.message] : [])) };
  }
  return straight;
}

function assertSameRun(a: string, b: string) {
  const ca = readCheckpoint(path.join(a, 'checkpoint.nwck'));
  const cb = readCheckpoint(path.join(b, 'checkpoint.nwck'));
  assert.equal(cb.header.step, ca.header.step, 'step count');
  assert.equal(cb.header.t, ca.header.t, 'optimizer steps');
  assert.equal(cb.header.epoch, ca.header.epoch);
  assert.deepEqual([...cb.values.keys()], [...ca.values.keys()]);
  for (const [k, v] of ca.values) assert.ok(Buffer.from(v.buffer).equals(Buffer.from(cb.values.get(k)!.buffer)), `${k} differs`);
  assert.deepEqual(cb.header.rngState, ca.header.rngState);
  assert.deepEqual(cb.header.augmentRngState, ca.header.augmentRngState, 'augmentation generator');
  assert.deepEqual(metricsRows(b), metricsRows(a));
  for (const f of ['model.onnx', 'best.onnx']) assert.ok(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), f);
}

for (const [name, first] of [
  ['stopped by --max-steps after epoch 1', { maxSteps: 4 }],
  ['stopped by --max-steps mid-epoch 2', { maxSteps: 6 }],
  ['stopped by the user after step 9', { stopAfter: 9 }],
] as const) {
  test(`resume is exact: 3 epochs straight = ${name}, then resumed (augmentation and dropout on)`, async () => {
    const s = await straightRun();
    assert.equal(s.steps.length, 12);
    const dir = tempDir();
    const a = await run({ outDir: dir, maxSteps: 'maxSteps' in first ? first.maxSteps : undefined }, 'stopAfter' in first ? first.stopAfter : undefined);
    const b = await run({ outDir: dir, doc: undefined, resume: true });
    assert.ok(b.events.some((e) => e.type === 'log' && /resuming from .*checkpoint\.nwck at step/.test(e.message)));
    // No batch skipped or repeated: the two runs' steps are 1..12 with the straight run's losses and rates.
    const steps = [...a.steps, ...b.steps];
    assert.deepEqual(steps.map((e) => e.step), s.steps.map((e) => e.step));
    assert.deepEqual(steps.map((e) => [e.loss, e.lr]), s.steps.map((e) => [e.loss, e.lr]));
    assert.ok(b.end.type === 'done' && b.end.reason === 'finished' && b.end.step === 12);
    assertSameRun(s.dir, dir);
  });
}

test('steps looped in groups (the default) give the same run as one step per session run', async () => {
  const s = await straightRun();
  const dir = tempDir();
  process.env.NETWRIGHT_STEP_GROUP = '1';
  let r;
  try {
    r = await run({ outDir: dir });
  } finally {
    delete process.env.NETWRIGHT_STEP_GROUP;
  }
  assert.ok(s.logs.some((m) => /steps run up to 16 at a time/.test(m)), 'the default run loops its steps');
  assert.ok(!r.events.some((e) => e.type === 'log' && /at a time/.test(e.message)), 'NETWRIGHT_STEP_GROUP=1 runs one step per call');
  assert.deepEqual(r.steps.map((e) => [e.step, e.loss, e.lr]), s.steps.map((e) => [e.step, e.loss, e.lr]));
  assertSameRun(s.dir, dir);
});

test('resume is exact with each batch split in two shards on two threads', async () => {
  const a = tempDir();
  const straight2 = await run({ outDir: a, threads: 2 });
  assert.ok(straight2.events.some((e) => e.type === 'log' && /split in two halves/.test(e.message)), 'the run used two shards');
  const b = tempDir();
  await run({ outDir: b, threads: 2 }, 6);
  const rest = await run({ outDir: b, doc: undefined, resume: true, threads: 2 });
  assert.ok(rest.end.type === 'done' && rest.end.step === 12);
  assertSameRun(a, b);
  // Two shards compute the same steps as one session, up to float rounding.
  const s = await straightRun();
  straight2.steps.forEach((e, i) => assert.ok(Math.abs(e.loss - s.steps[i].loss) < 1e-4 * Math.max(1, s.steps[i].loss), `step ${e.step}: ${e.loss} vs ${s.steps[i].loss}`));
});

test('netwright train --resume DIR continues a run from the command line', async () => {
  const s = await straightRun();
  const dir = tempDir();
  await run({ outDir: dir, maxSteps: 8 });
  const r = spawnSync(process.execPath, ['bin/netwright.js', 'train', '--resume', dir, '--threads', '1'], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resuming from .*checkpoint\.nwck at step 8 \(epoch 2 finished\)/);
  assert.match(r.stdout, /done after 12 steps/);
  assertSameRun(s.dir, dir);
  const again = spawnSync(process.execPath, ['bin/netwright.js', 'train', '--resume', tempDir()], { encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /no usable checkpoint in .*checkpoint\.nwck does not exist/s);
});

test('resume falls back to checkpoint.prev.nwck when the latest is damaged, and says so', async () => {
  const dir = tempDir();
  await run({ outDir: dir, maxSteps: 8 });
  const latest = path.join(dir, 'checkpoint.nwck');
  const buf = fs.readFileSync(latest);
  buf[buf.length - 200] ^= 1;
  fs.writeFileSync(latest, buf);
  const b = await run({ outDir: dir, doc: undefined, resume: true });
  assert.ok(b.events.some((e) => e.type === 'log' && e.level === 'warn' && e.message.includes(`${latest} fails its SHA-256 checksum`)));
  assert.ok(b.events.some((e) => e.type === 'log' && e.message.includes('checkpoint.prev.nwck at step 4')));
  assert.equal(b.steps[0].step, 5);
  assert.deepEqual(metricsRows(dir), metricsRows((await straightRun()).dir));
  // The damaged file was set aside, not kept as the previous checkpoint.
  assert.ok(buf.equals(fs.readFileSync(path.join(dir, 'checkpoint.damaged.nwck'))));
  assert.equal(readCheckpoint(path.join(dir, 'checkpoint.prev.nwck')).header.step, 8);
});

test('a huge learning rate (Adam, lr 10) stops the run with a diverged event before anything of it is checkpointed', async () => {
  const dir = tempDir();
  const events: TrainEvent[] = [];
  const h = startTraining({ doc: project({ optimizer: 'adam', lr: 10, schedule: undefined, epochs: 20 }), dataDir: data, outDir: dir, threads: 1 }, (e) => events.push(e));
  const end = await h.finished;
  const d = events.find((e) => e.type === 'diverged');
  assert.ok(d && d.type === 'diverged', JSON.stringify(events.filter((e) => e.type !== 'step').slice(-3)));
  assert.equal(d.hint, 'lower the learning rate');
  assert.ok(d.step >= 1);
  assert.ok(end.type === 'error' && /training diverged: .*lower the learning rate/.test(end.message), JSON.stringify(end));
  // It blows up within the first epoch: nothing of it was checkpointed.
  assert.ok(d.step < 4, `diverged at step ${d.step}`);
  assert.ok(!fs.existsSync(path.join(dir, 'checkpoint.nwck')) && !fs.existsSync(path.join(dir, 'checkpoint.prev.nwck')));
  console.log(`diverged: ${d.reason} at step ${d.step} (value ${d.value}): ${d.message}`);
});

test('a sharded run that fails ends, its replica thread with it', { timeout: 60_000 }, async () => {
  const events: TrainEvent[] = [];
  const h = startTraining({ doc: project({ optimizer: 'adam', lr: 10, schedule: undefined, epochs: 20 }), dataDir: data, outDir: tempDir(), threads: 2 }, (e) => events.push(e));
  const end = await h.finished;
  assert.ok(events.some((e) => e.type === 'log' && /split in two halves/.test(e.message)), 'the run used two shards');
  assert.ok(end.type === 'error' && /diverged/.test(end.message), JSON.stringify(end));
});

test('a value that is not finite stops the run at once, even with the spike check off, and no checkpoint is written after it', async () => {
  const dir = tempDir();
  await run({ outDir: dir, maxSteps: 4 });
  // Poison one weight of the epoch-1 checkpoint (encoded raw: writeCheckpoint itself refuses it).
  const file = path.join(dir, 'checkpoint.nwck');
  const ck = readCheckpoint(file);
  ck.values.get('conv1.W')![0] = Infinity;
  const doc = ck.header.doc as NetworkDocument;
  const poisoned = Buffer.concat(encodeCheckpoint({ ...ck.header, doc: { ...doc, training: { ...doc.training, divergence: { lossSpike: 0 } } } }, ck.values));
  fs.writeFileSync(file, poisoned);
  const events: TrainEvent[] = [];
  const end = await startTraining({ doc: undefined, dataDir: data, outDir: dir, threads: 1, resume: true }, (e) => events.push(e)).finished;
  const d = events.find((e) => e.type === 'diverged');
  assert.ok(d && d.type === 'diverged' && (d.reason === 'non-finite-loss' || d.reason === 'non-finite-parameters') && d.value === null && d.step === 5, JSON.stringify(d));
  assert.equal(end.type, 'error');
  assert.ok(poisoned.equals(fs.readFileSync(file)), 'no checkpoint written after the divergence');
  assert.ok(!fs.existsSync(path.join(dir, 'checkpoint.prev.nwck')));
  assert.equal(events.filter((e) => e.type === 'step').length, 0, 'the diverged step is not reported as a step');
});

test('a CLI run SIGKILLed once epoch 2 is reported, then netwright train --resume, ends as the straight run', async () => {
  const s = await straightRun();
  const dir = tempDir();
  const doc = path.join(tempDir(), 'net.json');
  fs.writeFileSync(doc, JSON.stringify(project()));
  const p = spawn(process.execPath, ['bin/netwright.js', 'train', doc, '--data', data, '--out', dir, '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let out = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (/^epoch 2:/m.test(out)) p.kill('SIGKILL');
  });
  const signal = await new Promise((r) => p.on('exit', (_code, sig) => r(sig)));
  assert.equal(signal, 'SIGKILL', out);
  const r = spawnSync(process.execPath, ['bin/netwright.js', 'train', '--resume', dir, '--threads', '1'], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  assert.equal(r.status, 0, r.stderr);
  const from = /resuming from .*checkpoint\.nwck at step (\d+)/.exec(r.stderr);
  assert.ok(from && Number(from[1]) >= 4, r.stderr);
  assertSameRun(s.dir, dir);
});

test('a checkpoint that cannot be written fails the run naming the path, and the previous checkpoint still loads', async () => {
  const dir = tempDir();
  await run({ outDir: dir, maxSteps: 4 });
  const before = fs.readFileSync(path.join(dir, 'checkpoint.nwck'));
  // The training worker shares this process's pid: a folder where its temp file goes makes the
  // write fail as a full or read-only disk would (chmod does not stop root).
  const tmp = path.join(dir, `.checkpoint.nwck.${process.pid}.tmp`);
  fs.mkdirSync(tmp);
  const events: TrainEvent[] = [];
  const end = await startTraining({ doc: undefined, dataDir: data, outDir: dir, threads: 1, resume: true }, (e) => events.push(e)).finished;
  assert.ok(end.type === 'error' && end.message.includes(`cannot write the checkpoint ${tmp}: EISDIR`), JSON.stringify(end));
  assert.ok(before.equals(fs.readFileSync(path.join(dir, 'checkpoint.nwck'))));
  assert.equal(loadCheckpoint(dir).header.step, 4);
});
