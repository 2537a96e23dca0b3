// The bundles the desktop app loads: built by build/bundle.mjs, the engine process answers its
// MessagePort (malformed messages included) without dying, and the bundled training worker
// trains; the electron-builder configuration passes electron-builder's own validation.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { sampleData, sampleProject } from '../fixtures/sample.ts';

// Inside the repository, so the bundles resolve onnxruntime-node and sharp from node_modules as the app does.
fs.mkdirSync('.cache', { recursive: true });
const dist = fs.mkdtempSync(path.join(path.resolve('.cache'), 'bundle-'));
after(() => fs.rmSync(dist, { recursive: true, force: true }));
const built = spawnSync(process.execPath, ['build/bundle.mjs', dist], { encoding: 'utf8' });

test('build/bundle.mjs writes the main, preload, engine and worker bundles', () => {
  assert.equal(built.status, 0, built.stderr);
  for (const f of ['electron/main.cjs', 'electron/preload.cjs', 'engine/electron-host.mjs', 'engine/run-worker.mjs', 'engine/decode-worker.mjs', 'engine/prefetch-worker.mjs', 'engine/replica-worker.mjs', 'engine/job-worker.mjs']) assert.ok(fs.existsSync(path.join(dist, f)), f);
  const preload = fs.readFileSync(path.join(dist, 'electron/preload.cjs'), 'utf8');
  // A sandboxed preload may require only electron: everything else must be bundled in.
  const requires = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(requires)], ['electron']);
});

test('the engine process bundle answers over its port, and survives malformed messages', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-root-'));
  fs.writeFileSync(path.join(root, 'net.json'), JSON.stringify(sampleProject()));
  // Electron's utility process gives the entry `process.parentPort`; imitate it over a Node worker.
  const harness = `
    const { parentPort: outer, workerData } = require('node:worker_threads');
    const { EventEmitter } = require('node:events');
    const parent = new EventEmitter();
    process.parentPort = parent;
    const port = new EventEmitter();
    port.postMessage = (m) => outer.postMessage(m);
    port.start = () => {};
    outer.on('message', (m) => port.emit('message', { data: m }));
    import(workerData.entry).then(() => {
      parent.emit('message', { data: { type: 'connect', root: workerData.root }, ports: [port] });
      outer.postMessage('ready');
    });
  `;
  const w = new Worker(harness, { eval: true, workerData: { entry: path.join(dist, 'engine/electron-host.mjs'), root } });
  const replies: unknown[] = [];
  const ready = new Promise<void>((resolve) => w.on('message', (m) => (m === 'ready' ? resolve() : replies.push(m))));
  const send = async (m: unknown, n: number) => {
    w.postMessage(m);
    for (let i = 0; i < 200 && replies.length < n; i++) await new Promise((r) => setTimeout(r, 25));
    return replies[n - 1] as { id: number; ok: boolean; result?: { text?: string }; code?: string };
  };
  try {
    await ready;
    const bad1 = await send({ id: 1, method: 'eval', code: 'process.exit()' }, 1);
    assert.equal(bad1.ok, false);
    assert.equal(bad1.code, 'bad-request');
    const bad2 = await send('garbage', 2);
    assert.equal(bad2.ok, false);
    const outside = await send({ id: 3, method: 'openFile', path: '/etc/passwd' }, 3);
    assert.equal(outside.ok, false);
    assert.equal(outside.code, 'refused');
    const good = await send({ id: 4, method: 'openFile', path: 'net.json' }, 4);
    assert.equal(good.ok, true, JSON.stringify(good));
    assert.match(good.result!.text!, /"format":"netwright"/);
  } finally {
    await w.terminate();
  }
});

test('the bundled training worker trains', async () => {
  const w = new Worker(new URL(`file://${path.join(dist, 'engine/run-worker.mjs')}`));
  const events: { type: string; reason?: string; message?: string }[] = [];
  const done = new Promise<void>((resolve) => w.on('exit', () => resolve()));
  w.on('message', (e) => events.push(e));
  // 280 images: enough for the decoder threads (their bundle must load too).
  w.postMessage({ type: 'start', request: { doc: sampleProject({ epochs: 1, batchSize: 16 }), dataDir: sampleData(70), outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'nw-b-')), maxSteps: 2, threads: 1 } });
  await done;
  assert.ok(events.some((e) => e.type === 'log' && /decoded on \d+ threads/.test(e.message ?? '')), JSON.stringify(events.filter((e) => e.type === 'log')));
  const end = events.find((e) => e.type === 'done' || e.type === 'error');
  assert.equal(end?.type, 'done', JSON.stringify(end));
  assert.equal(end?.reason, 'max-steps');
});

test('the electron-builder configuration passes electron-builder validation', async () => {
  const require = createRequire(import.meta.url);
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config');
  const { DebugLogger } = require('builder-util');
  const config = { ...require(path.resolve('build/electron-builder.config.cjs')) };
  await validateConfiguration(config, new DebugLogger(false));
  assert.deepEqual(config.asarUnpack, ['node_modules/sharp/**', 'node_modules/@img/**', 'node_modules/onnxruntime-node/**']);
  assert.equal(config.electronFuses.runAsNode, false);
  assert.equal(config.electronFuses.onlyLoadAppFromAsar, true);
  await assert.rejects(validateConfiguration({ ...config, nsis: { oneClik: false } }, new DebugLogger(false)));
});
