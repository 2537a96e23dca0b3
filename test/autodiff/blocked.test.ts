// Convolutions in ONNX Runtime's blocked layout (rewrite.ts, blockedConvs): which ones are
// rewritten, and that the step computes the same loss and gradients as without them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { NCHWC_DOMAIN } from '../../engine/autodiff/nchwc.ts';
import { buildTrainingGraph } from '../../engine/autodiff/training-graph.ts';
import { parseDocument, type NetworkDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { decodeModel, encodeModel } from '../../engine/onnx/model.ts';
import { nchwcBlockSize } from '../../engine/train/ort.ts';
import { openStepRunner } from '../../engine/train/step.ts';
import { batchFor } from '../fixtures/batch.ts';
import { blockedNet, chain, narrowWide, net } from '../fixtures/nets.ts';

/** Depthwise convs of 16 channels, stride 1 (dY 16×16: dW tap by tap) and stride 2, between plain ones. */
const depthwiseNet = () =>
  net('depthwise', [
    ['in', 'Input', { height: 16, width: 16, color: 'rgb' }],
    ['stem', 'Conv2D', { filters: 16, kernel: 3, padding: 'same', bias: false }],
    ['dw', 'Conv2D', { filters: 16, kernel: 3, padding: 'explicit', pad: 1, groups: 16, bias: false }],
    ['r1', 'ReLU'],
    ['dw2', 'Conv2D', { filters: 16, kernel: 3, stride: 2, padding: 'explicit', pad: 1, groups: 16 }],
    ['gap', 'GlobalAvgPool'],
    ['fc', 'Dense', { units: 3 }],
    ['out', 'Output', { loss: 'cross_entropy' }],
  ], chain(['in', 'stem', 'dw', 'r1', 'dw2', 'gap', 'fc', 'out']));

const example = (name: string): NetworkDocument => {
  const r = parseDocument(fs.readFileSync(`examples/${name}.json`, 'utf8'));
  if (!r.ok) throw new Error(name);
  return r.doc;
};

/** Blocked Convs of a training graph, as "input channels>output channels". */
function blockedConvs(doc: NetworkDocument, block: number): string[] {
  const t = buildTrainingGraph(doc, { gradients: true, optimizer: 'none', nchwc: block });
  const g = t.model.graph;
  return g.nodes.filter((n) => n.domain === NCHWC_DOMAIN && n.op === 'Conv').map((n) => {
    const reorderedBy = g.nodes.find((m) => m.outputs.includes(n.inputs[0]));
    const w = (n.attrs!.kernel_shape as { ints: number[] }).ints;
    const out = g.nodes.find((m) => m.inputs[0] === n.outputs[0] && m.op === 'ReorderOutput')!;
    return `${reorderedBy?.op === 'ReorderInput' ? 'blocked' : 'nchw'}>${(out.attrs!.channels as { i: number }).i} k${w.join('x')}`;
  });
}

test('the small CNN runs its two wide convolutions and their input gradients blocked; its first, 1-channel conv is left alone; narrow convs\' weight gradients run blocked', () => {
  assert.deepEqual(blockedConvs(example('small-cnn'), 16).sort(), ['blocked>32 k3x3', 'blocked>32 k3x3', 'blocked>32 k3x3', 'blocked>64 k3x3'].sort());
  // LeNet-5: the second conv's forward (6 channels in, read as NCHW); its input gradient has 6
  // outputs; its weight gradient (convWeightGradBlocked) convolves the batch-major input with dY,
  // a 10×10 kernel over 6 "images" (the input channels) whose channels are the samples.
  assert.deepEqual(blockedConvs(example('lenet5'), 16).sort(), ['blocked>16 k10x10', 'nchw>16 k5x5']);
  assert.deepEqual(blockedConvs(example('mlp'), 16), []);
  // Every forward conv but the 3-channel first; the input gradients of the 16 → 16 (a flipped
  // Conv) and the 16 → 32 (a ConvTranspose) convs; not those with 6 outputs or stride 2; the
  // weight gradient of the 6 → 16 conv (its 6×6 dY as the kernel).
  const expected = ['nchw>16 k3x3', 'blocked>16 k3x3', 'blocked>32 k2x2', 'blocked>16 k3x3', 'blocked>16 k2x2', 'blocked>16 k3x3', 'blocked>16 k6x6'].sort();
  assert.deepEqual(blockedConvs(blockedNet(), 16).sort(), expected);
  // With a block of 8 (AVX2) the same convs fit.
  assert.deepEqual(blockedConvs(blockedNet(), 8).sort(), expected);
  // 4 → 32: the forward conv (NCHW input) and the weight gradient, its 32 filters two blocks.
  assert.deepEqual(blockedConvs(narrowWide(), 16).sort(), ['blocked>32 k8x8', 'nchw>32 k3x3']);
  // Depthwise: both forward convs (stride 1 and 2) and the stride-1 one's input gradient (a
  // flipped depthwise Conv) run in the blocked depthwise kernel; the stride-2 input gradient stays
  // a grouped ConvTranspose and the depthwise weight gradients are not Convs with fixed weights;
  // the 3-channel stem's weight gradient is blocked (its 16×16 dY as the kernel).
  assert.deepEqual(blockedConvs(depthwiseNet(), 16).sort(), ['blocked>16 k16x16', 'blocked>16 k3x3', 'blocked>16 k3x3', 'blocked>16 k3x3']);
});

test('without a block size, or for inference and export, no op of the blocked domain is written', () => {
  const t = buildTrainingGraph(example('small-cnn'), { gradients: true, optimizer: 'none' });
  assert.equal(t.model.graph.nodes.filter((n) => n.domain).length, 0);
  assert.equal(t.model.domains, undefined);
  const b = buildTrainingGraph(example('small-cnn'), { nchwc: 16 });
  // The blocked graph declares its operator set, and survives an encode/decode round trip.
  assert.deepEqual(b.model.domains, { [NCHWC_DOMAIN]: 1 });
  const back = decodeModel(encodeModel(b.model));
  assert.deepEqual(back.domains, { [NCHWC_DOMAIN]: 1 });
  assert.equal(back.graph.nodes.filter((n) => n.domain === NCHWC_DOMAIN).length, b.model.graph.nodes.filter((n) => n.domain === NCHWC_DOMAIN).length);
});

const block = await nchwcBlockSize();
const skip = block ? false : 'this CPU has no ONNX Runtime NCHWc kernels';

for (const [name, make] of Object.entries({ 'small-cnn': () => example('small-cnn'), lenet5: () => example('lenet5'), blocked: blockedNet, 'narrow-wide': narrowWide, depthwise: depthwiseNet })) {
  test(`blocked convolutions give the plain step's loss and gradients: ${name}`, { skip }, async () => {
    const doc = make();
    const a = inferShapes(doc);
    // Over 16 samples for narrow-wide: two blocks of them (padded), as well as two of filters.
    const n = name === 'narrow-wide' ? 21 : 5;
    const { x, labels } = batchFor(a.shapes.get(a.inputId!)!, n, a.shapes.get(a.outputId!)![0]);
    const plain = await openStepRunner(doc, { gradients: true, optimizer: 'none', seed: 3, threads: 1, blocked: false });
    const blocked = await openStepRunner(doc, { gradients: true, optimizer: 'none', seed: 3, threads: 1 });
    assert.ok(blocked.graph.model.graph.nodes.some((q) => q.domain === NCHWC_DOMAIN), 'the step uses blocked convolutions');
    assert.ok(!plain.graph.model.graph.nodes.some((q) => q.domain));
    const p = await plain.evaluate(x, labels, n);
    const b = await blocked.evaluate(x, labels, n);
    await plain.release();
    await blocked.release();
    assert.ok(Math.abs(p.loss - b.loss) < 1e-6 * Math.max(1, p.loss), `loss ${b.loss} vs ${p.loss}`);
    for (const [param, g] of p.grads) {
      const h = b.grads.get(param)!;
      let scale = 0;
      let diff = 0;
      for (let i = 0; i < g.length; i++) {
        scale = Math.max(scale, Math.abs(g[i]));
        diff = Math.max(diff, Math.abs(g[i] - h[i]));
      }
      assert.ok(diff <= 1e-5 * Math.max(scale, 1e-3), `${param}: differs by ${diff} (largest ${scale})`);
    }
  });
}
