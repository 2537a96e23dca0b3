// engine/graph/losses.ts: each loss record's parts agree with each other. On the same logits
// and labels (run in ONNX Runtime), the training head's loss equals what evaluation computes
// back from the inference model's `probs`, its correct count is the argmax hits, its dLogits is
// the finite-difference slope of its loss, and the uniform-guess loss is the evaluation loss of
// a 1/K row.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { LOSS_NAMES, LOSSES, lossOfOutputTag } from '../../engine/graph/losses.ts';
import { Output } from '../../engine/graph/layers/output.ts';
import { summaryText } from '../../engine/graph/summary.ts';
import { GraphBuilder } from '../../engine/onnx/builder.ts';
import { encodeModel } from '../../engine/onnx/model.ts';

const N = 5;
const K = 4;
const logits = Float32Array.from({ length: N * K }, (_, i) => Math.sin(i * 2.3) * 3);
const labels = BigInt64Array.from([0, 3, 1, 2, 3], BigInt);

async function run(name: (typeof LOSS_NAMES)[number], x: Float32Array) {
  const def = LOSSES[name];
  const g = new GraphBuilder();
  const l = g.input('logits', 'float32', ['N', K]);
  const y = g.input('labels', 'int64', ['N']);
  const head = def.head(g, l, y, K);
  const probs = def.probabilities(g, l, K);
  for (const t of [head.loss, head.correct, head.dLogits, probs]) g.output(t);
  const s = await ort.InferenceSession.create(encodeModel({ graph: g.graph(name), opset: 17, metadata: {} }), { logSeverityLevel: 3 });
  const r = await s.run({ logits: new ort.Tensor('float32', x, [N, K]), labels: new ort.Tensor('int64', labels, [N]) });
  await s.release();
  return {
    loss: (r[head.loss].data as Float32Array)[0],
    correct: (r[head.correct].data as Float32Array)[0],
    dLogits: r[head.dLogits].data as Float32Array,
    probs: r[probs].data as Float32Array,
  };
}

for (const name of LOSS_NAMES) {
  test(`${name}: head, probabilities, evaluation loss and uniform loss agree`, async () => {
    const def = LOSSES[name];
    const r = await run(name, logits);
    let total = 0;
    for (let i = 0; i < N; i++) total = def.addLoss(total, r.probs, i * K, K, Number(labels[i]));
    assert.ok(Math.abs(total / N - r.loss) < 1e-5, `evaluation ${total / N} vs head ${r.loss}`);

    let hits = 0;
    for (let i = 0; i < N; i++) {
      const row = Array.from(logits.subarray(i * K, (i + 1) * K));
      if (row.indexOf(Math.max(...row)) === Number(labels[i])) hits++;
    }
    assert.equal(r.correct, hits);

    // dLogits along a random direction against a central difference of the head's loss.
    const d = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i * 1.1));
    const eps = 1e-2;
    const plus = await run(name, logits.map((v, i) => v + eps * d[i]));
    const minus = await run(name, logits.map((v, i) => v - eps * d[i]));
    const numeric = (plus.loss - minus.loss) / (2 * eps);
    const analytic = r.dLogits.reduce((a, g, i) => a + g * d[i], 0);
    assert.ok(Math.abs(numeric - analytic) < 2e-3 * Math.max(1, Math.abs(analytic)), `dLogits·d ${analytic} vs finite difference ${numeric}`);

    const uniform = new Float32Array(K).fill(1 / K);
    assert.ok(Math.abs(def.addLoss(0, uniform, 0, K, 1) - def.uniformLoss(K)) < 1e-6);

    assert.equal(lossOfOutputTag(def.outputTag), name);
    assert.equal(summaryText(Output.summary({ loss: name })), def.summary);
  });
}

test('a model without a known output tag is read as softmax probabilities (cross-entropy)', () => {
  assert.equal(lossOfOutputTag(undefined), 'cross_entropy');
  assert.equal(lossOfOutputTag('features'), 'cross_entropy');
  assert.deepEqual(Output.params.loss.kind === 'enum' && [...Output.params.loss.options], [...LOSS_NAMES]);
});
