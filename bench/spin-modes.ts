// A single-session step's threads spinning (the default) and sleeping (NETWRIGHT_SPIN=0) side by
// side: launches of the bench's training step (bench/engine-bench.ts's settings: batch 64, SGD,
// momentum 0.9), the two modes taking turns. Each launch trains for --seconds and reports the
// median, min and max of its half-second rates (samples/s): how long a slow stretch lasts shows.
//   node --import tsx bench/spin-modes.ts [--net mlp] [--rounds 5] [--seconds 15]
import { spawnSync } from 'node:child_process';
import { Rng } from '../engine/graph/rng.ts';
import { openStepRunner } from '../engine/train/step.ts';
import { benchNet, benchPlan } from './nets.ts';

const args = process.argv.slice(2);
const flag = (name: string, d: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : d);
const net = flag('net', 'mlp');
const seconds = Number(flag('seconds', '15'));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

async function child() {
  const doc = benchNet(net);
  const { batch } = benchPlan(net);
  doc.training = { ...doc.training, optimizer: 'sgd', lr: 0.01, momentum: 0.9, batchSize: batch };
  const step = await openStepRunner(doc, {});
  const per = step.inputShape.reduce((a, b) => a * b, 1);
  const G = step.group;
  const pool = Math.max(G, 32);
  const rng = new Rng(1);
  const xs = Float32Array.from({ length: batch * pool * per }, () => rng.next());
  const ys = BigInt64Array.from({ length: batch * pool }, () => BigInt(rng.int(10)));
  const lrs = new Array<number>(G).fill(0.01);
  const rates: number[] = [];
  const end = performance.now() + seconds * 1000;
  let b = 0;
  while (performance.now() < end) {
    const t = performance.now();
    let calls = 0;
    while (performance.now() - t < 500) {
      let o = (b++ * G) % pool;
      if (o + G > pool) o = 0;
      await step.runGroup(xs.subarray(o * batch * per, (o + G) * batch * per), ys.subarray(o * batch, (o + G) * batch), G, batch, lrs);
      calls++;
    }
    rates.push((calls * G * batch) / ((performance.now() - t) / 1000));
  }
  console.log(JSON.stringify({ median: median(rates), min: Math.min(...rates), max: Math.max(...rates), rates: rates.map(Math.round) }));
  await step.release();
}

if (args.includes('--child')) await child();
else {
  const rounds = Number(flag('rounds', '5'));
  const modes: [string, string | undefined][] = [['spin', undefined], ['sleep', '0']];
  const out: Record<string, number[]> = { sleep: [], spin: [] };
  console.log(`${net}: ${rounds} rounds of ${modes.map((m) => m[0]).join(' / ')}, ${seconds} s each (samples/s: median of half-second windows, min-max)`);
  for (let r = 0; r < rounds; r++) {
    for (const [name, spin] of r % 2 ? [...modes].reverse() : modes) {
      const env = { ...process.env };
      if (spin === undefined) delete env.NETWRIGHT_SPIN;
      else env.NETWRIGHT_SPIN = spin;
      const c = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', '--net', net, '--seconds', String(seconds)], { env, encoding: 'utf8', timeout: (seconds + 120) * 1000 });
      if (c.status !== 0) throw new Error(`${name} launch failed: ${c.stderr}`);
      const j = JSON.parse(c.stdout.trim().split('\n').pop()!);
      out[name].push(j.median);
      console.log(`  round ${r + 1} ${name.padEnd(6)} ${Math.round(j.median)} (${Math.round(j.min)}-${Math.round(j.max)}): ${j.rates.join(' ')}`);
    }
  }
  for (const [name] of modes) console.log(`${name.padEnd(6)} median of launches ${Math.round(median(out[name]))}, launches ${out[name].map(Math.round).join(' / ')}`);
}
