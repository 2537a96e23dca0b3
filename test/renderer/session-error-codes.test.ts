// The session's refusals (engine/session/, engine/host.ts) and the RPC client's own errors carry
// a code + params (engine/graph/error-codes.ts): each error provoked here for real has its code,
// the en text of the code is the engine's English message word for word, and zh-CN shows it in
// Chinese with its params; a message that wraps another keeps the inner one's code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createHost } from '../../engine/host.ts';
import { EngineError, type EngineText } from '../../engine/protocol.ts';
import { FileAccess } from '../../engine/session/files.ts';
import { importIdxFolder } from '../../engine/session/import.ts';
import { JOB_LIMITS, JobRunner } from '../../engine/session/jobs.ts';
import { learnLayer, learnNudge } from '../../engine/session/learn.ts';
import { predictImage } from '../../engine/session/predict.ts';
import { Project } from '../../engine/session/project.ts';
import { runModel, validationImages } from '../../engine/session/run-model.ts';
import { newRunRecord, writeRunRecord } from '../../engine/session/runs.ts';
import { TrainingSession } from '../../engine/session/training.ts';
import { writeCheckpoint } from '../../engine/train/checkpoint.ts';
import { PreloadTransport, type PreloadEngine } from '../../renderer/client/electron-client.ts';
import { RpcClient } from '../../renderer/client/rpc.ts';
import { coded, en, failure, zh, projectWithData } from './coded.ts';
import { sampleProject } from '../fixtures/sample.ts';


const { root, project } = projectWithData();
fs.mkdirSync(path.join(root, 'empty'));

test('project folders, runs and saves: each refusal has its code', async () => {
  coded(await failure(() => project.runDir('../up')), 'not-a-run-name');
  coded(await failure(() => project.runDir('nope')), 'run-missing');
  coded(await failure(() => project.newFolder('  ')), 'folder-unnamed');
  coded(await failure(() => project.newFolder('no/such/place')), 'folder-missing');
  coded(await failure(() => project.newFolder('ds')), 'folder-not-empty');
  coded(await failure(() => project.newFolder('..')), 'dataset-outside');
  coded(await failure(() => project.dataFile('ds', 'missing.png')), 'data-file-missing');

  const files = new FileAccess(root, path.join(root, 'recent.json'));
  coded(await failure(() => files.saveFile('net.json', '{}', { chosen: false })), 'not-chosen');
  fs.mkdirSync(path.join(root, 'runs', 'r0'), { recursive: true });
  coded(await failure(() => files.saveFile('runs/r0/net.json', '{}', { chosen: true })), 'in-runs-folder');
  coded(await failure(() => files.saveFile('big.json', 'x'.repeat(21 << 20), { chosen: true })), 'document-too-large');
});

test('an IDX import of a folder without one pair, with too many, or with files that are not IDX', async () => {
  const zhText = coded(await failure(() => importIdxFolder(project, 'empty', 'out', 'numbers')), 'idx-no-pair');
  assert.ok(zhText.includes('train-images-idx3-ubyte.gz'), zhText);
  const two = path.join(root, 'two-pairs');
  fs.mkdirSync(two);
  for (const p of ['a', 'b']) for (const f of [`${p}-images-idx3-ubyte`, `${p}-labels-idx1-ubyte`]) fs.writeFileSync(path.join(two, f), '');
  const e = await failure(() => importIdxFolder(project, 'two-pairs', 'out', 'numbers'));
  coded(e, 'idx-pairs');
  assert.deepEqual((e as EngineError).text?.params, { dir: fs.realpathSync(two), count: 2, names: 'a, b' });

  // One pair whose files are not IDX data (a broken download): the reader's own error, coded.
  const junk = path.join(root, 'junk-pair');
  fs.mkdirSync(junk);
  fs.writeFileSync(path.join(junk, 'train-images-idx3-ubyte'), 'PK not idx');
  fs.writeFileSync(path.join(junk, 'train-labels-idx1-ubyte'), 'PK not idx');
  const bad = await failure(() => importIdxFolder(project, 'junk-pair', 'junk-out', 'numbers'));
  coded(bad, 'idx-not-idx');
  assert.equal((bad as EngineError).text?.params.head, '50 4b 20 6e');
  assert.ok(!fs.existsSync(path.join(root, 'junk-out')));
});

test('jobs: superseded, queue full and cancelled', async () => {
  // No thread ever starts (running 0): the requests wait in the queue.
  const jobs = new JobRunner({ root, dataDirs: [] }, { ...JOB_LIMITS, datasetReport: { running: 0, waiting: 1, newestWins: true } });
  const doc = sampleProject();
  const first = jobs.runFor('page', 'datasetReport', doc, 'ds').then(() => null, (e: unknown) => e);
  const second = jobs.runFor('page', 'datasetReport', doc, 'ds').then(() => null, (e: unknown) => e);
  coded(await first, 'job-superseded');
  coded(await failure(() => jobs.runFor('other', 'datasetReport', doc, 'ds')), 'job-queue-full');
  jobs.cancelAll();
  coded(await second, 'job-cancelled');
});

