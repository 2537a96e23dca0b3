// The Learn panel's numbers are the engine's: the conv multiply-and-sum the panel shows at (i, j)
// is the layer's real output there (ONNX Runtime running the network), the activation histogram
// is the one of the exported inference model's own tensor, the nudge's central difference agrees
// with autodiff, and the mini-batch view is a real (short) training.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildInferenceModel } from '../../engine/graph/compile.ts';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { decodeModel, encodeModel } from '../../engine/onnx/model.ts';
import type { LearnView } from '../../engine/protocol.ts';
import { learnBatches, learnContext, learnLayer, learnNudge } from '../../engine/session/learn.ts';
import { addAt, concatSource, convAt, histogram, padSource, softmaxLoss, unitOutput } from '../../engine/graph/learn-math.ts';
import { Project } from '../../engine/session/project.ts';
import { openSession, ort } from '../../engine/train/ort.ts';
import { writeWeightsFile } from '../../engine/train/weights.ts';
import { chain, net, residualNet } from '../fixtures/nets.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const data = sampleData(6);
const root = tempDir();
const project = new Project(root, { dataDirs: [data] });

function view<K extends LearnView['kind']>(v: LearnView, kind: K): Extract<LearnView, { kind: K }> {
  assert.equal(v.kind, kind);
  return v as Extract<LearnView, { kind: K }>;
}

const close = (a: number, b: number, tol = 1e-4) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

/** The sample project with a BatchNorm after conv1 and a Dropout before fc (every view gets a layer). */
function withBnDropout(): NetworkDocument {
  const doc = sampleProject();
  const nodes = [...doc.nodes, { id: 'bn1', type: 'BatchNorm', params: {}, position: { x: 0, y: 0 } }, { id: 'drop', type: 'Dropout', params: { rate: 0.5 }, position: { x: 0, y: 0 } }];
  const edges = doc.edges.flatMap((e) => {
    if (e.source === 'conv1' && e.target === 'relu1') return [{ ...e, target: 'bn1' }, { id: 'ebn', source: 'bn1', target: 'relu1', targetPort: 0 }];
    if (e.target === 'fc') return [{ ...e, target: 'drop' }, { id: 'edrop', source: 'drop', target: 'fc', targetPort: 0 }];
    return [e];
  });
  return { ...doc, nodes, edges } as NetworkDocument;
}

test('Conv2D: the multiply-and-sum at (i, j) is the layer’s real output there, for the first and a deeper conv', async () => {
  for (const [nodeId, filter] of [['conv1', 3], ['conv2', 7]] as const) {
    const r = await learnLayer(project, sampleProject(), data, nodeId, { filter });
    const v = view(r.view, 'conv');
    assert.equal(r.weights.source, 'init');
    assert.equal(v.filter, filter);
    const [Ho, Wo] = v.outSize;
    const g = { ...v.geometry, input: v.input, kernel: v.kernel };
    let checked = 0;
    // Every position of the map: corners and edges touch the zero padding.
    for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) {
      const { sum, terms } = convAt(g, i, j);
      assert.equal(terms.length, v.geometry.inShape[0] * v.geometry.kh * v.geometry.kw);
      assert.ok(close(sum, v.output[i * Wo + j]), `${nodeId} filter ${filter} at (${i}, ${j}): sum ${sum} vs ONNX Runtime ${v.output[i * Wo + j]}`);
      checked++;
    }
    assert.equal(checked, Ho * Wo);
    assert.ok(v.output.some((o) => o !== 0));
  }
});

