// Engine errors and skipped-file reasons carry a code + params (engine/graph/error-codes.ts):
// every code has a text in each UI language, the sources emit no code missing from the list and
// every listed code is emitted; the codes survive the host, the job thread and the RPC client;
// zh-CN shows them in Chinese and English as the engine wrote them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ERROR_CODES, SKIP_CODES, SKIP_REASONS, skipReason, skipText } from '../../engine/graph/error-codes.ts';
import { estimateMemory, memoryRefusalText } from '../../engine/graph/memory.ts';
import { scanImageFolder } from '../../engine/data/scan.ts';
import { LossWatch } from '../../engine/train/divergence.ts';
import { createHost } from '../../engine/host.ts';
import { EngineError, type ClientRequest } from '../../engine/protocol.ts';
import { RpcClient, type Transport } from '../../renderer/client/rpc.ts';
import { createI18n, LANGUAGES, RESOURCES } from '../../renderer/i18n/index.ts';
import { engineText, skipReasonText } from '../../renderer/i18n/errors.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
const ALL: readonly string[] = [...ERROR_CODES, ...SKIP_CODES];
const en = createI18n('en', false);
const zh = createI18n('zh-CN', false);
const HAN = /[\u4e00-\u9fff]/;
/** The en resource's own text for a coded message (engineText shows English messages as they are, so this checks the resource). */
const enText = (code: string, params: Record<string, unknown>) => en.t(`errors:${code}`, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'object' && v ? (v as { message: string }).message : v])));

test('every error code and skip reason has a text in every language, and nothing else does', () => {
  assert.equal(new Set(ALL).size, ALL.length, 'an error code and a skip code share a name');
  for (const l of LANGUAGES) {
    const errors = (RESOURCES[l] as unknown as { errors: Record<string, string> }).errors;
    for (const c of ALL) assert.ok(typeof errors[c] === 'string' && errors[c].length > 0, `${l}: errors:${c} is missing`);
    for (const k of Object.keys(errors)) assert.ok(ALL.includes(k), `${l}: errors:${k} is not a code the engine emits`);
  }
  // English skip texts are the engine's own reasons, word for word.
  for (const c of SKIP_CODES) assert.equal((RESOURCES.en as unknown as { errors: Record<string, string> }).errors[c], SKIP_REASONS[c], c);
});

test('the engine emits only listed codes, and every listed code somewhere', () => {
  const seen = new Set<string>();
  // The engine, and the RPC client for its own errors (no reply, a lost connection).
  for (const f of [...files('engine'), ...files('renderer/client')]) {
    if (f.endsWith('error-codes.ts')) continue;
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\b(?:said|skipReason)\('([a-z0-9-]+)'/g)) seen.add(m[1]);
  }
  for (const c of seen) assert.ok(ALL.includes(c), `${c} is emitted but not in ERROR_CODES / SKIP_REASONS`);
  for (const c of ALL) assert.ok(seen.has(c), `${c} is listed but never emitted`);
});

test('a skipped reason reads back as its code and params, and shows in Chinese', () => {
  for (const c of SKIP_CODES) {
    const params = Object.fromEntries([...SKIP_REASONS[c].matchAll(/\{(\w+)\}/g)].map((m) => [m[1], `v-${m[1]}`]));
    const reason = skipReason(c, params);
    assert.deepEqual(skipText(reason), { code: c, params }, reason);
    const zhText = skipReasonText(zh.t, zh, reason);
    assert.match(zhText, HAN, `${c}: ${zhText}`);
    for (const v of Object.values(params)) assert.ok(zhText.includes(v), `${c}: ${zhText} lacks ${v}`);
    assert.equal(skipReasonText(en.t, en, reason), reason);
  }
  assert.equal(skipText('something else entirely'), undefined);
  assert.equal(skipReasonText(zh.t, zh, 'something else entirely'), 'something else entirely');
});

test('real engine errors render in Chinese with their params; the en texts match the engine wording', async () => {
  const empty = tempDir();
  try {
    const e = await scanImageFolder(empty, { valSplit: 0.2, seed: 1 }).then(() => null, (err: Error) => err);
    assert.ok(e, 'an empty folder is refused');
    const text = (e as { text?: { code: string; params: Record<string, unknown> } }).text;
    assert.equal(text?.code, 'dataset-no-classes');
    assert.equal(enText(text!.code, text!.params), e.message);
    assert.equal(engineText(en.t, en, e), e.message);
    const s = engineText(zh.t, zh, e);
    assert.match(s, HAN);
    assert.ok(s.includes(empty), s);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }

  // The memory refusal, on a real network and a limit it does not fit.
  const doc = sampleProject();
  const m = estimateMemory(doc);
  const refusal = memoryRefusalText(m, m.total / 2, false, '(NETWRIGHT_MEMORY_LIMIT)');
  assert.ok(refusal);
  assert.equal(refusal.code, 'memory');
  assert.equal(enText(refusal.code, refusal.params), refusal.message);
  assert.match(engineText(zh.t, zh, refusal), HAN);

  // A loss spike: the event's message and its hint.
  const watch = new LossWatch(5, 0.1);
  for (let i = 1; i <= 20; i++) assert.equal(watch.check(i, 1), null);
  const d = watch.check(21, 1e6);
  assert.ok(d?.text);
  assert.equal(enText(d.text.code, d.text.params), d.message);
  assert.equal(enText(d.hintText!.code, d.hintText!.params), d.hint);
  assert.match(engineText(zh.t, zh, d), /第 21 步/);

  // An error without a code, or with a code this build has no text for: the English message.
  assert.equal(engineText(zh.t, zh, new EngineError('io', 'as is')), 'as is');
  assert.equal(engineText(zh.t, zh, new EngineError('io', 'as is', { code: 'never-heard', params: {} })), 'as is');
});

