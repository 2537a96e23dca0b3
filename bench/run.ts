// npm run bench: Netwright against PyTorch (bench/torch/torch_bench.py) on the same
// machine, same threads, batch and nets (bench/nets.ts and bench/torch/nets.py), interleaved in
// pairs over several process launches (the machine drifts; one process can settle fast or slow
// for its whole life), then LeNet-5's time to 85% test accuracy for both. Prints medians,
// min-max, the median ratio per net and the fraction of the GEMM ceiling each side reaches.
//   npm run bench -- [--launches 5] [--windows 5] [--nets a,b] [--json FILE] [--no-time-to-accuracy] [--dry-run] [--help]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convPeak, gemmPeak } from './gemm-peak.ts';
import { BENCH_NETS, benchPlan } from './nets.ts';
import { median, netwrightSide, PY, pytorchSide, root, TORCH_LENET, torchEnv, torchMissing } from './sides.ts';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(`npm run bench -- [options]: Netwright against PyTorch 1.13, interleaved over process launches
  --launches N            process launches per side and net (default 5)
  --windows N             timed windows of ~1 s per launch (default 5)
  --nets a,b              a subset of ${BENCH_NETS.join(', ')}
  --json FILE             also write one row per net and phase as JSON
  --no-time-to-accuracy   skip LeNet-5's time to 85% test accuracy
  --allow-reference-blas  measure even when PyTorch has only the reference BLAS
  --dry-run               print what would run and what is missing, then stop (nothing measured)`);
  process.exit(0);
}
const flag = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const launches = Number(flag('launches', '5'));
const windows = flag('windows', '5');
const nets = flag('nets', BENCH_NETS.join(',')).split(',');
const unknown = nets.filter((n) => !BENCH_NETS.includes(n));
if (unknown.length) {
  console.error(`unknown net(s) ${unknown.join(', ')}; known: ${BENCH_NETS.join(', ')}`);
  process.exit(2);
}
const jsonFile = args.includes('--json') ? flag('json', '') : null;
if (jsonFile === '' || jsonFile?.startsWith('--')) {
  console.error('--json needs a file name: npm run bench -- --json bench.json');
  process.exit(2);
}
const skipTime = args.includes('--no-time-to-accuracy') || !nets.includes('lenet5');
const FMNIST = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';

const log = (s: string) => console.log(s);

interface Rates { median: number; min: number; max: number }
type Phase = 'train' | 'head' | 'infer';
type Side = Partial<Record<Phase, Rates>> & { params?: number; flopsPerSample?: number };

