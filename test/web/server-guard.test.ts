// engine/web/server.ts under attack: the real `netwright serve` process gets a few hundred
// malformed requests over raw TCP (bad escapes, absolute-form and junk targets, huge headers,
// bad upgrades, hostile Host headers) and oversized or broken socket messages with the valid
// token. None may end the process; each gets a refusal, and a good request is still answered.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { tempDir } from '../fixtures/temp.ts';

let server: ChildProcess;
let output = '';
let port = 0;
let token = '';
let root = '';

before(async () => {
  root = tempDir('nw-guard-');
  const dist = path.join(root, 'dist');
  fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>netwright</title>');
  fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
  fs.mkdirSync(path.join(root, 'project'));
  fs.writeFileSync(path.join(root, 'project', 'a.json'), '{}');
  server = spawn(process.execPath, ['bin/netwright.js', 'serve', '--port', '0', '--root', path.join(root, 'project')], {
    env: { ...process.env, NETWRIGHT_CONFIG_DIR: path.join(root, '.config'), NETWRIGHT_RENDERER_DIR: dist },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d) => (output += d));
  server.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<URL>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`netwright serve did not start: ${output}`)), 30_000);
    server.stdout!.on('data', () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output);
      if (m) (clearTimeout(t), resolve(new URL(m[1])));
    });
    server.once('exit', (code) => reject(new Error(`netwright serve exited (${code}): ${output}`)));
  });
  port = Number(url.port);
  token = url.searchParams.get('token')!;
});
after(() => {
  server.kill('SIGTERM');
});

const alive = () => server.exitCode === null && server.signalCode === null;

/** Sends bytes on a fresh connection; resolves with the status code of the reply (0: none, the connection just closed). */
function raw(payload: string | Buffer, ms = 3000): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(out)?.[1] ?? 0));
    };
    const timer = setTimeout(finish, ms);
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n')) finish();
    });
    s.on('end', finish);
    s.on('close', finish);
    s.on('error', finish);
    s.write(payload);
  });
}

const request = (target: string, headers: Record<string, string> = {}, method = 'GET') =>
  `${method} ${target} HTTP/1.1\r\n${Object.entries({ Host: `127.0.0.1:${port}`, Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

const upgrade = (target: string, headers: Record<string, string> = {}) =>
  request(target, { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: `http://127.0.0.1:${port}`, ...headers });

/** A good request: the page with the token. */
async function pageStatus(): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/?token=${token}`)).status;
}

function connect(headers: { origin?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: headers.origin ?? `http://127.0.0.1:${port}` });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function reply(ws: WebSocket, text: string | Buffer, binary = false): Promise<{ id: number; ok: boolean; code?: string; error?: string }> {
  return new Promise((resolve, reject) => {
    const closed = () => reject(new Error('closed'));
    ws.once('message', (d) => (ws.off('close', closed), resolve(JSON.parse(String(d)))));
    ws.once('close', closed);
    ws.send(text, { binary });
  });
}

/** Every attack, run in batches; after each batch the process must be alive and answer. */
async function attack(name: string, payloads: (string | Buffer)[], allowed: number[]): Promise<void> {
  const statuses = new Map<number, number>();
  for (let i = 0; i < payloads.length; i += 25) {
    const got = await Promise.all(payloads.slice(i, i + 25).map((p) => raw(p)));
    got.forEach((s, j) => {
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
      assert.ok(allowed.includes(s), `${name}: ${JSON.stringify(String(payloads[i + j]).slice(0, 200))} got ${s || 'no reply'}`);
    });
    assert.ok(alive(), `${name}: netwright serve died (batch from ${i}):\n${output}`);
  }
  assert.equal(await pageStatus(), 200, `${name}: the page is still served`);
  attempts += payloads.length;
  console.log(`${name}: ${payloads.length} attempts, replies ${JSON.stringify(Object.fromEntries(statuses))}`);
}
let attempts = 0;

const BAD_ESCAPES = ['%', '%E0%A4%A', '%zz', '%C0%AF', '%ED%A0%80', '%FF', '%E0%A4', '%%', '%0', '%u2215', '%F0%9F%98'];

