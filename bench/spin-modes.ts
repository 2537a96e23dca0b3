// A single-session step's threads spinning (the default) and sleeping (NETWRIGHT_SPIN=0) side by
// side: launches of the bench's training step (bench/engine-bench.ts's settings: batch 64, SGD,
// momentum 0.9), the two modes taking turns. Each launch trains for --seconds and reports the
// median, min and max of its half-second rates (samples/s): how long a slow stretch lasts shows.
//   node --import tsx bench/spin-modes.ts [--net mlp] [--rounds 5] [--seconds 15]
import { spawnSync } from 'node:child_process';
import { benchDoc, openTrainPhase } from './engine-bench.ts';
import { median } from './sides.ts';

const args = process.argv.slice(2);
const flag = (name: string, d: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : d);
const net = flag('net', 'mlp');
const seconds = Number(flag('seconds', '15'));

async function child() {
  const t = await openTrainPhase(benchDoc(net), 'train');
  const rates: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    let calls = 0;
    for (; performance.now() - t0 < 500; calls++) await t.call();
    rates.push((calls * t.samplesPerCall) / ((performance.now() - t0) / 1000));
  }
  console.log(JSON.stringify({ median: median(rates), min: Math.min(...rates), max: Math.max(...rates), rates: rates.map(Math.round) }));
  await t.release();
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
