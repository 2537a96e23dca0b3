// A whole `netwright train` run against the bench's step rate for the same net, launched in
// turn (pairs, the order alternating), and the peak RSS of the training engine's process tree.
//
//   node --import tsx bench/whole-run.ts --net resnet-64 --data .cache/jpeg-2000 [--epochs 2] [--pairs 3] [--windows 3]
//   node --import tsx bench/whole-run.ts --net mlp --data .cache/fashion-mnist/train --epochs 4
//
// The run trains the bench's document (bench/nets.ts) with the bench's settings (batch 64, SGD,
// lr 0.01, momentum 0.9, default validation split 0.1) through bin/netwright.js, a cache folder
// of its own (warmed by one short run first, so every measured run reads decoded pixels; the cold
// decode is bench/data.ts's). From each run: metrics.csv's epoch rows (samples/s over the
// epoch's steps, as the engine reports them) and the median of its step rows after the first
// epoch; the wall-clock rate from one "epoch N" line on stdout to the next (so validation,
// model files and the checkpoint count); and the peak RSS, sampled every 200 ms from
// /proc/PID/status (VmRSS summed over the process and its descendants; VmHWM of the engine
// process, its own high-water mark, read at each sample). The bench side is
// `bench/engine-bench.ts NET WINDOWS` (its train median). Prints one JSON line per launch and a
// summary of medians. Timings only, never in tests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchNet } from './nets.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt?: string): string => {
  const i = args.indexOf(name);
  if (i >= 0 && args[i + 1] !== undefined) return args[i + 1];
  if (dflt === undefined) throw new Error(`missing ${name}`);
  return dflt;
};
const net = opt('--net');
const data = path.resolve(opt('--data'));
const epochs = Number(opt('--epochs', '2'));
const pairs = Number(opt('--pairs', '3'));
const windows = opt('--windows', '3');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-whole-run-'));
const cacheDir = path.join(work, 'cache');

const doc = benchNet(net);
doc.training = { ...doc.training, optimizer: 'sgd', lr: 0.01, momentum: 0.9, batchSize: 64, epochs, valSplit: 0.1 };
const docFile = path.join(work, `${net}.json`);
fs.writeFileSync(docFile, JSON.stringify(doc));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** KiB of a /proc status field, 0 when the process is gone. */
function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let kids = '';
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const k of kids.split(/\s+/).filter(Boolean).map(Number)) out.push(k, ...descendants(k));
  }
  return out;
}

interface Launch { stdout: string; seconds: number; peakTreeKb?: number; hwmKb?: number; lines: { t: number; line: string }[] }

function launch(cmd: string[], env: NodeJS.ProcessEnv = {}, sample = false): Promise<Launch> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd[0], cmd.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines: Launch['lines'] = [];
    child.stdout.on('data', (b: Buffer) => {
      stdout += b;
      partial += b;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const line of parts) lines.push({ t: (performance.now() - t0) / 1000, line });
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    let peakTreeKb = 0;
    let hwmKb = 0;
    const timer = sample
      ? setInterval(() => {
          const pid = child.pid!;
          const tree = [pid, ...descendants(pid)];
          peakTreeKb = Math.max(peakTreeKb, tree.reduce((s, p) => s + statusKb(p, 'VmRSS'), 0));
          hwmKb = Math.max(hwmKb, statusKb(pid, 'VmHWM'));
        }, 200)
      : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      if (code !== 0) return reject(new Error(`${cmd.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      resolve({ stdout, seconds: (performance.now() - t0) / 1000, peakTreeKb, hwmKb, lines });
    });
  });
}

const cli = (out: string, extra: string[] = []) => [process.execPath, 'bin/netwright.js', 'train', docFile, '--data', data, '--out', out, ...extra];
const env = { NETWRIGHT_CACHE_DIR: cacheDir };

console.error(`warming the decode cache (${data}) …`);
await launch(cli(path.join(work, 'warm'), ['--epochs', '1', '--max-steps', '1']), env);

const rows: Record<string, number>[] = [];
for (let p = 0; p < pairs; p++) {
  const order = p % 2 === 0 ? ['run', 'bench'] : ['bench', 'run'];
  const row: Record<string, number> = {};
  for (const which of order) {
    if (which === 'bench') {
      const r = await launch([process.execPath, '--import', 'tsx', 'bench/engine-bench.ts', net, windows]);
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { train: { median: number } };
      row.bench = j.train.median;
      console.log(JSON.stringify({ pair: p, kind: 'bench', trainMedian: j.train.median }));
    } else {
      const out = path.join(work, `run${p}`);
      const r = await launch(cli(out), env, true);
      const csv = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const epochRows = csv.filter((c) => c[4] !== '' || c[5] !== '');
      const epochRates = epochRows.map((c) => Number(c[6]));
      const laterSteps = csv.filter((c) => c[4] === '' && c[5] === '' && Number(c[1]) >= Math.min(2, epochs)).map((c) => Number(c[6]));
      const started = /training on \S+: (\d+) images/.exec(r.stdout);
      const trainCount = started ? Number(started[1]) : NaN;
      const epochTimes = r.lines.filter((l) => /^epoch \d+:/.test(l.line)).map((l) => l.t);
      const wallRates = epochTimes.slice(1).map((t, i) => trainCount / (t - epochTimes[i]));
      Object.assign(row, {
        epochRow: median(epochRates.slice(epochs > 1 ? 1 : 0)),
        stepRows: median(laterSteps),
        wall: median(wallRates),
        peakTreeMiB: r.peakTreeKb! / 1024,
        hwmMiB: r.hwmKb! / 1024,
        runSeconds: r.seconds,
      });
      console.log(JSON.stringify({ pair: p, kind: 'run', epochRates, stepRowsMedian: row.stepRows, wallRates, peakTreeMiB: row.peakTreeMiB, vmHwmMiB: row.hwmMiB, seconds: r.seconds }));
    }
  }
  rows.push(row);
}
const col = (k: string) => rows.map((r) => r[k]);
const ratio = (k: string) => median(rows.map((r) => r[k] / r.bench));
console.log(
  JSON.stringify({
    net,
    pairs,
    bench: median(col('bench')),
    epochRow: median(col('epochRow')),
    stepRows: median(col('stepRows')),
    wall: median(col('wall')),
    ratioEpochRow: ratio('epochRow'),
    ratioStepRows: ratio('stepRows'),
    ratioWall: ratio('wall'),
    peakTreeMiB: Math.max(...col('peakTreeMiB')),
    vmHwmMiB: Math.max(...col('hwmMiB')),
  }),
);
fs.rmSync(work, { recursive: true, force: true });