test('the kernel is the weights file’s when the document has one, and a run’s values are not invented', async () => {
  const doc = sampleProject();
  const W = Float32Array.from({ length: 16 * 3 * 3 * 3 }, (_, i) => Math.sin(i) / 4);
  const file = path.join(root, 'w.safetensors');
  writeWeightsFile(file, new Map([['conv1.W', { shape: [16, 3, 3, 3], data: W }]]));
  const r = await learnLayer(project, { ...doc, weights: 'w.safetensors' }, data, 'conv1', { filter: 2, docPath: 'net.json' });
  const v = view(r.view, 'conv');
  assert.equal(r.weights.source, 'file');
  assert.deepEqual(v.kernel, Array.from(W.subarray(2 * 27, 3 * 27)));
  const { sum } = convAt({ ...v.geometry, input: v.input, kernel: v.kernel }, 5, 6);
  assert.ok(close(sum, v.output[5 * v.outSize[1] + 6]));
  await assert.rejects(learnLayer(project, doc, data, 'conv1', { runId: 'no-such-run' }));
});

test('activation: the histogram of the ReLU’s input is the one of the inference model’s own tensor; dead fraction from the same batch', async () => {
  const doc = sampleProject();
  const r = await learnLayer(project, doc, data, 'relu2');
  const v = view(r.view, 'activation');
  // Independently: the exported inference model with conv2's output added as a graph output (as Try it does).
  const ctx = await learnContext(project, doc, data);
  const model = decodeModel(encodeModel(buildInferenceModel(doc, ctx.values, { classNames: [] })));
  const last = model.graph.nodes.filter((g) => g.outputs.some((o) => o.startsWith('conv2/'))).at(-1)!;
  model.graph.outputs.push({ name: last.outputs[0], dtype: 'float32', shape: ['N', 32, 16, 16] });
  const { session } = await openSession(encodeModel(model), 'cpu', 1);
  const out = await session.run({ input: new ort.Tensor('float32', ctx.x, [ctx.n, 3, 32, 32]) });
  await session.release();
  const t = out[last.outputs[0]].data as Float32Array;
  assert.equal(v.count, t.length);
  const h = histogram(t, v.hist.counts.length, [v.hist.lo, v.hist.hi]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of t) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
  assert.ok(Math.abs(v.hist.lo - lo) < 1e-6 && Math.abs(v.hist.hi - hi) < 1e-6);
  let diff = 0;
  for (let i = 0; i < h.counts.length; i++) diff += Math.abs(h.counts[i] - v.hist.counts[i]);
  // Bin edges may flip a value or two where float32 sums differ in the last bit.
  assert.ok(diff <= 4, `histograms differ by ${diff} values`);
  const negative = t.filter((x) => x < 0).length;
  assert.ok(Math.abs(negative - v.negative) <= 2, `${negative} vs ${v.negative}`);
  // ReLU's output is zero exactly where its input was not positive.
  assert.ok(Math.abs(v.zeroOutputs - t.filter((x) => x <= 0).length) <= 2);
  assert.ok(v.negative > 0 && v.negative < v.count);
  console.log(`  relu2: ${(v.negative / v.count * 100).toFixed(1)}% of ${v.count} inputs negative, ${v.deadUnits}/${v.units} channels never positive on ${r.batch} images`);
});

test('Dense, pooling, Flatten, Output, BatchNorm, Dropout: each view agrees with its layer’s real output', async () => {
  const doc = withBnDropout();
  const fc = view((await learnLayer(project, doc, data, 'fc', { unit: 2 })).view, 'dense');
  assert.ok(close(unitOutput(fc.inputs, fc.weights, fc.bias), fc.output));
  assert.equal(fc.inputs.length, 64);

  const pool = view((await learnLayer(project, doc, data, 'pool1', { channel: 4 })).view, 'pool');
  const [ph, pw] = pool.patchSize;
  for (let i = 0; i < pool.outBlock[0]; i++) for (let j = 0; j < pool.outBlock[1]; j++) {
    const win: number[] = [];
    for (let y = 0; y < pool.size; y++) for (let x = 0; x < pool.size; x++) win.push(pool.patch[(i * pool.stride + y) * pw + j * pool.stride + x]!);
    assert.ok(close(Math.max(...win), pool.out[i * pool.outBlock[1] + j]), `pool window (${i}, ${j})`);
  }
  assert.equal(ph, 4);

  const gap = view((await learnLayer(project, doc, data, 'gap', { channel: 5 })).view, 'gap');
  assert.ok(close(gap.plane.reduce((a, b) => a + b, 0) / gap.plane.length, gap.out));

  const outR = await learnLayer(project, doc, data, 'output');
  const o = view(outR.view, 'output');
  assert.equal(o.scores.length, 4);
  const { probs, loss } = softmaxLoss(o.scores, o.label);
  assert.ok(close(probs.reduce((a, b) => a + b, 0), 1) && loss > 0);
  assert.equal(o.classNames[o.label], outR.image.className);

  const bn = view((await learnLayer(project, doc, data, 'bn1', { channel: 1 })).view, 'batchnorm');
  // Fresh running statistics (mean 0, var 1): inference output ≈ input; the batch statistics normalize it.
  assert.equal(bn.runningMean, 0);
  assert.deepEqual(bn.before.counts.reduce((a, b) => a + b, 0), bn.inference.total);
  assert.ok(bn.batchVar > 0);

  const d = view((await learnLayer(project, doc, data, 'drop')).view, 'dropout');
  assert.deepEqual(d.inference, d.inputs);
  for (let i = 0; i < d.inputs.length; i++) assert.ok(d.mask[i] === 0 || d.mask[i] === 2);
  assert.ok(d.mask.includes(0) && d.mask.includes(2));
});