function netwright(net: string): Side {
  const [cmd, argv] = netwrightSide(net, windows);
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`engine-bench ${net} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function pytorch(net: string): Side {
  const out = path.join(os.tmpdir(), `nw-torch-${process.pid}.json`);
  const [cmd, argv] = pytorchSide(net, windows, out);
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: torchEnv });
  if (r.status !== 0) throw new Error(`torch_bench ${net} failed: ${r.stderr}`);
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  return { train: j.train[net], head: j.head?.[net], infer: j.infer[net], params: j.params?.[net] };
}

const missing = torchMissing(args.includes('--allow-reference-blas'));
if (missing) log(`PyTorch side skipped: ${missing}`);
if (args.includes('--dry-run')) {
  // What a run would start, with every script it needs checked for, so a clone can be checked in seconds.
  const scripts = ['engine-bench.ts', 'nets.ts', 'gemm-peak.ts', 'time-to-accuracy.ts', 'torch/torch_bench.py', 'torch/nets.py', 'torch/benchutil.py', 'torch/fmnist.py', 'torch/torch_lenet.py', 'torch/export_resnet18.py'].map((f) => path.join(root, 'bench', f));
  const absent = scripts.filter((f) => !fs.existsSync(f));
  log(`dry run: ${launches} launches x ${nets.join(', ')} (${nets.map((n) => `${n}: ${benchPlan(n).phases.join('/')}`).join('; ')}), ${windows} windows each`);
  log(`  Netwright: ${process.execPath} --import tsx bench/engine-bench.ts <net> ${windows}`);
  log(`  PyTorch:   ${missing ? `skipped (${missing})` : `${PY} bench/torch/torch_bench.py --nets <net> --no-train2 --windows ${windows} --json <tmp>`}`);
  log(`  time to 85%: ${skipTime ? 'skipped (--no-time-to-accuracy or no lenet5)' : fs.existsSync(FMNIST) ? 'bench/time-to-accuracy.ts and bench/torch/torch_lenet.py' : `skipped (${FMNIST} is missing: apt-get install dataset-fashion-mnist)`}`);
  log(absent.length ? `  missing scripts: ${absent.map((f) => path.relative(root, f)).join(', ')}` : `  all ${scripts.length} bench scripts present`);
  process.exit(absent.length ? 1 : 0);
}
const threads = os.availableParallelism();
log(`${launches} launches x ${nets.join(', ')}; ${windows} timed windows of ~1 s each; ${threads} threads; CPU ${os.cpus()[0]?.model ?? '?'}`);
// The ceiling: ONNX Runtime's fastest matrix product on as many threads as the steps use, a
// 1024³ MatMul or a 3x3 Conv (on AVX-512 machines the blocked convs run 2x faster than SGEMM,
// and a ceiling below what the nets reach would make every fraction meaningless).
const matmulPeak = await gemmPeak(Math.min(threads, 2));
const conv3Peak = await convPeak(Math.min(threads, 2));
const ceiling = Math.max(matmulPeak, conv3Peak);
log(`GEMM ceiling (bench/gemm-peak.ts, ${Math.min(threads, 2)} threads): ${ceiling.toFixed(0)} GFLOP/s (1024³ MatMul ${matmulPeak.toFixed(0)}, 3x3 Conv ${conv3Peak.toFixed(0)})`);
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
    const pt = last.pt.at(-1);
    if (l === 0 && pt?.params !== undefined && pt.params !== last.nw[0].params) throw new Error(`${net}: Netwright has ${last.nw[0].params} parameters, PyTorch ${pt.params}: the two sides are not the same net`);
    log(`  launch ${l + 1} ${net}: ${benchPlan(net).phases.map((p) => `${p} ${Math.round(last.nw.at(-1)![p]!.median)}${missing ? '' : ` vs ${Math.round(last.pt.at(-1)![p]!.median)}`}`).join(', ')} samples/s`);
  }
}

// Training costs about 3 forward passes (forward, input gradients, weight gradients); a
// head-only step about one (the frozen backbone's forward; the head is tiny).
const PASSES = { train: 3, head: 1, infer: 1 } as const;
interface Row { net: string; phase: Phase; netwright: Rates; pytorch: Rates | null; ratio: Rates | null; ceilingFraction: { netwright: number; pytorch: number | null } }
const table: Row[] = [];
for (const net of nets) {
  const flops = results[net].nw[0].flopsPerSample ?? 0;
  for (const phase of benchPlan(net).phases) {
    const nw = results[net].nw.map((s) => s[phase]!.median);
    const pt = results[net].pt.map((s) => s[phase]!.median);
    const ratios = pt.length ? nw.map((v, i) => v / pt[i]) : [];
    const fraction = (rate: number) => (PASSES[phase] * flops * rate) / 1e9 / ceiling;
    table.push({
      net, phase,
      netwright: { median: median(nw), min: Math.min(...nw), max: Math.max(...nw) },
      pytorch: pt.length ? { median: median(pt), min: Math.min(...pt), max: Math.max(...pt) } : null,
      ratio: ratios.length ? { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) } : null,
      ceilingFraction: { netwright: fraction(median(nw)), pytorch: pt.length ? fraction(median(pt)) : null },
    });
  }
}

let tta: Record<string, unknown> | null = null;
if (!skipTime && fs.existsSync(FMNIST)) {
  log('time to 85% test accuracy, LeNet-5 (training time; test evaluated every 100 steps)…');
  const nw = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'time-to-accuracy.ts'), '0.85', '100', '1'], { cwd: root, encoding: 'utf8' });
  const pt = missing ? null : spawnSync(PY, [TORCH_LENET, '--target', '0.85', '--eval-every', '100', '--seed', '1'], { encoding: 'utf8', env: torchEnv });
  tta = { netwright: nw.status === 0 ? JSON.parse(nw.stdout.trim().split('\n').pop()!) : { error: nw.stderr }, pytorch: pt ? (pt.status === 0 ? JSON.parse(pt.stdout.trim().split('\n').pop()!) : { error: pt.stderr }) : null };
}

const f = (r: Rates | null) => (r ? `${Math.round(r.median)} (${Math.round(r.min)}-${Math.round(r.max)})` : '-');
const pct = (v: number | null) => (v === null ? '-' : `${(100 * v).toFixed(0)}%`);
console.log('\nnet            phase  Netwright samples/s     PyTorch samples/s       ratio (median, min-max)   of GEMM ceiling (NW / PT)');
for (const row of table) {
  const ratio = row.ratio ? `${row.ratio.median.toFixed(2)}x (${row.ratio.min.toFixed(2)}-${row.ratio.max.toFixed(2)})` : '-';
  console.log(`${row.net.padEnd(14)} ${row.phase.padEnd(6)} ${f(row.netwright).padEnd(23)} ${f(row.pytorch).padEnd(23)} ${ratio.padEnd(25)} ${pct(row.ceilingFraction.netwright)} / ${pct(row.ceilingFraction.pytorch)}`);
}
if (tta) console.log(`\ntime to 85%: ${JSON.stringify(tta)}`);
if (jsonFile) {
  // One row per net and phase, samples/s, so results compare across commits.
  const rows = table.map((r) => ({ net: r.net, phase: r.phase, netwright: r.netwright.median, pytorch: r.pytorch?.median ?? null, ratio: r.ratio?.median ?? null, ceilingFraction: r.ceilingFraction, range: { netwright: r.netwright, pytorch: r.pytorch, ratio: r.ratio }, launches, ceilingGflops: ceiling, matmulGflops: matmulPeak, convGflops: conv3Peak }));
  fs.writeFileSync(jsonFile, JSON.stringify(rows, null, 2));
  console.log(`wrote ${jsonFile}`);
}
