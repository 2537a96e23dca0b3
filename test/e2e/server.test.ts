// The web bridge without a browser: token, origin and file-path rules of `netwright serve`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { serve, type WebServer } from '../../engine/web/server.ts';

let web: WebServer;
let root: string;
let outside: string;
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-serve-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-outside-'));
  const dist = path.join(root, 'dist');
  fs.mkdirSync(dist);
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>t</title>');
  fs.mkdirSync(path.join(root, 'nets'));
  fs.writeFileSync(path.join(root, 'nets', 'a.json'), '{"format":"netwright"}');
  fs.writeFileSync(path.join(outside, 'b.json'), '{}');
  fs.symlinkSync(path.join(outside, 'b.json'), path.join(root, 'nets', 'link.json'));
  web = await serve({ root: path.join(root, 'nets'), rendererDir: dist, recentFile: path.join(root, 'recent.json') });
});
after(async () => {
  await web.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

function connect(o: { token?: string; origin?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${web.port}/ws?token=${o.token ?? web.token}`, { origin: o.origin ?? `http://127.0.0.1:${web.port}` });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

let next = 1;
function call(ws: WebSocket, req: Record<string, unknown>): Promise<{ ok: boolean; result?: unknown; code?: string; error?: string }> {
  const id = next++;
  return new Promise((resolve) => {
    const on = (d: WebSocket.RawData) => {
      const r = JSON.parse(String(d));
      if (r.id === id) (ws.off('message', on), resolve(r));
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ ...req, id }));
  });
}

test('listens on 127.0.0.1; the page and the socket need the per-launch token and the right Origin', async () => {
  assert.match(web.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
  assert.equal((await fetch(`http://127.0.0.1:${web.port}/`)).status, 403);
  assert.equal((await fetch(`http://127.0.0.1:${web.port}/?token=nope`)).status, 403);
  assert.equal((await fetch(web.url)).status, 200);
  // Every path but the bundle in assets/ needs the token; with it, nothing outside the editor's folder exists.
  assert.equal((await fetch(`http://127.0.0.1:${web.port}/../package.json`)).status, 403);
  assert.equal((await fetch(`http://127.0.0.1:${web.port}/../package.json?token=${web.token}`)).status, 404);
  await assert.rejects(connect({ token: 'nope' }));
  await assert.rejects(connect({ origin: 'http://evil.example' }));
  const ws = await connect();
  const r = await call(ws, { method: 'info' });
  assert.equal(r.ok, true);
  assert.equal((await call(ws, { method: 'nope' })).code, 'bad-request');
  ws.close();
});

test('files: only .json inside the root; a plain save only to a path opened or chosen this session', async () => {
  const ws = await connect();
  const list = (await call(ws, { method: 'listDir', dir: '' })).result as { entries: { name: string }[] };
  // A link is listed as what it points to (issue 16: symlinks shown), but never followed out of the root.
  assert.deepEqual(list.entries.map((e) => e.name), ['a.json', 'link.json']);
  assert.equal((await call(ws, { method: 'listDir', dir: '..' })).code, 'refused');
  assert.equal((await call(ws, { method: 'openFile', path: path.join(outside, 'b.json') })).code, 'refused');
  assert.equal((await call(ws, { method: 'openFile', path: 'link.json' })).code, 'refused');
  assert.equal((await call(ws, { method: 'openFile', path: '../dist/index.html' })).code, 'refused');
  assert.equal((await call(ws, { method: 'saveFile', path: 'x.txt', text: '{}', chosen: true })).code, 'refused');
  // Not chosen: refused. Chosen but existing: asks first. Overwrite: written.
  assert.equal((await call(ws, { method: 'saveFile', path: 'a.json', text: '{}', chosen: false })).code, 'refused');
  assert.equal((await call(ws, { method: 'saveFile', path: 'a.json', text: '{}', chosen: true })).code, 'exists');
  assert.equal((await call(ws, { method: 'saveFile', path: 'a.json', text: '{"v":1}', chosen: true, overwrite: true })).ok, true);
  assert.equal(fs.readFileSync(path.join(root, 'nets', 'a.json'), 'utf8'), '{"v":1}');
  // Now it was chosen: a plain save goes through.
  assert.equal((await call(ws, { method: 'saveFile', path: 'a.json', text: '{"v":2}', chosen: false })).ok, true);
  const opened = (await call(ws, { method: 'openFile', path: 'a.json' })).result as { path: string; text: string };
  assert.equal(opened.text, '{"v":2}');
  assert.deepEqual((await call(ws, { method: 'recentFiles' })).result, [opened.path]);
  ws.close();
});
