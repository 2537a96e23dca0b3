import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradients, GradientError } from '../../engine/autodiff/backward.ts';
import { GRAD_RULES } from '../../engine/autodiff/rules.ts';
import { buildTrainingGraph } from '../../engine/autodiff/training-graph.ts';
import { lowerForward } from '../../engine/graph/compile.ts';
import { LAYERS } from '../../engine/graph/registry.ts';
import { GraphBuilder } from '../../engine/onnx/builder.ts';
import fs from 'node:fs';
import { buildInferenceModel } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/document.ts';
import { ALL_NETS, net } from '../fixtures/nets.ts';

test('the fixture networks use every layer kind and both losses', () => {
  const docs = [...Object.values(ALL_NETS).map((m) => m())];
  const used = new Set(docs.flatMap((d) => d.nodes.map((n) => n.type)));
  for (const l of LAYERS) assert.ok(used.has(l.type), `no gradient test covers ${l.type}`);
  const losses = new Set(docs.map((d) => d.nodes.find((n) => n.type === 'Output')!.params.loss));
  assert.deepEqual([...losses].sort(), ['cross_entropy', 'mse']);
});

test('every op the layers emit on the path to the loss has a gradient rule', () => {
  for (const make of Object.values(ALL_NETS)) {
    const f = lowerForward(make(), 'train');
    const params = new Set(f.weights.map((w) => w.name));
    const needs = new Set(params);
    for (const n of f.g.nodes) if (n.inputs.some((i) => needs.has(i))) n.outputs.forEach((o) => needs.add(o));
    // Ops reached by parameters but not leading to the loss (running statistics) need no rule.
    const toLoss = new Set([f.logits]);
    for (const n of [...f.g.nodes].reverse()) if (n.outputs.some((o) => toLoss.has(o))) n.inputs.forEach((i) => toLoss.add(i));
    for (const n of f.g.nodes) {
      if (n.outputs.some((o) => needs.has(o) && toLoss.has(o))) assert.ok(n.op in GRAD_RULES, `no gradient rule for ${n.op}`);
    }
  }
});

test('a missing gradient rule fails when the training graph is built, naming the op', () => {
  const g = new GraphBuilder();
  const w = g.input('w', 'float32', [3]);
  const y = g.op('Cos', [w], {}, [3]);
  assert.throws(() => buildGradients(g, new Map([[y, g.input('dy', 'float32', [3])]]), ['w']), (e: Error) => e instanceof GradientError && /no gradient rule for Cos/.test(e.message));
});

test('a rule returning the wrong number of gradients fails loudly', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2]);
  const y = g.op('Relu', [a], {}, [2]);
  g.nodes[0].inputs.push(a); // a node with two inputs, where the Relu rule returns one gradient
  assert.throws(() => buildGradients(g, new Map([[y, g.input('dy', 'float32', [2])]]), ['a']), /rule for Relu returned 1 gradient\(s\), expected 2/);
});

test('the training-step graph has the documented inputs and outputs', () => {
  const doc = ALL_NETS.conv();
  const t = buildTrainingGraph(doc);
  const ins = t.model.graph.inputs.map((i) => i.name);
  const outs = t.model.graph.outputs.map((o) => o.name);
  for (const name of ['input', 'labels', 'lr', 'c2.W', 'c2.W.m', 'bn.running_mean']) assert.ok(ins.includes(name), `input ${name}`);
  for (const name of ['loss', 'correct', 'c2.W:next', 'c2.W.m:next', 'bn.running_var:next']) assert.ok(outs.includes(name), `output ${name}`);
});

test('ReLU before MaxPool is swapped in training graphs only where the ReLU feeds nothing else', () => {
  const r = parseDocument(fs.readFileSync('examples/lenet5.json', 'utf8'));
  assert.ok(r.ok);
  const order = (nodes: { op: string }[]) => nodes.map((n) => n.op).filter((op) => op === 'Relu' || op === 'MaxPool').join(' ');
  // Training: each MaxPool runs before its ReLU; inference keeps the document's order.
  assert.match(order(buildTrainingGraph(r.doc).model.graph.nodes), /^MaxPool Relu MaxPool Relu/);
  assert.match(order(buildInferenceModel(r.doc, 'inputs', { classNames: [] }).graph.nodes), /^Relu MaxPool Relu MaxPool/);
  // A ReLU whose output also feeds another layer stays where it is.
  const shared = net('shared', [
    ['in', 'Input', { height: 8, width: 8, color: 'grayscale' }],
    ['c1', 'Conv2D', { filters: 4, kernel: 3, padding: 'same' }],
    ['r1', 'ReLU'],
    ['p1', 'MaxPool2D', { size: 2, stride: 2 }],
    ['up', 'Conv2D', { filters: 4, kernel: 2, stride: 2 }],
    ['add', 'Add'],
    ['f', 'Flatten'],
    ['fc', 'Dense', { units: 3 }],
    ['out', 'Output', { loss: 'cross_entropy' }],
  ], ['in>c1', 'c1>r1', 'r1>p1', 'r1>up', 'p1>add:0', 'up>add:1', 'add>f', 'f>fc', 'fc>out']);
  assert.match(order(buildTrainingGraph(shared).model.graph.nodes), /^Relu MaxPool$/);
});

test('depthwise and grouped Conv gradients are one grouped Conv each, not a node per group', () => {
  const nodes = buildTrainingGraph(ALL_NETS['inverted-residual']()).model.graph.nodes;
  const group = (n: { attrs?: Record<string, unknown> }) => (n.attrs?.group as { i: number } | undefined)?.i ?? 1;
  assert.ok(!nodes.some((n) => n.op === 'Split'), 'no Split into groups');
  // dw (12 channels, stride 1): forward, dX as a depthwise Conv with the turned kernel, dW.
  assert.equal(nodes.filter((n) => n.op === 'Conv' && group(n) === 12).length, 3);
  // dw2 (4 channels, stride 2): forward and dW as Convs; dX stays a grouped ConvTranspose.
  assert.equal(nodes.filter((n) => n.op === 'Conv' && group(n) === 4).length, 2);
  assert.equal(nodes.filter((n) => n.op === 'ConvTranspose' && group(n) === 4).length, 1);
});
