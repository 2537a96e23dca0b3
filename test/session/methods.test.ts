// The method table (engine/protocol.ts, METHODS) is the whole protocol: the host has a handler
// for every method and for nothing else, each request's params are checked by its schema before
// the handler runs (a bad field named in a 'bad-request' reply), and the one RPC client
// (renderer/client/rpc.ts) turns its positional calls into the table's params.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createHost } from '../../engine/host.ts';
import { EngineError, METHOD_NAMES, METHODS, type ClientRequest, type ServerResponse } from '../../engine/protocol.ts';
import { RpcClient, type Transport } from '../../renderer/client/rpc.ts';
import { tempDir } from '../fixtures/sample.ts';

const root = tempDir();
fs.writeFileSync(path.join(root, 'net.json'), '{}');
fs.writeFileSync(path.join(root, 'model.onnx'), '');
const host = createHost({ root, recentFile: path.join(root, 'recent.json'), threads: 1 });
after(() => {
  host.jobs.cancelAll();
  fs.rmSync(root, { recursive: true, force: true });
});
let nextId = 1;
const handle = (m: Record<string, unknown>) => host.handle({ id: nextId++, ...m });

test('the host has a handler for every method of the table, and none besides', async () => {
  assert.deepEqual([...host.methods].sort(), [...METHOD_NAMES].sort());
  // Each one is dispatched: a request without params runs or is refused for a missing field, never as an unknown method.
  for (const method of METHOD_NAMES) {
    const r = await handle({ method });
    if (r.ok) {
      const checked = METHODS[method].result.safeParse(r.result);
      assert.ok(checked.success, `${method}'s reply fits its result schema: ${JSON.stringify(checked.error?.issues)}`);
    } else {
      assert.equal(r.code, 'bad-request', `${method}: ${r.error}`);
      assert.ok(r.error.startsWith(`${method}: `) && !/no method|no handler/.test(r.error), `${method}: ${r.error}`);
    }
  }
  const unknown = await handle({ method: 'eval', code: 'process.exit()' });
  assert.ok(!unknown.ok && unknown.code === 'bad-request' && /^method: no method named "eval"/.test(unknown.error), JSON.stringify(unknown));
  const inherited = await handle({ method: 'toString' });
  assert.ok(!inherited.ok && inherited.code === 'bad-request', 'a name from Object.prototype is no method');
});

test('bad params get a bad-request reply naming the field, before the handler runs', async () => {
  const bad = (await handle({ method: 'listDir', dir: 3 })) as Extract<ServerResponse, { ok: false }>;
  assert.equal(bad.code, 'bad-request');
  assert.match(bad.error, /^listDir: dir: /);
  const top = (await handle({ method: 'predict', runId: 'r', image: { path: 'a.png' }, top: 0 })) as Extract<ServerResponse, { ok: false }>;
  assert.equal(top.code, 'bad-request');
  assert.match(top.error, /^predict: top: .*>=\s*1/);
  const two = (await handle({ method: 'saveFile', path: 'x.json', text: 1 })) as Extract<ServerResponse, { ok: false }>;
  assert.match(two.error, /text: .*; chosen: /, 'every bad field is named');
  // Nothing was written by the refused save.
  assert.ok(!fs.existsSync(path.join(root, 'x.json')));
  // Defaults come from the table: listDir lists documents unless asked for ONNX files.
  const docs = await handle({ method: 'listDir', dir: '.' });
  assert.ok(docs.ok && (docs.result as { entries: { name: string }[] }).entries.some((e) => e.name === 'net.json'));
  const onnx = await handle({ method: 'listDir', dir: '.', files: 'onnx' });
  assert.ok(onnx.ok && (onnx.result as { entries: { name: string }[] }).entries.every((e) => e.name !== 'net.json'));
});

/** The RPC client over a transport that hands each message to the host, as the web bridge does. */
function loopback() {
  const sent: ClientRequest[] = [];
  let onMessage: (m: unknown) => void = () => {};
  const transport: Transport = {
    async send(m) {
      sent.push(m);
      void host.handle(JSON.parse(JSON.stringify(m))).then((r) => onMessage(r));
    },
    receive(m) {
      onMessage = m;
    },
    close() {},
  };
  return { client: new RpcClient(transport), sent, push: (m: unknown) => onMessage(m) };
}

test('the RPC client: positional arguments become the table params; replies, errors and events come back', async () => {
  const { client, sent, push } = loopback();
  for (const m of METHOD_NAMES) assert.equal(typeof client[m], 'function', m);
  assert.equal((await client.info()).root, fs.realpathSync(root));
  const listing = await client.listDir('.', 'onnx');
  assert.deepEqual(listing.entries.map((e) => e.name), ['model.onnx']);
  assert.deepEqual(sent.at(-1), { dir: '.', files: 'onnx', id: sent.at(-1)!.id, method: 'listDir' });
  await assert.rejects(client.openFile('/etc/passwd'), (e: Error) => e instanceof EngineError && e.code === 'refused');
  // Options after the positional params; undefined ones are left out, so the table's defaults apply.
  await assert.rejects(client.predict('no-run', { path: 'a.png' }, { top: 2, model: undefined }), (e: Error) => e instanceof EngineError);
  assert.deepEqual(sent.at(-1), { runId: 'no-run', image: { path: 'a.png' }, top: 2, id: sent.at(-1)!.id, method: 'predict' });
  const events: unknown[] = [];
  const off = client.onEvent((e) => events.push(e));
  push({ runId: 'r1', event: { type: 'log', level: 'info', message: 'hello' } });
  push({ runId: 'r1', event: { type: 'nonsense' } });
  off();
  push({ runId: 'r1', event: { type: 'log', level: 'info', message: 'after off' } });
  assert.deepEqual(events, [{ runId: 'r1', event: { type: 'log', level: 'info', message: 'hello' } }]);
});

test('a lost connection ends the calls sent on it; a call still waiting to be sent goes to the next one', async () => {
  let onMessage: (m: unknown) => void = () => {};
  let onLost: (e: EngineError) => void = () => {};
  let gate: (() => void) | null = null;
  const t: Transport = {
    // The second call waits for a connection (as the preload waits for the restarted engine's port).
    send: (m) => (m.method === 'listRuns' ? new Promise<void>((r) => (gate = r)).then(() => void setTimeout(() => onMessage({ id: m.id, ok: true, result: [] }))) : Promise.resolve()),
    receive: (m, l) => ((onMessage = m), (onLost = l)),
    close() {},
  };
  const client = new RpcClient(t);
  const sentCall = client.trainingStatus();
  const waitingCall = client.listRuns();
  await new Promise((r) => setTimeout(r, 10));
  onLost(new EngineError('io', 'the engine stopped; it is restarting'));
  await assert.rejects(sentCall, (e: Error) => e instanceof EngineError && e.code === 'io' && /restarting/.test(e.message));
  gate!();
  assert.deepEqual(await waitingCall, []);
  // A call that cannot be sent fails with the transport's reason.
  const down = new RpcClient({ send: async () => Promise.reject(new EngineError('io', 'cannot reach the Netwright engine')), receive() {}, close() {} });
  await assert.rejects(down.info(), /cannot reach/);
});

test('a reply that does not fit the result schema is an error, not a value', async () => {
  let onMessage: (m: unknown) => void = () => {};
  const t: Transport = { send: async (m) => void setTimeout(() => onMessage({ id: m.id, ok: true, result: { state: 'flying' } })), receive: (m) => void (onMessage = m), close() {} };
  await assert.rejects(new RpcClient(t).stopTraining(), /unexpected reply to stopTraining/);
});
