// Netwright against PyTorch window by window: both sides of `npm run bench` (bench/engine-bench.ts,
// bench/torch/torch_bench.py) started together with NW_LOCKSTEP=1, each waiting while the other
// runs, so that one timed window of one follows one of the other (the first side alternating by
// launch). On a machine whose speed drifts within seconds (a VM whose cores are shared at times,
// bench/README.md) the ratio of two adjacent windows compares the engines under the same
// conditions; npm run bench pairs whole launches. Prints, per net and phase, the median of
// the per-window ratios (min-max) and each side's median.
//   node --import tsx bench/paired.ts [--nets mlp,lenet5] [--launches 3] [--windows 5] [--allow-reference-blas]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_NETS, benchPlan } from './nets.ts';
import { median, netwrightSide, pytorchSide, root, torchEnv, torchMissing } from './sides.ts';

const args = process.argv.slice(2);
const flag = (name: string, d: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : d);
const nets = flag('nets', 'mlp').split(',');
const launches = Number(flag('launches', '3'));
const windows = flag('windows', '5');
for (const n of nets) if (!BENCH_NETS.includes(n)) throw new Error(`unknown net ${n} (known: ${BENCH_NETS.join(', ')})`);
const missing = torchMissing(args.includes('--allow-reference-blas'));
if (missing) throw new Error(`bench/paired.ts needs the PyTorch side: ${missing}`);

/** A side of the pair: its rates in order, and a promise for its next "wait" (or its exit). */
class Side {
  readonly rates: number[] = [];
  private waiting: (() => void) | null = null;
  private pendingWait = false;
  exited = false;
  private err = '';
  constructor(readonly name: string, private readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (line === 'wait') this.signal();
        else if (line.startsWith('rate ')) this.rates.push(Number(line.slice(5)));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    child.on('exit', (code) => {
      this.exited = true;
      if (code !== 0) console.error(`${name} exited with ${code}: ${this.err.slice(-2000)}`);
      this.signal();
    });
  }
  private signal() {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w();
    } else this.pendingWait = true;
  }
  /** Resolves when the side waits for its next go, or has exited. */
  next(): Promise<void> {
    if (this.pendingWait || this.exited) {
      this.pendingWait = false;
      return Promise.resolve();
    }
    return new Promise((r) => (this.waiting = r));
  }
  go() {
    this.child.stdin!.write('go\n');
  }
}

for (const net of nets) {
  const phases = [...benchPlan(net).phases.filter((p) => p !== 'infer'), 'infer'];
  const ratios: Record<string, number[]> = {};
  const nwAll: Record<string, number[]> = {};
  const ptAll: Record<string, number[]> = {};
  for (let l = 0; l < launches; l++) {
    const out = path.join(os.tmpdir(), `nw-paired-${process.pid}.json`);
    const [nwCmd, nwArgs] = netwrightSide(net, windows);
    const [ptCmd, ptArgs] = pytorchSide(net, windows, out);
    const nw = new Side('netwright', spawn(nwCmd, nwArgs, { cwd: root, env: { ...process.env, NW_LOCKSTEP: '1' } }));
    const pt = new Side('pytorch', spawn(ptCmd, ptArgs, { env: { ...torchEnv, NW_LOCKSTEP: '1' } }));
    await Promise.all([nw.next(), pt.next()]);
    const order = l % 2 ? [pt, nw] : [nw, pt];
    // One chunk (a warm-up, a window, or what follows a phase's last window) at a time, taking turns.
    while (!nw.exited || !pt.exited) {
      for (const s of order) {
        if (s.exited) continue;
        s.go();
        await s.next();
      }
    }
    fs.rmSync(out, { force: true });
    const per = Number(windows);
    if (nw.rates.length !== phases.length * per || pt.rates.length !== phases.length * per) throw new Error(`${net}: expected ${phases.length * per} windows a side, got ${nw.rates.length} and ${pt.rates.length}`);
    const line: string[] = [];
    phases.forEach((ph, p) => {
      const a = nw.rates.slice(p * per, (p + 1) * per);
      const b = pt.rates.slice(p * per, (p + 1) * per);
      (ratios[ph] ??= []).push(...a.map((v, i) => v / b[i]));
      (nwAll[ph] ??= []).push(...a);
      (ptAll[ph] ??= []).push(...b);
      line.push(`${ph} ${a.map((v, i) => (v / b[i]).toFixed(2)).join(' ')}`);
    });
    console.log(`  launch ${l + 1} ${net} (${order[0].name} first), window ratios: ${line.join('; ')}`);
  }
  for (const ph of phases) {
    const r = ratios[ph];
    console.log(`${net.padEnd(14)} ${ph.padEnd(6)} Netwright ${Math.round(median(nwAll[ph]))}  PyTorch ${Math.round(median(ptAll[ph]))}  ratio ${median(r).toFixed(2)}x (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)}) over ${r.length} window pairs`);
  }
}