/** A run folder with run.json and, when `header` is given, a checkpoint (no training needed). */
function fakeRun(runId: string, dataDir: string, epochs: number, header?: { epoch: number; cursor?: { epoch: number; batch: number } }): string {
  const dir = path.join(root, 'runs', runId);
  fs.mkdirSync(dir, { recursive: true });
  const doc = sampleProject({ epochs });
  writeRunRecord(dir, newRunRecord(doc, dataDir, null, 'cpu'));
  if (header) {
    const cursor = header.cursor && { ...header.cursor, shuffled: false, order: [0, 1] };
    writeCheckpoint(path.join(dir, 'checkpoint.nwck'), { step: 4, epoch: header.epoch, t: 4, rngState: [1, 2, 3, 4], classNames: ['a', 'b'], dataDir, doc, ...(cursor ? { cursor } : {}) }, new Map([['w', Float32Array.of(1, 2)]]));
  }
  return dir;
}

test('continuing a run: refused with the epochs it has, or without a checkpoint', async () => {
  const training = new TrainingSession(project, { threads: 1 });
  const ds = path.join(root, 'ds');
  fakeRun('done3', ds, 3, { epoch: 3 });
  const finished = coded(await failure(() => training.continueRun('done3', { allowLarge: false })), 'continue-finished');
  assert.match(finished, /3 轮/);
  const below = await failure(() => training.continueRun('done3', { epochs: 2, allowLarge: false }));
  coded(below, 'continue-below');
  assert.deepEqual((below as EngineError).text?.params, { runId: 'done3', done: 3, min: 3 });
  fakeRun('mid', ds, 5, { epoch: 2, cursor: { epoch: 3, batch: 1 } });
  coded(await failure(() => training.continueRun('mid', { epochs: 2, allowLarge: false })), 'continue-in-epoch');
  fakeRun('bare', ds, 2);
  coded(await failure(() => training.continueRun('bare', { allowLarge: false })), 'cannot-continue');
  assert.equal(training.status().state, 'idle');
});

test('a wrapped error keeps the inner code: a run whose dataset is gone, an image that is not one', async () => {
  fs.writeFileSync(path.join(fakeRun('model', path.join(root, 'empty'), 1), 'model.onnx'), 'not read here');
  const m = runModel(project, 'model', 'last');
  const e = await failure(() => validationImages(m));
  const s = coded(e, 'run-dataset-unreadable');
  const reason = (e as EngineError).text?.params.reason;
  assert.equal(typeof reason === 'object' && reason.code, 'dataset-no-classes', JSON.stringify(reason));
  assert.match(s, /没有找到类别文件夹/);

  const bad = await failure(() => predictImage(project, 'model', 'last', { data: Buffer.from('hello, not an image').toString('base64') }, 3));
  const zhBad = coded(bad, 'image-unusable');
  const inner = (bad as EngineError).text?.params.reason;
  assert.ok(typeof inner === 'object', `the decoder's reason is a skip reason with a code: ${JSON.stringify(inner)}`);
  assert.ok(!zhBad.includes(inner.message), zhBad);
});

test('the Learn panel: a layer or a parameter the network does not have', async () => {
  const doc = sampleProject();
  coded(await failure(() => learnLayer(project, doc, 'ds', 'no-such-layer')), 'no-layer');
  coded(await failure(() => learnNudge(project, doc, 'ds', 'no-such-layer.W', 0)), 'no-parameter');
  const conv = doc.nodes.find((n) => n.type === 'Conv2D')!;
  const e = await failure(() => learnNudge(project, doc, 'ds', `${conv.id}.W`, 1e9));
  coded(e, 'index-outside');
  assert.equal((e as EngineError).text?.params.index, 1e9);
});

test('the host and the clients: a malformed request, an unexpected reply, a lost engine', async () => {
  const host = createHost({ root, recentFile: path.join(root, 'recent.json'), threads: 1 });
  after(() => host.jobs.cancelAll());
  const r = await host.handle({ id: 1, method: 'noSuchMethod' });
  assert.ok(!r.ok);
  coded(new EngineError(r.code, r.error, r.text), 'bad-request');

  // A reply that is not what the method returns.
  let reply: (m: unknown) => void = () => {};
  const odd = new RpcClient({ send: async (m) => void setTimeout(() => reply({ id: m.id, ok: true, result: { nothing: 'like info' } })), receive: (m) => void (reply = m), close() {} });
  coded(await failure(() => odd.info()), 'unexpected-reply');

  // The desktop app: a method its preload lacks, and the engine process gone while a call waits.
  let lost = () => {};
  const api = { info: async () => undefined, onMessage() {}, onLost: (cb: () => void) => void (lost = cb) } as unknown as PreloadEngine;
  const desktop = new RpcClient(new PreloadTransport(api));
  coded(await failure(() => desktop.listRuns()), 'no-desktop-method');
  const waiting = desktop.info().then(() => null, (e: unknown) => e);
  await new Promise((r) => setTimeout(r, 10));
  lost();
  coded(await waiting, 'engine-restarting');
});