test('Add: at every position the output is the sum of the two inputs’ real tensors; the skip is the input that also feeds the other', async () => {
  const doc = residualNet();
  for (const channel of [0, 5]) {
    const r = await learnLayer(project, doc, data, 'add', { channel });
    const v = view(r.view, 'add');
    assert.equal(v.channel, channel);
    assert.deepEqual(v.inputs.map((x) => [x.id, x.skip]), [['c2', false], ['r1', true]]);
    const [h, w] = v.size;
    assert.deepEqual([h, w], [33, 31]);
    for (const x of v.inputs) assert.equal(x.plane.length, h * w);
    for (let k = 0; k < h * w; k++) {
      const { terms, sum } = addAt(v.inputs.map((x) => x.plane), k);
      assert.ok(close(sum, v.output[k], 1e-5), `channel ${channel} at ${k}: ${terms.join(' + ')} = ${sum} vs ONNX Runtime ${v.output[k]}`);
    }
    // The skip is r1's output (ReLU: never negative), the branch c2's (both signs).
    assert.ok(v.inputs[1].plane.every((x) => x >= 0) && v.inputs[0].plane.some((x) => x < 0));
    assert.ok(v.inputs.every((x) => x.rms > 0) && v.outRms > 0);
  }
  // The inputs are the layers' own outputs: r1's plane is the ReLU view's layer output, c2's the conv's.
  const c2 = view((await learnLayer(project, doc, data, 'c2', { filter: 5 })).view, 'conv');
  const add = view((await learnLayer(project, doc, data, 'add', { channel: 5 })).view, 'add');
  assert.deepEqual(add.inputs[0].plane, c2.output);
});

test('Concat: each output channel is the named input’s channel, value for value', async () => {
  const doc = residualNet();
  const add = view((await learnLayer(project, doc, data, 'add', { channel: 4 })).view, 'add');
  const c3 = await learnLayer(project, doc, data, 'c3', { filter: 2 });
  const c3v = view(c3.view, 'conv');
  for (const [channel, input, ic] of [[0, 0, 0], [4, 0, 4], [6, 1, 0], [8, 1, 2]] as const) {
    const r = await learnLayer(project, doc, data, 'cat', { channel });
    const v = view(r.view, 'concat');
    assert.deepEqual(v.segments.map((g) => [g.id, g.from, g.to]), [['add', 0, 6], ['c3', 6, 9]]);
    assert.deepEqual(concatSource(v.segments, channel), { input, channel: ic });
    assert.equal(v.source, input);
    assert.equal(v.sourceChannel, ic);
    assert.deepEqual(v.output, v.input);
    assert.equal(v.means.length, 9);
    assert.ok(close(v.means[channel], v.output.reduce((a, b) => a + b, 0) / v.output.length, 1e-5));
    // The input plane is the source layer's own output (from its own view).
    if (channel === 4) assert.deepEqual(v.input, add.output);
    if (channel === 8) assert.deepEqual(v.input, c3v.output);
  }
});