test('malformed URI escapes get 400, on every path and in the query', async () => {
  const payloads: string[] = [];
  for (const e of BAD_ESCAPES) {
    for (const t of [`/${e}`, `/assets/${e}`, `/${e}/index.html`, `/${e}?token=${token}`, `/ws${e}?token=${token}`, `/assets%2f${e}`]) {
      payloads.push(request(t), request(t, {}, 'HEAD'));
    }
  }
  await attack('bad escapes', payloads, [400]);
  // In the query they are only a token that does not match (URLSearchParams keeps them as they are).
  await attack('bad escapes in the query', BAD_ESCAPES.flatMap((e) => [request(`/?token=${e}`), request(`/?token=${token}&x=${e}`), request(`/?${e}=${token}`)]), [200, 403]);
  // The exact request from the issue: a 400, not a dead engine.
  assert.equal(await raw(request('/%E0%A4%A')), 400);
});

test('absolute-form, junk and traversal targets are refused; index.html only with the token', async () => {
  const targets = [
    'http://[', 'http://[::1', 'http://', `http://127.0.0.1:${port}/`, `http://127.0.0.1:${port}/?token=${token}`, 'https://evil.example/', 'ftp://x', 'http://a:b@[/', '*', '//', '///etc/passwd',
    '\\', ':', '?', '#', 'index.html', '..', '/..', '/../package.json', '/assets/../index.html', '/assets%2f..%2findex.html', '/assets%2F..%2Findex.html',
    '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2fpackage.json', '/index.html', '/INDEX.HTML', '/./index.html', '/assets/./app.js/..', '/assets/x.html', '/index.html%00',
    '/assets/%2e%2e/index.html', '/%5c..%5cpackage.json', '/assets\\..\\index.html', `/${'a'.repeat(6000)}`, `/assets/${'%41'.repeat(2000)}`,
  ];
  const payloads: string[] = [];
  for (const t of targets) for (const m of ['GET', 'HEAD', 'POST', 'OPTIONS', 'BREW']) payloads.push(request(t, {}, m));
  await attack('targets', payloads, [0, 400, 403, 404, 405]);
  assert.equal(await raw(request('http://[')), 400);
  for (const t of ['/index.html', '/assets%2f..%2findex.html', '/INDEX.HTML', '/assets/x.html']) assert.notEqual(await raw(request(t)), 200, t);
  assert.equal(await raw(request('/assets/app.js')), 200, 'the bundle needs no token');
});

test('huge and broken headers, non-HTTP bytes', async () => {
  const payloads: (string | Buffer)[] = [
    request('/', { 'X-Big': 'a'.repeat(100_000) }),
    request('/', Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, 'v']))),
    `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    'GET / HTTP/1.1\r\nno colon here\r\n\r\n',
    'GET / HTTP/9.9\r\n\r\n',
    'GET /\r\n\r\n',
    'GET\r\n\r\n',
    '\r\n\r\n\r\n',
    'HELLO\r\n\r\n',
    `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n`,
    `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: -1\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcde`,
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nHost: evil.example\r\n\r\n`,
    Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)),
    Buffer.from('GET / HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n', 'latin1'),
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX: a\0b\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n ${'folded'}\r\n\r\n`,
  ];
  await attack('headers', payloads, [0, 400, 403, 404, 405, 431, 505]);
});

test('the Host header must be a loopback name with this port (DNS rebinding), for the page and the socket', async () => {
  const hosts = ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`, `[::1]:${port + 1}`, '[', `:${port}`, '', `127.0.0.1:${port}@evil.example`, `0.0.0.0:${port}`, `127.1:${port}`];
  const payloads: string[] = [];
  for (const h of hosts) {
    payloads.push(request(`/?token=${token}`, { Host: h }), request('/assets/app.js', { Host: h }), upgrade(`/ws?token=${token}`, { Host: h }));
  }
  payloads.push(`GET /?token=${token} HTTP/1.1\r\nConnection: close\r\n\r\n`); // no Host at all
  await attack('evil Host', payloads, [400, 403]);
  for (const h of [`localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) assert.equal(await raw(request(`/?token=${token}`, { Host: h })), 200, h);
  assert.equal(await raw(upgrade(`/ws?token=${token}`, { Host: `localhost:${port}`, Origin: `http://localhost:${port}` })), 101);
});

