// npm run bench: Netwright against PyTorch (../shared/bench/torch_bench.py) on the same
// machine, same threads, batch and nets, interleaved in pairs over several process launches
// (the machine drifts; one process can settle fast or slow for its whole life), then LeNet-5's
// time to 85% test accuracy for both. Prints medians, min-max and the median ratio per net.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const launches = Number(flag('launches', '5'));
const windows = flag('windows', '5');
const nets = flag('nets', 'mlp,lenet5,small_cnn').split(',');
const json = args.includes('--json');
const skipTime = args.includes('--no-time-to-accuracy');
const TORCH_BENCH = path.resolve(root, '..', 'shared', 'bench', 'torch_bench.py');
const PY = '/usr/bin/python3';

const log = (s: string) => {
  if (!json) console.log(s);
};

function torchMissing(): string | null {
  if (!fs.existsSync(PY) || spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) return 'python3-torch is not installed (apt-get install python3-torch python3-numpy libopenblas0-openmp)';
  if (!fs.existsSync(TORCH_BENCH)) return `the PyTorch reference script is missing (${TORCH_BENCH})`;
  return null;
}

// OpenBLAS 0.3.21 mis-detects newer AVX-512 CPUs; the reference README asks for SkylakeX there (PyTorch process only).
const avx512 = fs.existsSync('/proc/cpuinfo') && /avx512f/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
const torchEnv = { ...process.env, ...(avx512 ? { OPENBLAS_CORETYPE: 'SkylakeX' } : {}) };
delete torchEnv.OPENBLAS_L2_SIZE;

interface Rates { median: number; min: number; max: number }
type Side = { train: Rates; infer: Rates };

function netwright(net: string): Side {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'engine-bench.ts'), net, windows], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`engine-bench ${net} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function pytorch(net: string): Side {
  const out = path.join(os.tmpdir(), `nw-torch-${process.pid}.json`);
  const r = spawnSync(PY, [TORCH_BENCH, '--nets', net, '--no-train2', '--windows', windows, '--json', out], { encoding: 'utf8', env: torchEnv });
  if (r.status !== 0) throw new Error(`torch_bench ${net} failed: ${r.stderr}`);
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  return { train: j.train[net], infer: j.infer[net] };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const missing = torchMissing();
if (missing) log(`PyTorch side skipped: ${missing}`);
log(`${launches} launches x ${nets.join(', ')}; ${windows} timed windows of ~1 s each; ${os.availableParallelism()} threads; CPU ${os.cpus()[0]?.model ?? '?'}`);
const results: Record<string, { nw: Side[]; pt: Side[] }> = Object.fromEntries(nets.map((n) => [n, { nw: [], pt: [] }]));
for (let l = 0; l < launches; l++) {
  for (const net of nets) {
    // Alternate which engine goes first, so neither always gets the cooler machine.
    const order = l % 2 ? ['pt', 'nw'] : ['nw', 'pt'];
    for (const side of order) {
      if (side === 'nw') results[net].nw.push(netwright(net));
      else if (!missing) results[net].pt.push(pytorch(net));
    }
    const last = results[net];
    log(`  launch ${l + 1} ${net}: train ${Math.round(last.nw.at(-1)!.train.median)}${missing ? '' : ` vs ${Math.round(last.pt.at(-1)!.train.median)}`} samples/s, infer ${Math.round(last.nw.at(-1)!.infer.median)}${missing ? '' : ` vs ${Math.round(last.pt.at(-1)!.infer.median)}`}`);
  }
}

const table: Record<string, unknown>[] = [];
for (const net of nets) {
  for (const kind of ['train', 'infer'] as const) {
    const nw = results[net].nw.map((s) => s[kind].median);
    const pt = results[net].pt.map((s) => s[kind].median);
    const ratios = pt.length ? nw.map((v, i) => v / pt[i]) : [];
    table.push({
      net, kind,
      netwright: { median: median(nw), min: Math.min(...nw), max: Math.max(...nw) },
      pytorch: pt.length ? { median: median(pt), min: Math.min(...pt), max: Math.max(...pt) } : null,
      ratio: ratios.length ? { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) } : null,
    });
  }
}

let tta: Record<string, unknown> | null = null;
if (!skipTime && fs.existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz')) {
  log('time to 85% test accuracy, LeNet-5 (training time; test evaluated every 100 steps)…');
  const nw = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'time-to-accuracy.ts'), '0.85', '100', '1'], { cwd: root, encoding: 'utf8' });
  const pt = missing ? null : spawnSync(PY, [path.join(root, 'scripts', 'torch_lenet.py'), '--target', '0.85', '--eval-every', '100', '--seed', '1'], { encoding: 'utf8', env: torchEnv });
  tta = { netwright: nw.status === 0 ? JSON.parse(nw.stdout.trim().split('\n').pop()!) : { error: nw.stderr }, pytorch: pt ? (pt.status === 0 ? JSON.parse(pt.stdout.trim().split('\n').pop()!) : { error: pt.stderr }) : null };
}

if (json) {
  console.log(JSON.stringify({ launches, windows: Number(windows), cpu: os.cpus()[0]?.model, table, timeToAccuracy: tta }, null, 2));
} else {
  const f = (r: Rates | null) => (r ? `${Math.round(r.median)} (${Math.round(r.min)}-${Math.round(r.max)})` : '-');
  console.log('\nnet        kind   Netwright samples/s     PyTorch samples/s       ratio (median, min-max)');
  for (const row of table as { net: string; kind: string; netwright: Rates; pytorch: Rates | null; ratio: Rates | null }[]) {
    const ratio = row.ratio ? `${row.ratio.median.toFixed(2)}x (${row.ratio.min.toFixed(2)}-${row.ratio.max.toFixed(2)})` : '-';
    console.log(`${row.net.padEnd(10)} ${row.kind.padEnd(6)} ${f(row.netwright).padEnd(23)} ${f(row.pytorch).padEnd(23)} ${ratio}`);
  }
  if (tta) console.log(`\ntime to 85%: ${JSON.stringify(tta)}`);
}