test('Pad: the border is the pad value and the interior the input, on the image itself and on a feature map', async () => {
  const doc = residualNet();
  for (const [nodeId, channel, fromImage] of [['pd1', 1, true], ['pd2', 7, false]] as const) {
    const r = await learnLayer(project, doc, data, nodeId, { channel });
    const v = view(r.view, 'pad');
    assert.equal(v.fromImage, fromImage);
    const g = v.geometry;
    const [H, W] = v.inSize;
    const [Ho, Wo] = v.outSize;
    assert.deepEqual([Ho, Wo], [H + g.top + g.bottom, W + g.left + g.right]);
    let border = 0;
    for (let y = 0; y < Ho; y++) for (let x = 0; x < Wo; x++) {
      const k = padSource(g, v.inSize, y, x);
      const o = v.output[y * Wo + x];
      if (k < 0) (border++, assert.equal(o, Math.fround(g.value), `${nodeId} (${y}, ${x}) on the border`));
      else assert.equal(o, v.input[k], `${nodeId} (${y}, ${x}) inside`);
    }
    assert.equal(border, Ho * Wo - H * W);
    assert.ok(v.input.some((x) => x !== g.value));
  }
  // pd1's input is the network input: the normalized image's channel 1.
  const ctx = await learnContext(project, residualNet(), data);
  const pd1 = view((await learnLayer(project, residualNet(), data, 'pd1', { channel: 1 })).view, 'pad');
  assert.deepEqual(pd1.input, Array.from(ctx.x.subarray(32 * 32, 2 * 32 * 32)));
});

test('Add and Concat on vectors: one plane of all the features; the sum and the stacking as in the image case', async () => {
  const doc = net('vectors', [
    ['in', 'Input', { height: 8, width: 8, color: 'grayscale' }],
    ['f', 'Flatten'],
    ['fc1', 'Dense', { units: 6 }],
    ['t', 'Tanh'],
    ['fc2', 'Dense', { units: 6 }],
    ['add', 'Add'],
    ['cat', 'Concat'],
    ['fc3', 'Dense', { units: 4 }],
    ['out', 'Output', { loss: 'cross_entropy' }],
  ], [...chain(['in', 'f', 'fc1', 't', 'fc2']), 'fc2>add:0', 't>add:1', 'add>cat:0', 'fc1>cat:1', ...chain(['cat', 'fc3', 'out'])]);
  const add = view((await learnLayer(project, doc, data, 'add')).view, 'add');
  assert.deepEqual([add.channels, add.size], [1, [1, 6]]);
  assert.deepEqual(add.inputs.map((x) => x.skip), [false, true]);
  for (let k = 0; k < 6; k++) assert.ok(close(addAt(add.inputs.map((x) => x.plane), k).sum, add.output[k], 1e-5));
  const fc1 = view((await learnLayer(project, doc, data, 'fc1', { unit: 4 })).view, 'dense');
  const cat = view((await learnLayer(project, doc, data, 'cat', { channel: 10 })).view, 'concat');
  assert.deepEqual(cat.segments.map((g) => [g.from, g.to]), [[0, 6], [6, 12]]);
  assert.deepEqual([cat.source, cat.sourceChannel, cat.size], [1, 4, [1, 1]]);
  assert.deepEqual(cat.output, cat.input);
  assert.ok(close(cat.output[0], fc1.output));
  assert.deepEqual(cat.means.slice(0, 6), add.output);
});

