// The app's runs are never lost or mixed up: a stopped, interrupted (engine crash) or finished
// run is continued and extended from the Runs list (continueTraining); run.json is checked like
// any dataset folder and a document save never lands in a run's folder; a model too large for
// the machine is refused before a run folder exists.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createHost } from '../../engine/host.ts';
import { readCheckpoint, writeCheckpoint } from '../../engine/train/checkpoint.ts';
import type { RunSummary, ServerEvent, ServerResponse } from '../../engine/protocol.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const root = tempDir();
const data = sampleData(6);
const host = createHost({ root, recentFile: path.join(root, 'recent.json'), initialData: data, threads: 1 });
const events: ServerEvent[] = [];
host.onEvent((e) => events.push(e));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let nextId = 1;
const raw = (req: Record<string, unknown>): Promise<ServerResponse> => host.handle({ ...req, id: nextId++ });
async function call<T = unknown>(req: Record<string, unknown>): Promise<T> {
  const r = await raw(req);
  if (!r.ok) throw new Error(`${req.method}: ${r.code}: ${r.error}`);
  return r.result as T;
}
const waitFor = async (pred: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const of = (runId: string) => events.filter((e) => e.runId === runId).map((e) => e.event);
const runOf = async (runId: string) => (await call<RunSummary[]>({ method: 'listRuns' })).find((r) => r.runId === runId)!;
const record = (runId: string) => JSON.parse(fs.readFileSync(path.join(root, 'runs', runId, 'run.json'), 'utf8'));

let runId = '';

test('a stopped run is continued to more epochs from the Runs list; it ends finished with every epoch once', async () => {
  const doc = sampleProject({ epochs: 8, batchSize: 4, valSplit: 0.25 });
  ({ runId } = await call<{ runId: string }>({ method: 'startTraining', doc, dataDir: data }));
  await waitFor(() => of(runId).some((e) => e.type === 'steps'), 'the first steps');
  await call({ method: 'stopTraining' });
  await host.training.finished;
  const stopped = await runOf(runId);
  assert.equal(stopped.status, 'stopped');
  assert.ok(stopped.canContinue);
  const started = of(runId).find((e) => e.type === 'started')!;
  assert.ok(started.type === 'started');
  const perEpoch = started.stepsPerEpoch;

  // Continue, and extend: two epochs more than it finished.
  const target = stopped.epochs + 2;
  events.length = 0;
  const r = await call<{ runId: string; outDir: string }>({ method: 'continueTraining', runId, epochs: target });
  assert.equal(r.runId, runId);
  assert.equal((await runOf(runId)).status, 'running');
  await host.training.finished;
  const ev = of(runId);
  assert.ok(ev.some((e) => e.type === 'log' && /resuming from .*checkpoint\.nwck/.test(e.message)));
  const done = ev.find((e) => e.type === 'done');
  assert.ok(done && done.type === 'done' && done.reason === 'finished' && done.epoch === target && done.step === target * perEpoch, JSON.stringify(done));
  const fin = await runOf(runId);
  assert.equal(fin.status, 'finished');
  assert.equal(fin.epochs, target);
  assert.equal(record(runId).settings.epochs, target);
  const curves = await call<{ epochs: { epoch: number }[]; steps: [number][] }>({ method: 'runCurves', runId });
  assert.deepEqual(curves.epochs.map((e) => e.epoch), Array.from({ length: target }, (_, i) => i + 1));
  assert.deepEqual(curves.steps.map((s) => s[0]), Array.from({ length: target * perEpoch }, (_, i) => i + 1), 'every step once');

  // A finished run goes on only with more epochs.
  const same = await raw({ method: 'continueTraining', runId });
  assert.ok(!same.ok && same.code === 'bad-request' && same.error.includes(`has finished its ${target} epoch(s); give more epochs`), JSON.stringify(same));
  const fewer = await raw({ method: 'continueTraining', runId, epochs: 1 });
  assert.ok(!fewer.ok && fewer.error.includes(`continue it to ${target} epochs or more`));
});

test('after an engine crash (run.json still says running) the run is listed as interrupted and can be continued', async () => {
  const rec = record(runId);
  fs.writeFileSync(path.join(root, 'runs', runId, 'run.json'), JSON.stringify({ ...rec, status: 'running' }));
  const listed = await runOf(runId);
  assert.equal(listed.status, 'interrupted');
  assert.ok(listed.canContinue);
  events.length = 0;
  const target = rec.epochs + 1;
  await call({ method: 'continueTraining', runId, epochs: target });
  await host.training.finished;
  const done = of(runId).find((e) => e.type === 'done');
  assert.ok(done && done.type === 'done' && done.epoch === target);
  const fin = await runOf(runId);
  assert.equal(fin.status, 'finished');
  assert.equal(fin.epochs, target);
});

test("run.json's dataset folder is checked like any other: evaluate, export, predict and continue refuse one outside the project", async () => {
  const ok = await call<{ count: number }>({ method: 'evaluate', runId });
  assert.ok(ok.count > 0);
  const outside = sampleData(2);
  const rec = record(runId);
  const file = path.join(root, 'runs', runId, 'run.json');
  fs.writeFileSync(file, JSON.stringify({ ...rec, dataDir: outside }));
  for (const req of [{ method: 'evaluate', runId }, { method: 'exportModel', runId }, { method: 'predict', runId, image: { path: 'circle/0000.png' } }]) {
    const r = await raw(req);
    assert.ok(!r.ok && r.code === 'refused' && r.error.includes(`run ${runId}'s dataset: ${outside} is outside the project folder`), `${req.method}: ${JSON.stringify(r)}`);
  }
  assert.ok(!fs.existsSync(path.join(root, 'exports')), 'nothing exported');
  fs.writeFileSync(file, JSON.stringify(rec));
  // The checkpoint's own dataDir too (continue reads it first).
  const ckFile = path.join(root, 'runs', runId, 'checkpoint.nwck');
  const saved = fs.readFileSync(ckFile);
  const ck = readCheckpoint(ckFile);
  const { tensors: _, ...header } = ck.header;
  writeCheckpoint(ckFile, { ...header, dataDir: outside }, ck.values, { keepPrevious: false });
  const cont = await raw({ method: 'continueTraining', runId, epochs: rec.epochs + 1 });
  assert.ok(!cont.ok && cont.code === 'refused' && cont.error.includes(`${outside} is outside the project folder`), JSON.stringify(cont));
  assert.equal((await call<{ state: string }>({ method: 'trainingStatus' })).state, 'idle');
  fs.writeFileSync(ckFile, saved);
});

test('a document save never lands in a run folder (the way run.json could be rewritten)', async () => {
  const rec = record(runId);
  const target = path.join('runs', runId, 'run.json');
  const r = await raw({ method: 'saveFile', path: target, text: JSON.stringify({ ...rec, dataDir: '/etc' }), chosen: true, overwrite: true });
  assert.ok(!r.ok && r.code === 'refused' && /is inside a run's folder/.test(r.error), JSON.stringify(r));
  const other = await raw({ method: 'saveFile', path: path.join('runs', runId, 'net.json'), text: JSON.stringify(sampleProject()), chosen: true });
  assert.ok(!other.ok && other.code === 'refused');
  assert.deepEqual(record(runId), rec, 'run.json unchanged');
  // A CLI run folder elsewhere in the project: its run.json and dataset.json are its own.
  const cliRun = path.join(root, 'my-run');
  fs.mkdirSync(cliRun);
  fs.writeFileSync(path.join(cliRun, 'checkpoint.nwck'), 'x');
  const c = await raw({ method: 'saveFile', path: path.join('my-run', 'run.json'), text: '{}', chosen: true, overwrite: true });
  assert.ok(!c.ok && c.code === 'refused');
  // Ordinary saves still work.
  await call({ method: 'saveFile', path: 'net.json', text: JSON.stringify(sampleProject()), chosen: true });
});

test('a model too large for the machine is refused by startTraining at once, before a run folder exists', async () => {
  const doc = sampleProject();
  const input = doc.nodes.find((n) => n.type === 'Input')!;
  input.params = { ...input.params, height: 4096, width: 4096, color: 'rgb' };
  const before = fs.readdirSync(path.join(root, 'runs'));
  const t0 = performance.now();
  const r = await raw({ method: 'startTraining', doc, dataDir: data });
  assert.ok(performance.now() - t0 < 1000);
  assert.ok(!r.ok && r.code === 'refused' && /this network needs about [\d.]+ [GTP]B for training at batch/.test(r.error), JSON.stringify(r));
  assert.deepEqual(fs.readdirSync(path.join(root, 'runs')), before, 'no run folder');
  assert.equal((await call<{ state: string }>({ method: 'trainingStatus' })).state, 'idle');
});
