// Seeded random networks: each compiles, passes onnx.checker (inference and training step),
// loads in ONNX Runtime, and its gradients agree with finite differences.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradientCheck } from '../../engine/train/gradcheck.ts';
import { buildTrainingGraph } from '../../engine/autodiff/training-graph.ts';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { encodeModel, type ModelIR } from '../../engine/onnx/model.ts';
import { batchFor } from '../fixtures/batch.ts';
import { checkerSkip, checkModels } from '../fixtures/onnx-checker.ts';
import { randomNet } from '../fixtures/random-nets.ts';
import * as ort from 'onnxruntime-node';

const SEEDS = Array.from({ length: 16 }, (_, i) => 100 + i);

test('random networks are valid, varied, and every model they compile to loads in ONNX Runtime', async () => {
  const kinds = new Set<string>();
  for (const seed of SEEDS) {
    const doc = randomNet(seed);
    const a = inferShapes(doc);
    assert.ok(a.ok, `seed ${seed}: ${JSON.stringify(a.problems)}`);
    doc.nodes.forEach((n) => kinds.add(n.type));
    const f = lowerForward(doc, 'train');
    for (const m of [buildInferenceModel(doc, initialValues(f, seed), { classNames: [] }), buildTrainingGraph(doc).model]) {
      const s = await ort.InferenceSession.create(encodeModel(m));
      await s.release();
    }
  }
  assert.ok(kinds.size >= 15, `only ${kinds.size} layer kinds drawn: ${[...kinds].join(', ')}`);
});

test('onnx.checker full_check accepts the inference and training-step models of every random network', { skip: checkerSkip }, () => {
  const models: Record<string, ModelIR> = {};
  for (const seed of SEEDS) {
    const doc = randomNet(seed);
    models[`${seed}.infer`] = buildInferenceModel(doc, initialValues(lowerForward(doc, 'train'), seed), { classNames: [] });
    models[`${seed}.train`] = buildTrainingGraph(doc).model;
  }
  checkModels(models);
});

test('finite differences agree with autodiff on random networks', async () => {
  for (const seed of SEEDS.slice(0, 8)) {
    const doc = randomNet(seed);
    const a = inferShapes(doc);
    const { x, labels } = batchFor(a.shapes.get(a.inputId!)!, 4, a.shapes.get(a.outputId!)![0], seed);
    for (const r of await gradientCheck(doc, { x, labels, n: 4, seed })) assert.ok(r.ok, `seed ${seed} ${r.param}: autodiff ${r.analytic} vs finite differences ${r.numeric}`);
  }
});