test('nudging one weight: the central difference of the batch loss agrees with autodiff', async () => {
  for (const [param, index] of [['conv1.W', 13], ['conv2.W', 100], ['fc.W', 40], ['fc.B', 1]] as const) {
    const r = await learnNudge(project, sampleProject(), data, param, index, { eps: 3e-3 });
    assert.ok(r.ok, `${param}[${index}]: autodiff ${r.analytic} vs FD ${r.numeric}`);
    assert.ok(close((r.lossPlus - r.lossMinus) / (2 * r.eps), r.numeric, 1e-9));
    assert.ok(r.relError < 3e-2, `${param}: ${r.analytic} vs ${r.numeric}`);
    assert.notEqual(r.lossPlus, r.lossMinus);
    console.log(`  ${param}[${index}] = ${r.value.toFixed(4)}: L ${r.loss.toFixed(6)}, L(+ε) ${r.lossPlus.toFixed(6)}, L(−ε) ${r.lossMinus.toFixed(6)}; FD ${r.numeric.toExponential(4)}, autodiff ${r.analytic.toExponential(4)}`);
  }
  await assert.rejects(learnNudge(project, sampleProject(), data, 'conv1.W', 99999), /outside/);
});

test('mini-batches: a few real steps per batch size from the same start, each batch’s loss and their mean', async () => {
  // 24 images: batch 16 wraps around to the start of the shuffled set.
  const r = await learnBatches(project, sampleProject(), data, { sizes: [4, 16], steps: 3 });
  assert.equal(r.images, 24);
  assert.deepEqual(r.sizes.map((s) => s.batchSize), [4, 16]);
  for (const s of r.sizes) {
    assert.equal(s.losses.length, 3);
    for (const l of s.losses) assert.ok(Number.isFinite(l) && l > 0);
    assert.ok(close(s.mean, s.losses.reduce((a, b) => a + b, 0) / 3, 1e-9));
  }
  // Same start values: the first batch's loss differs only by which images it holds, the steps after by the updates.
  assert.notDeepEqual(r.sizes[0].losses, r.sizes[1].losses);
  assert.ok(fs.existsSync(data));
});

test('with a run of the document, the views use its trained values (its last model), and say so', async () => {
  const doc = sampleProject();
  const ctx = await learnContext(project, doc, data);
  const trained = new Map(ctx.values);
  const W = Float32Array.from(trained.get('conv2.W')!, (x, i) => x + Math.cos(i) / 10);
  trained.set('conv2.W', W);
  const dir = path.join(root, 'runs', 'r1');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ doc, dataDir: data, status: 'finished' }));
  fs.writeFileSync(path.join(dir, 'model.onnx'), encodeModel(buildInferenceModel(doc, trained, { classNames: ['circle', 'square', 'triangle', 'cross'] })));
  const r = await learnLayer(project, doc, data, 'conv2', { runId: 'r1', filter: 1 });
  const v = view(r.view, 'conv');
  assert.equal(r.weights.source, 'run');
  assert.equal(r.weights.runId, 'r1');
  assert.equal(r.weights.matched, r.weights.total);
  const per = 16 * 3 * 3;
  assert.deepEqual(v.kernel, Array.from(W.subarray(per, 2 * per)));
  const { sum } = convAt({ ...v.geometry, input: v.input, kernel: v.kernel }, 7, 3);
  assert.ok(close(sum, v.output[7 * v.outSize[1] + 3]));
});

test('through the host: learnLayer and learnNudge run as jobs on worker threads', async () => {
  const { createHost } = await import('../../engine/host.ts');
  const host = createHost({ root, recentFile: path.join(root, 'recent.json'), initialData: data, threads: 1 });
  const layer = await host.handle({ id: 1, method: 'learnLayer', doc: sampleProject(), dataDir: data, nodeId: 'fc', unit: 1 });
  assert.ok(layer.ok, JSON.stringify(layer));
  const v = view((layer.result as { view: LearnView }).view, 'dense');
  assert.ok(close(unitOutput(v.inputs, v.weights, v.bias), v.output));
  const nudge = await host.handle({ id: 2, method: 'learnNudge', doc: sampleProject(), dataDir: data, param: 'fc.B', index: 0 });
  assert.ok(nudge.ok && (nudge.result as { ok: boolean }).ok, JSON.stringify(nudge));
  const bad = await host.handle({ id: 3, method: 'learnLayer', doc: sampleProject(), dataDir: data, nodeId: 'nope' });
  assert.equal(bad.ok, false);
});
