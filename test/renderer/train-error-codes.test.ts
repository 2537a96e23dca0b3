// A run's errors (engine/train/: the document and network, checkpoints, a run's model file) and
// the dataset thumbnails and crash backup (engine/session/dataset.ts, backup.ts) carry a code +
// params (engine/graph/error-codes.ts): each provoked here for real has its code, the en text is
// the engine's English message word for word, and zh-CN shows it in Chinese with its params; a
// document's or a network's problems are listed each in Chinese (engine.<code>), also after the
// host and the RPC client.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { problemLine } from '../../engine/graph/error-codes.ts';
import { createHost } from '../../engine/host.ts';
import { EngineError, type ClientRequest, type EngineText } from '../../engine/protocol.ts';
import { DocumentBackup } from '../../engine/session/backup.ts';
import { thumbnails } from '../../engine/session/dataset.ts';
import { Project } from '../../engine/session/project.ts';
import { newRunRecord, writeRunRecord } from '../../engine/session/runs.ts';
import { TrainingSession } from '../../engine/session/training.ts';
import { decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint } from '../../engine/train/checkpoint.ts';
import { openModel } from '../../engine/train/predictor.ts';
import { documentOrThrow, prepareRun } from '../../engine/train/prepare.ts';
import { readWeightsFile } from '../../engine/train/weights.ts';
import { RpcClient, type Transport } from '../../renderer/client/rpc.ts';
import { problemText } from '../../renderer/i18n/problems.ts';
import { sampleProject } from '../fixtures/sample.ts';
import { coded, codedText, en, failure, HAN, zh, projectWithData } from './coded.ts';


/** Each problem the text lists appears in zh as its own engine.<code> text, with its layer. */
function listsTranslated(s: string, text: EngineText | undefined, codes: string[]): void {
  assert.deepEqual(text?.problems?.map((p) => p.code), codes);
  for (const p of text!.problems!) {
    const line = problemText(zh.t, zh, p);
    assert.match(line, HAN, line);
    assert.ok(s.includes(problemLine(p, line)), `${s} lacks ${line}`);
    assert.ok(!s.includes(p.message), `${s} has the English ${p.message}`);
  }
}

const { root, project } = projectWithData();

/** The sample network with one layer's params changed. */
function withParams(id: string, params: Record<string, unknown>) {
  const doc = sampleProject();
  return { ...doc, nodes: doc.nodes.map((n) => (n.id === id ? { ...n, params: { ...n.params, ...params } } : n)) };
}

test('a document with problems is refused listing each, translated, through the host and the client', async () => {
  const bad = withParams('conv1', { kernel: 0, filters: 1e9 });
  const training = new TrainingSession(project, { threads: 1 });
  const e = await failure(() => training.start(bad, 'ds', { allowLarge: false, device: 'cpu', docPath: null }));
  assert.ok(e instanceof EngineError && e.code === 'bad-request', String(e));
  const s = coded(e, 'document-problems');
  listsTranslated(s, e.text, ['param-range', 'param-range']);
  assert.ok(s.startsWith('文档有问题'), s);
  assert.deepEqual(new Set(e.text?.problems?.map((p) => `${p.nodeId}.${p.param}`)), new Set(['conv1.kernel', 'conv1.filters']));

  // The problems survive the reply's schema (the host) and the RPC client.
  const host = createHost({ root, recentFile: path.join(root, 'recent.json'), threads: 1 });
  after(() => host.jobs.cancelAll());
  let onMessage: (m: unknown) => void = () => {};
  const t: Transport = { send: async (m: ClientRequest) => void host.handle(m).then((r) => onMessage(JSON.parse(JSON.stringify(r)))), receive: (m) => void (onMessage = m), close() {} };
  const client = new RpcClient(t);
  const remote = await failure(() => client.datasetReport(bad, 'ds'));
  assert.ok(remote instanceof EngineError, String(remote));
  listsTranslated(coded(remote, 'document-problems'), remote.text, ['param-range', 'param-range']);

  // A document that cannot be loaded at all (two layers with one id); a run's own document names the run.
  const twice = sampleProject();
  const dup = { ...twice, nodes: [...twice.nodes, { ...twice.nodes[1] }] };
  const unloadable = await failure(() => documentOrThrow(dup));
  listsTranslated(coded(unloadable, 'document-unloadable'), (unloadable as { text?: EngineText }).text, ['duplicate-id']);
  const inRun = await failure(() => documentOrThrow(bad, { code: 'run-document', params: { runId: 'r7' }, message: "run r7's document" }));
  assert.match(coded(inRun, 'document-problems'), /运行 r7 的文档有问题/);
});

test('a network whose shapes do not work out: the run refuses it with each problem translated', async () => {
  const doc = withParams('conv3', { kernel: 9, padding: 'valid' });
  const e = await failure(() => prepareRun({ doc, dataDir: path.join(root, 'ds'), outDir: path.join(root, 'out-shapes') }, () => {}));
  const s = coded(e, 'network-problems');
  listsTranslated(s, (e as { text?: EngineText }).text, ['kernel-too-large']);
  assert.ok(s.includes('[conv3.kernel] 卷积核 9x9'), s);

  // Started from the editor: the run's thread refuses it, and the status keeps the listed problems.
  const training = new TrainingSession(project, { threads: 1 });
  training.start(doc, 'ds', { allowLarge: true, device: 'cpu', docPath: null });
  await training.finished;
  const status = training.status();
  assert.ok(status.error, JSON.stringify(status));
  listsTranslated(codedText(status.error, status.errorText, 'network-problems'), status.errorText, ['kernel-too-large']);
});

