import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loopedStep } from '../../engine/autodiff/step-loop.ts';
import { buildTrainingGraph } from '../../engine/autodiff/training-graph.ts';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import { parseDocument, type NetworkDocument } from '../../engine/graph/document.ts';
import { decodeModel, encodeModel, OnnxReadError, type ModelIR } from '../../engine/onnx/model.ts';
import { ALL_NETS, branchNet, convNet } from '../fixtures/nets.ts';
import { checkerSkip, checkModels } from '../fixtures/onnx-checker.ts';

const examples = Object.fromEntries(['mlp', 'lenet5', 'small-cnn', 'sample-shapes'].map((n) => {
  const r = parseDocument(fs.readFileSync(`examples/${n}.json`, 'utf8'));
  if (!r.ok) throw new Error(n);
  return [n, r.doc];
}));
const docs: Record<string, NetworkDocument> = { ...examples, ...Object.fromEntries(Object.entries(ALL_NETS).map(([k, m]) => [k, m()])), 'conv-mse': convNet('mse'), 'branch-ce': branchNet('cross_entropy') };

function inference(doc: NetworkDocument): ModelIR {
  const f = lowerForward(doc, 'train');
  return buildInferenceModel(doc, initialValues(f, 1), { classNames: Array.from({ length: f.classes }, (_, i) => `class ${i}`) });
}

test('encode -> decode keeps nodes, initializers, value infos and metadata', () => {
  const m = inference(docs.conv);
  const back = decodeModel(encodeModel(m));
  assert.equal(back.opset, 17);
  assert.equal(back.graph.nodes.length, m.graph.nodes.length);
  assert.deepEqual(back.graph.nodes.map((n) => n.op), m.graph.nodes.map((n) => n.op));
  // Float attributes are stored as float32.
  const f32 = (n: ModelIR['graph']['nodes'][number]) => JSON.stringify(n.attrs, (k, v) => (k === 'f' ? Math.fround(v) : v));
  assert.deepEqual(back.graph.nodes.map(f32), m.graph.nodes.map(f32));
  assert.deepEqual(back.graph.inputs, m.graph.inputs);
  assert.deepEqual(back.metadata, m.metadata);
  for (const [i, t] of m.graph.initializers.entries()) {
    assert.equal(back.graph.initializers[i].name, t.name);
    assert.deepEqual(Array.from(back.graph.initializers[i].data as Float32Array), Array.from(t.data as Float32Array));
  }
});

test('the reader rejects broken models with the field at fault', () => {
  const good = encodeModel(inference(docs.mlp));
  assert.throws(() => decodeModel(new Uint8Array()), /model: the file is empty/);
  assert.throws(() => decodeModel(good.subarray(0, good.length - 7)), OnnxReadError);
  assert.throws(() => decodeModel(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1])), /declares \d+ bytes but only/);
  const noOpset = encodeModel({ ...inference(docs.mlp), opset: 0 });
  assert.throws(() => decodeModel(noOpset), /opset/);
});

test('every inference model and training-step graph loads in ONNX Runtime', async () => {
  for (const [name, doc] of Object.entries(docs)) {
    for (const model of [inference(doc), buildTrainingGraph(doc).model]) {
      const s = await ort.InferenceSession.create(encodeModel(model));
      assert.ok(s.outputNames.length >= 2, name);
      await s.release();
    }
  }
});

test('the training-step graph uses only core ai.onnx ops', () => {
  for (const doc of Object.values(docs)) {
    const m = buildTrainingGraph(doc).model;
    const bytes = encodeModel(m);
    assert.equal(decodeModel(bytes).opset, 17);
    for (const n of m.graph.nodes) assert.ok(/^[A-Z][A-Za-z]+$/.test(n.op), n.op);
  }
});

test('onnx.checker.check_model(full_check=True) accepts every model the engine writes', { skip: checkerSkip }, () => {
  const models: Record<string, ModelIR> = {};
  for (const [name, doc] of Object.entries(docs)) {
    models[`${name}.infer`] = inference(doc);
    models[`${name}.train`] = buildTrainingGraph(doc).model;
  }
  checkModels(models);
});

test('encode -> decode keeps a subgraph attribute (the looped training step)', () => {
  const m = loopedStep(buildTrainingGraph(docs.conv, {}));
  const back = decodeModel(encodeModel(m));
  const loop = back.graph.nodes.find((n) => n.op === 'Scan')!;
  const body = loop.attrs!.body;
  assert.ok(body && 'g' in body, 'the body is a graph');
  const orig = m.graph.nodes.find((n) => n.op === 'Scan')!.attrs!.body as { g: ModelIR['graph'] };
  assert.deepEqual(body.g.nodes.map((n) => [n.op, n.inputs, n.outputs, n.domain]), orig.g.nodes.map((n) => [n.op, n.inputs, n.outputs, n.domain]));
  assert.deepEqual(body.g.inputs, orig.g.inputs);
  assert.deepEqual(body.g.outputs, orig.g.outputs);
  assert.deepEqual(body.g.initializers.map((t) => t.name), orig.g.initializers.map((t) => t.name));
});
