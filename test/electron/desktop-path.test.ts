// The desktop app's engine path without an Electron binary: the real bundled preload (with a
// stand-in for the electron module) talks over a real MessagePort to the real bundled engine
// process entry, and the renderer's client (renderer/client/rpc.ts over the preload's transport) drives it: files, training, events.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { ServerEvent } from '../../engine/protocol.ts';
import { electronEngineClient, type PreloadEngine } from '../../renderer/client/electron-client.ts';
import { writeSampleDataset } from '../../engine/data/sample.ts';
import { sampleProject } from '../fixtures/sample.ts';

fs.mkdirSync('.cache', { recursive: true });
const dist = fs.mkdtempSync(path.join(path.resolve('.cache'), 'bundle-'));
after(() => fs.rmSync(dist, { recursive: true, force: true }));

/** Runs dist/electron/preload.cjs as Electron would, returning what it exposes and its listeners. */
function loadPreload() {
  const exposed: Record<string, unknown> = {};
  const listeners = new Map<string, (e: unknown, ...a: unknown[]) => void>();
  const electron = {
    contextBridge: { exposeInMainWorld: (k: string, v: unknown) => void (exposed[k] = v) },
    ipcRenderer: { on: (ch: string, fn: (e: unknown) => void) => void listeners.set(ch, fn), invoke: async () => null },
    webUtils: { getPathForFile: () => '' },
  };
  const code = fs.readFileSync(path.join(dist, 'electron', 'preload.cjs'), 'utf8');
  const mod = { exports: {} };
  new Function('require', 'module', 'exports', code)((name: string) => {
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  }, mod, mod.exports);
  return { exposed, listeners };
}

test('renderer -> preload -> MessagePort -> engine process: files, a training run and its events', async () => {
  const b = spawnSync(process.execPath, ['build/bundle.mjs', dist], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-desk-'));
  fs.writeFileSync(path.join(root, 'net.json'), JSON.stringify(sampleProject()));
  // The installers register .netwright (the same JSON) as the app's file type.
  fs.writeFileSync(path.join(root, 'twin.netwright'), JSON.stringify(sampleProject()));
  fs.writeFileSync(path.join(root, 'notes.txt'), 'not a network');
  const data = path.join(root, 'data');
  writeSampleDataset(data, 8, 3);

  // The engine process: electron-host.mjs with Electron's parentPort/MessagePortMain imitated over Node's.
  const { port1, port2 } = new MessageChannel();
  const harness = `
    const { workerData } = require('node:worker_threads');
    const { EventEmitter } = require('node:events');
    const parent = new EventEmitter();
    process.parentPort = parent;
    const p = workerData.port;
    const port = { on: (ev, fn) => p.on(ev, ev === 'message' ? (m) => fn({ data: m }) : fn), postMessage: (m) => p.postMessage(m), start: () => {} };
    import(workerData.entry).then(() => parent.emit('message', { data: { type: 'connect', root: workerData.root }, ports: [port] }));
    // What the main process says to the engine on its own channel (grants) comes through here.
    require('node:worker_threads').parentPort.on('message', (m) => parent.emit('message', { data: m, ports: [] }));
  `;
  const engine = new Worker(harness, { eval: true, workerData: { entry: path.join(dist, 'engine/electron-host.mjs'), root, port: port2 }, transferList: [port2] });
  try {
    const { exposed, listeners } = loadPreload();
    listeners.get('engine-port')!({ ports: [port1] });
    const client = electronEngineClient((exposed.netwright as { engine: PreloadEngine }).engine);

    assert.equal((await client.info()).root, fs.realpathSync(root));
    assert.deepEqual((await client.listDir('.')).entries.map((e) => e.name).sort(), ['data', 'net.json', 'twin.netwright']);
    assert.match((await client.openFile('twin.netwright')).text, /"format":"netwright"/);
    await assert.rejects(client.openFile('notes.txt'), (e: Error & { code?: string }) => e.code === 'refused');
    const opened = await client.openFile('net.json');
    await assert.rejects(client.openFile('/etc/passwd'), (e: Error & { code?: string }) => e.code === 'refused');

    assert.deepEqual((await client.devices()).map((d) => [d.device, d.device === 'cpu' ? true : typeof d.reason === 'string' || d.available]), [['cpu', true], ['cuda', true], ['dml', true], ['coreml', true]]);
    // A job on its own thread, from the bundled job-worker.mjs.
    const report = await client.datasetReport(JSON.parse(opened.text), data);
    assert.ok(report.totals.train > 0, JSON.stringify(report.totals));
    // A document outside the root opens only once the main process grants it (a double-click, the command line).
    const elsewhere = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-else-')), 'far.netwright');
    fs.writeFileSync(elsewhere, JSON.stringify(sampleProject()));
    await assert.rejects(client.openFile(elsewhere), (e: Error & { code?: string }) => e.code === 'refused');
    engine.postMessage({ type: 'grant', path: elsewhere });
    await new Promise((r) => setTimeout(r, 100));
    assert.match((await client.openFile(elsewhere)).text, /"format":"netwright"/);
    assert.equal((await client.saveFile(elsewhere, JSON.stringify(sampleProject()), { chosen: false })).path, fs.realpathSync(elsewhere));
    await assert.rejects(client.openFile(path.join(path.dirname(elsewhere), 'other.json')), (e: Error & { code?: string }) => e.code === 'refused' || e.code === 'not-found');

    const events: ServerEvent[] = [];
    const done = new Promise<void>((resolve) => client.onEvent((e) => (events.push(e), e.event.type === 'done' || e.event.type === 'error' ? resolve() : undefined)));
    const run = await client.startTraining(JSON.parse(opened.text), data, { maxSteps: 3 });
    await done;
    const end = events.at(-1)!.event;
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.ok(events.every((e) => e.runId === run.runId));
    assert.ok(events.some((e) => JSON.stringify(e.event).includes('"step"')), 'step events reached the page');
    const runs = await client.listRuns();
    assert.ok(runs.some((r) => r.runId === run.runId));
  } finally {
    port1.close();
    await engine.terminate();
  }
});
