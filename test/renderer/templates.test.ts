import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';

test('every template analyses with no problems and round-trips through the document format', () => {
  const params: Record<string, number> = {};
  for (const t of TEMPLATES) {
    const doc = t.make();
    const a = inferShapes(doc);
    assert.deepEqual(a.problems, [], t.id);
    assert.equal(a.ok, true, t.id);
    const again = parseDocument(JSON.stringify(doc));
    assert.ok(again.ok && again.problems.length === 0, t.id);
    params[t.id] = a.totals.params;
  }
  // LeNet-5 is the same net as examples/lenet5.json (PyTorch's count).
  assert.equal(params.lenet5, 61706);
  assert.equal(params.mlp, 784 * 256 + 256 + 256 * 10 + 10);
});

test('the ResNet template has residual Adds fed by the block input on port 1', () => {
  const doc = TEMPLATES.find((t) => t.id === 'resnet')!.make();
  const adds = doc.nodes.filter((n) => n.type === 'Add');
  assert.equal(adds.length, 2);
  for (const add of adds) {
    const ins = doc.edges.filter((e) => e.target === add.id).map((e) => e.targetPort).sort();
    assert.deepEqual(ins, [0, 1]);
  }
});
