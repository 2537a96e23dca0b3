// Memory check for a dataset larger than the in-memory budget: writes N 64x64 RGB PNGs (10
// classes; default 200000), trains a small CNN on them with the netwright CLI for a few hundred
// steps, and reports the engine process's peak resident memory (VmHWM, whole process: training
// worker, decoder threads, ORT). Usage: node --import tsx bench/data-memory.ts [N] [DIR]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode } from 'fast-png';
import { Rng } from '../engine/graph/rng.ts';

const n = Number(process.argv[2] ?? 200000);
const dir = process.argv[3] ?? path.join(os.tmpdir(), `nw-mem-${n}`);
const S = 64;
if (!fs.existsSync(path.join(dir, '.complete'))) {
  console.log(`writing ${n} ${S}x${S} RGB PNGs to ${dir} …`);
  const rng = new Rng(1);
  const px = new Uint8Array(S * S * 3);
  for (let c = 0; c < 10; c++) fs.mkdirSync(path.join(dir, `class${c}`), { recursive: true });
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    for (let k = 0; k < px.length; k++) px[k] = (k * (c + 1) + rng.int(64)) & 255;
    fs.writeFileSync(path.join(dir, `class${c}`, `${i}.png`), encode({ width: S, height: S, channels: 3, data: px }));
  }
  fs.writeFileSync(path.join(dir, '.complete'), '');
}
const doc = JSON.parse(fs.readFileSync('examples/sample-shapes.json', 'utf8'));
doc.nodes.find((x: { type: string }) => x.type === 'Input').params = { height: S, width: S, color: 'rgb' };
doc.nodes.find((x: { id: string }) => x.id === 'fc').params.units = 10;
doc.training = { ...doc.training, batchSize: 64, epochs: 1, valSplit: 0.01, data: { cacheDir: path.join(dir + '-cache') } };
const docFile = path.join(os.tmpdir(), 'nw-mem-doc.json');
fs.writeFileSync(docFile, JSON.stringify(doc));
const t0 = performance.now();
const child = spawn('node', ['bin/netwright.js', 'train', docFile, '--data', dir, '--max-steps', String(process.argv[4] ?? 300), '--out', path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-mem-run-')), 'run')], { stdio: ['ignore', 'inherit', 'inherit'] });
let peak = 0;
let hwm = 0;
const poll = setInterval(() => {
  try {
    const st = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0));
    hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(st)?.[1] ?? 0));
  } catch {
    // exited
  }
}, 100);
child.on('exit', (code) => {
  clearInterval(poll);
  console.log(`exit ${code} after ${((performance.now() - t0) / 1000).toFixed(0)} s; engine peak resident memory ${(hwm / 1024).toFixed(0)} MiB (VmHWM; sampled VmRSS peak ${(peak / 1024).toFixed(0)} MiB); dataset ${n} images = ${((n * S * S * 3) / 2 ** 30).toFixed(2)} GiB decoded`);
});
