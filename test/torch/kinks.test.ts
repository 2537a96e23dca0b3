// Gradients at the kinks of the piecewise layers, against PyTorch: inputs that land exactly on
// a bound (Clip at min and max), beyond it, and at 0 (PReLU), where a rule that treats the
// bound as inside (or outside) sends a different gradient back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { openStepRunner } from '../../engine/train/step.ts';
import { batchFor } from '../fixtures/batch.ts';
import { chain, net } from '../fixtures/nets.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { relErr, runTorch, torchAvailable } from './torch.ts';

const skip = torchAvailable() ? false : 'PyTorch (Debian python3-torch) is not installed';

/**
 * A 1x1 conv whose outputs are exact multiples of 3 (pixels in {0, 0.5, 1}, weights ±6 or 12,
 * biases 0, -3 or 6) feeding `layer`: values at exactly 0 and 6, and beyond both.
 */
async function kinkCheck(layer: [string, Record<string, number | string | boolean>], setup: (values: Map<string, Float32Array>) => void = () => {}) {
  const doc: NetworkDocument = net('kinks', [
    ['in', 'Input', { height: 4, width: 6, color: 'grayscale' }],
    ['c1', 'Conv2D', { filters: 3, kernel: 1, padding: 'valid' }],
    ['k', layer[0], layer[1]],
    ['c2', 'Conv2D', { filters: 2, kernel: 3, padding: 'same' }],
    ['f', 'Flatten'],
    ['fc', 'Dense', { units: 3 }],
    ['out', 'Output', { loss: 'cross_entropy' }],
  ], chain(['in', 'c1', 'k', 'c2', 'f', 'fc', 'out']));
  const step = await openStepRunner(doc, { gradients: true, optimizer: 'none', seed: 5, threads: 1 });
  step.values.get('c1.W')!.set([6, 12, -6]);
  step.values.get('c1.B')!.set([0, -3, 6]);
  setup(step.values);
  const n = 5;
  const { labels } = batchFor([1, 4, 6], n, 3);
  const rng = new Rng(8);
  const x = Float32Array.from({ length: n * 24 }, () => rng.int(3) / 2);
  const values = new Map(step.values);
  const ours = await step.evaluate(x, labels, n);
  const ref = runTorch({ doc, forward: step.graph.forward, values, x, labels, n, masks: {} });
  await step.release();
  assert.ok(Math.abs(ours.loss - ref.loss) < 1e-5 * Math.max(1, Math.abs(ref.loss)), `loss ${ours.loss} vs PyTorch ${ref.loss}`);
  for (const [p, g] of ours.grads) {
    const e = relErr(g, ref.grads[p]);
    assert.ok(e < 1e-4, `${p}: max relative error ${e.toExponential(2)} against PyTorch`);
  }
  // The kink matters: c1's gradient would differ if values on a bound counted as inside.
  return ours.grads;
}

test('Clip (ReLU6) at exactly min and max, and beyond both: gradients match PyTorch', { skip }, async () => {
  await kinkCheck(['Clip', { min: 0, max: 6 }]);
});

test('Clip with bounds the values land on (min 3, max 3): no gradient passes, as in PyTorch', { skip }, async () => {
  const g = await kinkCheck(['Clip', { min: 3, max: 3 }]);
  assert.ok(g.get('c1.W')!.every((v) => v === 0), 'nothing passes a Clip of zero width');
});

test('PReLU at exactly 0 (the slope side, as PyTorch), per channel and shared: gradients match PyTorch', { skip }, async () => {
  for (const perChannel of [true, false]) {
    const g = await kinkCheck(['PReLU', { perChannel }], (v) => v.get('k.slope')!.set(perChannel ? [0.1, -0.5, 2] : [0.3]));
    assert.ok(g.get('k.slope')!.some((v) => v !== 0), 'the slopes receive a gradient');
  }
});
