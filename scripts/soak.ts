// Soak test (issue 8): the engine in web mode with the editor connected in Chromium, one long
// training run, then cancel-and-restart N times. Reports the engine process's resident memory
// (baseline, peak, after), its threads, and child processes left behind.
// Usage: node --import tsx scripts/soak.ts [--minutes 30] [--restarts 20]
// Runs on loopback only and stops by itself. Not part of npm test (it takes as long as asked).
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { writeSampleDataset } from '../engine/data/sample.ts';
import { start } from '../test/e2e/helpers.ts';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const minutes = arg('minutes', 30);
const restarts = arg('restarts', 20);
const root = path.resolve('.cache', 'soak');
fs.mkdirSync(root, { recursive: true });
const data = path.join(root, 'data');
writeSampleDataset(data);
fs.copyFileSync('examples/sample-shapes.json', path.join(root, 'net.json'));

const session = await start({ root, serveArgs: () => ['--doc', path.join(root, 'net.json'), '--data', data] });
// Never leave the engine running behind us, whatever ends this script.
const cleanup = () => {
  try {
    process.kill(session.pid, 'SIGTERM');
  } catch {
    // already gone
  }
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
const { url, pid } = session;
console.log(`serving ${url}`);
console.log('editor connected in Chromium');
const u = new URL(url);
const status = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const rssMiB = () => status('VmRSS') / 1024;
const threads = () => status('Threads');
const children = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try {
    return fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
  } catch {
    return false;
  }
}).length;

const ws = new WebSocket(`ws://127.0.0.1:${u.port}/ws?token=${u.searchParams.get('token')}`, { headers: { Origin: `http://127.0.0.1:${u.port}` } });
await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
let nextId = 1;
const waiting = new Map<number, (v: unknown) => void>();
const doneWaiters: (() => void)[] = [];
let steps = 0;
ws.on('message', (m) => {
  const msg = JSON.parse(String(m));
  if ('id' in msg) waiting.get(msg.id)?.(msg);
  else if (msg.event?.type === 'steps') steps += msg.event.points?.length ?? 0;
  else if (msg.event?.type === 'done' || msg.event?.type === 'error') {
    if (msg.event.type === 'error' || doneWaiters.length === 0) console.log(`  run ended: ${msg.event.type} ${msg.event.message ?? msg.event.reason ?? ''}`);
    for (const w of doneWaiters.splice(0)) w();
  }
});
const call = (method: string, args: Record<string, unknown> = {}) =>
  new Promise<{ ok: boolean; result?: unknown; error?: string }>((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve as (v: unknown) => void);
    ws.send(JSON.stringify({ id, method, ...args }));
  });
const doc = JSON.parse(fs.readFileSync(path.join(root, 'net.json'), 'utf8'));
doc.training.epochs = 100000;
// The sample set is learnt to a loss near 1e-8 within minutes; Adam then spikes now and then, which
// the divergence check would (rightly) stop. A soak is about memory over a long run: keep it going.
doc.training.divergence = { lossSpike: 0 };
const startRun = async () => {
  const r = await call('startTraining', { doc, dataDir: data, docPath: path.join(root, 'net.json') });
  if (!r.ok) throw new Error(`startTraining: ${r.error}`);
};
const stopRun = async () => {
  const done = new Promise<void>((r) => doneWaiters.push(r));
  await call('stopTraining');
  await done;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const before = { rss: rssMiB(), threads: threads(), children: children() };
console.log(`engine pid ${pid}: before training ${before.rss.toFixed(0)} MiB, ${before.threads} threads, ${before.children} child processes`);
await startRun();
const samples: number[] = [];
const t0 = Date.now();
while (Date.now() - t0 < minutes * 60_000) {
  await sleep(10_000);
  samples.push(rssMiB());
  console.log(`  ${((Date.now() - t0) / 60_000).toFixed(1)} min: ${steps} steps, ${samples.at(-1)!.toFixed(0)} MiB, ${threads()} threads`);
}
await stopRun();
await sleep(2000);
const baseline = { rss: rssMiB(), threads: threads() };
console.log(`after the ${minutes}-minute run (${steps} steps): ${baseline.rss.toFixed(0)} MiB, ${baseline.threads} threads; peak during it ${Math.max(...samples).toFixed(0)} MiB`);
const after: number[] = [];
for (let i = 0; i < restarts; i++) {
  const s0 = steps;
  await startRun();
  while (steps - s0 < 20) await sleep(50);
  await stopRun();
  after.push(rssMiB());
}
await sleep(2000);
const end = { rss: rssMiB(), threads: threads(), children: children() };
console.log(`after ${restarts} cancel-and-restart cycles: ${end.rss.toFixed(0)} MiB (per cycle: ${after.map((v) => v.toFixed(0)).join(' ')}), ${end.threads} threads, ${end.children} child processes`);
console.log(JSON.stringify({ minutes, restarts, steps, rssBeforeMiB: before.rss, rssPeakMiB: Math.max(...samples), rssBaselineMiB: baseline.rss, rssEndMiB: end.rss, threadsBaseline: baseline.threads, threadsEnd: end.threads, childrenEnd: end.children }));
ws.close();
await session.close();
