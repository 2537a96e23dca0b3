// A training step's CPU time on one thread (process.cpuUsage), median over a few steps: on a
// loaded machine CPU time moves far less than wall time, so two builds compare by launching
// this from each in turn. Also prints the process's peak RSS.
//   node --import tsx bench/step-cpu.ts <net (bench/nets.ts)> [steps 5] [phase train|head]
import { Rng } from '../engine/graph/rng.ts';
import { freezeUpTo, headDense } from '../engine/graph/finetune.ts';
import { openStepRunner } from '../engine/train/step.ts';
import { benchNet, benchPlan } from './nets.ts';

const [name, stepsArg, phase = 'train'] = process.argv.slice(2);
const steps = Number(stepsArg ?? 5);
let doc = benchNet(name);
const { batch } = benchPlan(name);
doc.training = { ...doc.training, optimizer: 'sgd', lr: 0.01, momentum: 0.9, batchSize: batch };
if (phase === 'head') {
  const head = headDense(doc)!;
  doc = freezeUpTo(doc, doc.edges.find((e) => e.target === head)!.source);
}
const input = doc.nodes.find((n) => n.type === 'Input')!.params;
const per = (input.color === 'rgb' ? 3 : 1) * Number(input.height ?? 28) * Number(input.width ?? 28);
const rng = new Rng(1);
const xs = Float32Array.from({ length: batch * per }, () => rng.next());
const ys = BigInt64Array.from({ length: batch }, () => BigInt(rng.int(10)));
const step = await openStepRunner(doc, { threads: 1 });
const lrs = [0.01];
await step.runGroup(xs, ys, 1, batch, lrs);
const ms: number[] = [];
for (let i = 0; i < steps; i++) {
  const t = process.cpuUsage();
  await step.runGroup(xs, ys, 1, batch, lrs);
  const u = process.cpuUsage(t);
  ms.push((u.user + u.system) / 1000);
}
await step.release();
ms.sort((a, b) => a - b);
// Peak resident memory of this process (the step's session, its inputs and outputs): what the engine holds while training this net.
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ net: name, phase, batch, cpuMsPerStep: ms[ms.length >> 1], samplesPerCpuS: (batch * 1000) / ms[ms.length >> 1], all: ms.map((v) => Math.round(v)), peakRssMiB }));
