// Netwright's time to reach a test accuracy with LeNet-5 on Fashion-MNIST (batch 64, SGD lr
// 0.01 momentum 0.9): training time only, evaluation on the 10k test images every K steps
// excluded, as bench/torch/torch_lenet.py --target measures PyTorch. Prints one JSON line.
import fs from 'node:fs';
import { readIdx } from '../engine/data/idx.ts';
import { buildInferenceModel } from '../engine/graph/compile.ts';
import { parseDocument } from '../engine/graph/document.ts';
import { Rng } from '../engine/graph/rng.ts';
import { encodeModel } from '../engine/onnx/model.ts';
import { openRunner, ort } from '../engine/train/ort.ts';
import { Scorer, report } from '../engine/train/scorer.ts';
import { openStepRunner } from '../engine/train/step.ts';

const F = '/usr/share/datasets/fashion-mnist';
const target = Number(process.argv[2] ?? 0.85);
const every = Number(process.argv[3] ?? 100);
const seed = Number(process.argv[4] ?? 1);

const r = parseDocument(fs.readFileSync('examples/lenet5.json', 'utf8'));
if (!r.ok) throw new Error('examples/lenet5.json');
const doc = { ...r.doc, training: { ...r.doc.training, optimizer: 'sgd' as const, lr: 0.01, momentum: 0.9, batchSize: 64, seed } };
const xtr = readIdx(`${F}/train-images-idx3-ubyte.gz`).data;
const ytr = readIdx(`${F}/train-labels-idx1-ubyte.gz`).data;
const xte = readIdx(`${F}/t10k-images-idx3-ubyte.gz`).data;
const yte = readIdx(`${F}/t10k-labels-idx1-ubyte.gz`).data;
const n = ytr.length;

const step = await openStepRunner(doc);
const evalModel = await openRunner(encodeModel(buildInferenceModel(doc, 'inputs', { classNames: [] })));
const scorer = new Scorer(evalModel.runner, [1, 28, 28], 10, () => {
  const feeds: Record<string, ort.Tensor> = {};
  const f = step.graph.forward;
  for (const w of [...f.weights, ...f.states]) feeds[w.name] = new ort.Tensor('float32', step.values.get(w.name)!, w.shape);
  return feeds;
});
const names = Array.from({ length: 10 }, (_, i) => String(i));
const rng = new Rng(seed);
const x = new Float32Array(64 * 784);
const y = new BigInt64Array(64);
let trainS = 0;
let steps = 0;
let result: Record<string, unknown> = { engine: 'netwright', target, seconds: null };
outer: for (let epoch = 0; epoch < 20; epoch++) {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  for (let s = 0; s < n; s += 64) {
    const t = performance.now();
    const b = Math.min(64, n - s);
    for (let i = 0; i < b; i++) {
      const j = order[s + i];
      for (let k = 0; k < 784; k++) x[i * 784 + k] = xtr[j * 784 + k] / 255;
      y[i] = BigInt(ytr[j]);
    }
    await step.run(x, y, b, 0.01);
    trainS += (performance.now() - t) / 1000;
    steps++;
    if (steps % every === 0) {
      const acc = report(await scorer.probs(xte, yte.length), yte, names, 'cross_entropy').accuracy;
      if (acc >= target) {
        result = { engine: 'netwright', target, seconds: trainS, steps, test_acc: acc };
        break outer;
      }
    }
  }
}
console.log(JSON.stringify({ ...result, peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024) }));
await step.release();
