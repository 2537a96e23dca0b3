// Every gradient rule, checked by central finite differences through the whole training graph.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradientCheck } from '../../engine/train/gradcheck.ts';
import { inferShapes, resolved } from '../../engine/graph/infer.ts';
import { batchFor } from '../fixtures/batch.ts';
import { ALL_NETS, branchNet, convNet } from '../fixtures/nets.ts';

const cases = { ...ALL_NETS, 'conv-mse': () => convNet('mse'), 'branch-ce': () => branchNet('cross_entropy') };

for (const [name, make] of Object.entries(cases)) {
  test(`finite differences agree with autodiff: ${name}`, async () => {
    const doc = make();
    const a = inferShapes(doc);
    const inShape = a.shapes.get(a.inputId!)!;
    const classes = a.shapes.get(a.outputId!)![0];
    const { x, labels } = batchFor(inShape, 4, classes);
    const rows = await gradientCheck(doc, { x, labels, n: 4, seed: 5 });
    // Every weight tensor of every layer is checked (PReLU has one, BatchNorm two, Conv2D/Dense one or two).
    const tensors = a.order.reduce((s, n) => {
      const { def, params } = resolved(n);
      const ins = a.inputsOf.get(n.id)!.map((i) => a.shapes.get(i!)!);
      return s + (def.weights?.(params, ins, a.shapes.get(n.id)!).length ?? 0);
    }, 0);
    assert.equal(rows.length, tensors);
    const worst = rows.filter((r) => Math.abs(r.analytic) > 1e-3).reduce((m, r) => (r.relError > m.relError ? r : m));
    console.log(`  ${name}: ${rows.length} parameter tensors, max relative error ${worst.relError.toExponential(2)} (${worst.param})`);
    for (const r of rows) assert.ok(r.ok, `${r.param}: autodiff ${r.analytic} vs finite differences ${r.numeric}`);
  });
}