test('bad upgrades: wrong target, token, Origin, key or version', async () => {
  const payloads: string[] = [];
  for (const e of BAD_ESCAPES) payloads.push(upgrade(`/ws?token=${e}`), upgrade(`/${e}?token=${token}`));
  for (const t of ['http://[', `http://127.0.0.1:${port}/ws?token=${token}`, '*', '/ws', `/ws?token=${token}x`, `/ws/?token=${token}`, `/WS?token=${token}`, `/ws?token=${token}&token=x`]) payloads.push(upgrade(t));
  const good = `/ws?token=${token}`;
  for (const origin of ['http://evil.example', 'null', '', `http://127.0.0.1:${port + 1}`, `https://127.0.0.1:${port}`, `http://127.0.0.1:${port}.evil.example`]) payloads.push(upgrade(good, { Origin: origin }));
  for (const [k, v] of [['Sec-WebSocket-Key', ''], ['Sec-WebSocket-Key', 'short'], ['Sec-WebSocket-Version', '8'], ['Sec-WebSocket-Version', 'x'], ['Upgrade', 'h2c'], ['Upgrade', ''], ['Sec-WebSocket-Extensions', 'permessage-deflate; x=\u0001'], ['Sec-WebSocket-Protocol', ',,,']]) {
    payloads.push(upgrade(good, { [k]: v }));
  }
  payloads.push(`${upgrade(good).slice(0, -2)}X-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
  payloads.push(upgrade(good) + '\x88\xff\x00\x00\x00\x00garbage frame'.repeat(50));
  await attack('bad upgrades', payloads, [0, 101, 400, 403, 404, 426, 431]);
});

test('socket messages: oversized, binary, broken JSON and unsafe ids close or answer that connection only', async () => {
  const ws = await connect();
  const keep = await connect();
  let n = 0;
  // Over the 32 MiB limit: that connection closes (1009), the other keeps working.
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('error', () => {});
  ws.send('x'.repeat(33 * 1024 * 1024));
  n++;
  assert.equal(await closed, 1009);
  assert.ok(alive(), output);
  assert.equal((await reply(keep, JSON.stringify({ id: 1, method: 'info' }))).ok, true);
  // Under the limit but over the image limit: a refusal, not a crash.
  const big = await reply(keep, JSON.stringify({ id: 2, method: 'predict', runId: 'x', image: { data: 'A'.repeat(25 * 1024 * 1024) } }));
  assert.equal(big.code, 'bad-request');
  n++;
  for (const text of ['{', 'null', '[]', '"x"', '1e400', '{"id":1e400,"method":"info"}', '{"id":1.5,"method":"info"}', '{"id":{},"method":"info"}', '{"__proto__":{"id":1},"method":"info"}', '[' .repeat(100_000), `{"id":3,"method":"listDir","dir":"${'\\u0000'.repeat(1000)}"}`, '{"id":4,"method":"openFile","path":"%E0%A4%A"}']) {
    const r = await reply(keep, text);
    assert.equal(r.ok, false, text.slice(0, 50));
    n++;
  }
  const unsafe = await reply(keep, '{"id":1e400,"method":"info"}');
  assert.equal(unsafe.id, -1);
  assert.match(unsafe.error!, /^id: must be a whole number/);
  assert.equal((await reply(keep, Buffer.from('{"id":5,"method":"info"}'), true)).code, 'bad-request');
  n += 2;
  assert.equal((await reply(keep, JSON.stringify({ id: 6, method: 'info' }))).ok, true);
  keep.close();
  attempts += n;
  assert.ok(alive(), output);
  assert.equal(await pageStatus(), 200);
  console.log(`socket messages: ${n} attempts; in all ${attempts} attempts, the server is alive`);
});