test('codes cross the job thread, the host and the RPC client', async () => {
  const root = tempDir();
  const host = createHost({ root, recentFile: path.join(root, 'recent.json'), threads: 1 });
  after(() => {
    host.jobs.cancelAll();
    fs.rmSync(root, { recursive: true, force: true });
  });
  let onMessage: (m: unknown) => void = () => {};
  const t: Transport = { send: async (m: ClientRequest) => void host.handle(m).then((r) => onMessage(JSON.parse(JSON.stringify(r)))), receive: (m) => void ((onMessage = m), host.onEvent((e) => m(JSON.parse(JSON.stringify(e))))), close() {} };
  const client = new RpcClient(t);
  const doc = sampleProject();

  fs.mkdirSync(path.join(root, 'empty'));
  const err = await client.datasetReport(doc, 'empty').then(() => null, (e: Error) => e);
  assert.ok(err instanceof EngineError, String(err));
  assert.equal(err.text?.code, 'dataset-no-classes');
  assert.match(engineText(zh.t, zh, err), HAN);
  assert.equal(engineText(en.t, en, err), err.message);

  // A dataset with a corrupt PNG and a stray file: each skipped with its code.
  const data = sampleData(4);
  const ds = path.join(root, 'ds');
  fs.cpSync(data, ds, { recursive: true });
  fs.rmSync(data, { recursive: true, force: true });
  const cls = fs.readdirSync(ds).find((n) => fs.statSync(path.join(ds, n)).isDirectory())!;
  fs.writeFileSync(path.join(ds, cls, 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
  fs.writeFileSync(path.join(ds, 'stray.png'), 'x');
  const r = await client.datasetReport(doc, 'ds');
  const broken = r.skipped.find((s) => s.path.endsWith('broken.png'));
  const stray = r.skipped.find((s) => s.path.endsWith('stray.png'));
  assert.deepEqual(broken?.text, { code: 'corrupt', params: { format: 'PNG' } }, JSON.stringify(r.skipped));
  assert.equal(stray?.text?.code, 'no-class-folder');
  assert.equal(skipReasonText(zh.t, zh, broken!), 'PNG 文件被截断或已损坏');
  assert.equal(skipReasonText(en.t, en, broken!), 'truncated or corrupt PNG');

  // A run refused before it starts (the memory limit), and a run that fails in its thread (no classes): both keep their codes, the latter in run.json too.
  process.env.NETWRIGHT_MEMORY_LIMIT = '1000';
  try {
    const refused = await client.startTraining(doc, 'ds').then(() => null, (e: Error) => e);
    assert.ok(refused instanceof EngineError && refused.code === 'refused', String(refused));
    assert.equal(refused.text?.code, 'memory');
    assert.match(engineText(zh.t, zh, refused), /超过了允许的 1(\.0+)? kB/);
  } finally {
    delete process.env.NETWRIGHT_MEMORY_LIMIT;
  }
  const events: { type: string; text?: { code: string } }[] = [];
  const off = client.onEvent((e) => void events.push(e.event as never));
  const { runId } = await client.startTraining(doc, 'empty');
  for (let i = 0; i < 300 && !events.some((e) => e.type === 'error'); i++) await new Promise((r) => setTimeout(r, 100));
  off();
  assert.equal(events.find((e) => e.type === 'error')?.text?.code, 'dataset-no-classes', JSON.stringify(events));
  const status = await client.trainingStatus();
  assert.equal(status.errorText?.code, 'dataset-no-classes');
  const run = (await client.listRuns()).find((r) => r.runId === runId);
  assert.equal(run?.status, 'error');
  assert.equal(run?.errorText?.code, 'dataset-no-classes');
  assert.match(engineText(zh.t, zh, { message: run!.error!, text: run!.errorText }), /没有找到类别文件夹/);

  // A file outside the project: refused with its code.
  const outside = await client.openFile('/etc/passwd').then(() => null, (e: Error) => e);
  assert.ok(outside instanceof EngineError);
  assert.ok(outside.text?.code === 'file-outside' || outside.text?.code === 'not-a-document', JSON.stringify(outside.text));
  assert.match(engineText(zh.t, zh, outside), HAN);
});