/** A good checkpoint's bytes. */
const checkpointBytes = (): Buffer => Buffer.concat(encodeCheckpoint({ step: 4, epoch: 1, t: 4, rngState: [1, 2, 3, 4], classNames: ['a', 'b'], doc: sampleProject() }, new Map([['w', Float32Array.of(1, 2)]])));

test('damaged checkpoints: each fault has its code, and continuing the run names both files', async () => {
  const good = checkpointBytes();
  const flipped = Buffer.from(good);
  flipped[40] ^= 1;
  coded(await failure(() => decodeCheckpoint(flipped, 'x.nwck')), 'checkpoint-checksum');
  const cut = await failure(() => decodeCheckpoint(good.subarray(0, 30), 'x.nwck'));
  coded(cut, 'checkpoint-truncated');
  assert.equal((cut as { text?: EngineText }).text?.params.bytes, 30);
  coded(await failure(() => decodeCheckpoint(Buffer.from('NETWRIGHT-CHECKPOINT 1\nold'), 'x.nwck')), 'checkpoint-old-format');
  coded(await failure(() => readCheckpoint(path.join(root, 'nowhere.nwck'))), 'checkpoint-unreadable');
  const nan = await failure(() => writeCheckpoint(path.join(root, 'nan.nwck'), { step: 1, epoch: 0, t: 1, rngState: [1], classNames: [], doc: {} }, new Map([['fc.W', Float32Array.of(0, NaN)]])));
  assert.match(coded(nan, 'checkpoint-non-finite'), /fc\.W\[1\] 为 NaN/);

  // A run whose checkpoint is garbage and has no previous one: refused, the reasons in Chinese.
  const dir = path.join(root, 'runs', 'broken');
  fs.mkdirSync(dir, { recursive: true });
  writeRunRecord(dir, newRunRecord(sampleProject(), path.join(root, 'ds'), null, 'cpu'));
  fs.writeFileSync(path.join(dir, 'checkpoint.nwck'), 'PK\u0003\u0004 not a checkpoint at all, but long enough to be read');
  const training = new TrainingSession(project, { threads: 1 });
  const e = await failure(() => training.continueRun('broken', { allowLarge: false }));
  const s = coded(e, 'cannot-continue');
  const reason = (e as EngineError).text?.params.reason;
  assert.ok(typeof reason === 'object', JSON.stringify(reason));
  assert.equal(reason.code, 'no-checkpoint');
  const [latest, previous] = [reason.params.latest, reason.params.previous];
  assert.ok(typeof latest === 'object' && typeof previous === 'object', JSON.stringify(reason));
  assert.deepEqual([latest.code, previous.code], ['checkpoint-no-magic', 'checkpoint-missing']);
  for (const english of ['cannot be continued', 'no usable checkpoint', 'no magic line', 'does not exist']) assert.ok(!s.includes(english), `${s} has English: ${english}`);
  assert.ok(s.includes(path.join(dir, 'checkpoint.prev.nwck')), s);
  assert.match(s, /不存在/);
});

test('a run model that is not ONNX, or not there; an imported model whose weights file is gone', async () => {
  const file = path.join(root, 'not.onnx');
  fs.writeFileSync(file, 'hello, not a protobuf at all \u0000\u00ff');
  const e = await failure(() => openModel(file));
  coded(e, 'model-not-onnx');
  coded(await failure(() => openModel(path.join(root, 'gone.onnx'))), 'model-unreadable');
  coded(await failure(() => readWeightsFile(path.join(root, 'gone.safetensors'))), 'weights-unreadable');
});

test('thumbnails: a missing file and one that is not an image say why, coded', async () => {
  const cls = fs.readdirSync(path.join(root, 'ds')).find((n) => fs.statSync(path.join(root, 'ds', n)).isDirectory())!;
  fs.writeFileSync(path.join(root, 'ds', cls, 'junk.png'), 'not a png');
  const r = await thumbnails(project, 'ds', ['missing.png', `${cls}/junk.png`], 32);
  const [missing, junk] = r.images;
  assert.equal(missing.url, null);
  codedText(missing.error!, missing.text, 'data-file-missing');
  assert.equal(junk.url, null);
  codedText(junk.error!, junk.text, 'thumbnail-failed');
});

test('a damaged crash backup is skipped with its reason, coded', () => {
  const backup = new DocumentBackup(path.join(root, 'config'));
  backup.write('{"format":"netwright"}', null);
  const body = JSON.parse(fs.readFileSync(backup.file, 'utf8'));
  fs.writeFileSync(backup.file, JSON.stringify({ ...body, text: body.text + ' ' }));
  const r = backup.read();
  assert.equal(r.backup, null);
  const s = codedText(r.problem!, r.problemText, 'backup-damaged');
  assert.equal((r.problemText?.params.reason as EngineText).code, 'backup-checksum');
  assert.match(s, /校验和不匹配/);
  fs.writeFileSync(backup.file, '{"version": 2}');
  assert.equal((backup.read().problemText?.params.reason as EngineText).code, 'backup-contents');
});
