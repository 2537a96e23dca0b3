// Blocks: the document field's checks, and the recognizer on resnet18- and mobilenet_v2-shaped
// documents (test/fixtures/big-nets.ts), the templates and graphs that only look similar.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recognizeBlocks, withRecognizedBlocks } from '../../engine/graph/blocks.ts';
import { parseDocument, type NetworkDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';
import { MOBILENET_V2_PARAMS, RESNET18_PARAMS, mobilenetV2Doc, resnet18Doc } from '../fixtures/big-nets.ts';

const template = (id: string) => TEMPLATES.find((t) => t.id === id)!.make();
const types = (doc: NetworkDocument, ids: string[]) => ids.map((id) => doc.nodes.find((n) => n.id === id)!.type);

test('the fixtures are resnet18 and mobilenet_v2: layer counts and PyTorch parameter counts', () => {
  const r = resnet18Doc();
  const a = inferShapes(r);
  assert.equal(a.ok, true, JSON.stringify(a.problems));
  assert.equal(r.nodes.length, 70);
  assert.equal(a.totals.params, RESNET18_PARAMS);
  assert.deepEqual(a.shapes.get('layer4.1.relu2'), [512, 7, 7]);
  const m = mobilenetV2Doc();
  const b = inferShapes(m);
  assert.equal(b.ok, true, JSON.stringify(b.problems));
  assert.equal(m.nodes.length, 154);
  assert.equal(b.totals.params, MOBILENET_V2_PARAMS);
  assert.deepEqual(b.shapes.get('features.18.2'), [1280, 7, 7]);
});

test('resnet18: eight basic blocks named after their modules, three with the downsample on the skip', () => {
  const doc = resnet18Doc();
  const blocks = recognizeBlocks(doc);
  assert.deepEqual(blocks.map((b) => b.name), ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1']);
  for (const b of blocks) {
    assert.equal(b.collapsed, true);
    assert.ok(b.nodes.every((id) => id.startsWith(`${b.name}.`)), `${b.name}: ${b.nodes.join(' ')}`);
    const down = b.nodes.some((id) => id.includes('downsample'));
    assert.equal(b.nodes.length, down ? 9 : 7, b.name);
    assert.deepEqual(types(doc, b.nodes).filter((t) => t === 'Conv2D').length, down ? 3 : 2);
    assert.equal(types(doc, b.nodes).at(-1), 'ReLU');
  }
  assert.deepEqual(blocks.filter((b) => b.nodes.length === 9).map((b) => b.name), ['layer2.0', 'layer3.0', 'layer4.0']);
  // The stem and the head stay outside any block.
  const inBlocks = new Set(blocks.flatMap((b) => b.nodes));
  assert.deepEqual(doc.nodes.filter((n) => !inBlocks.has(n.id)).map((n) => n.id), ['input', 'conv1', 'bn1', 'relu', 'maxpool', 'avgpool', 'fc', 'output']);
  // Plain ids: named by kind and number, in order from the input.
  const plain = recognizeBlocks(resnet18Doc({ plainIds: true }));
  assert.deepEqual(plain.map((b) => b.name), Array.from({ length: 8 }, (_, i) => `BasicBlock ${i + 1}`));
  assert.deepEqual(plain.map((b) => b.nodes.length), blocks.map((b) => b.nodes.length));
});

test('mobilenet_v2: seventeen inverted residuals, ten closing with an Add; ReLU6 as Clip or ReLU', () => {
  for (const act of ['ReLU', 'Clip'] as const) {
    const doc = mobilenetV2Doc({ act });
    const blocks = recognizeBlocks(doc);
    assert.equal(blocks.length, 17, act);
    assert.deepEqual(blocks.map((b) => b.name), Array.from({ length: 17 }, (_, i) => `features.${i + 1}`));
    assert.equal(blocks.filter((b) => types(doc, b.nodes).includes('Add')).length, 10);
    assert.equal(blocks[0].nodes.length, 5); // no expansion in the first block
    for (const b of blocks.slice(1)) assert.equal(b.nodes.length, types(doc, b.nodes).includes('Add') ? 9 : 8, b.name);
    const plain = recognizeBlocks(mobilenetV2Doc({ act, plainIds: true }));
    assert.equal(plain[2].name, 'InvertedResidual 3');
  }
});

test('recognized blocks pass the load checks, and shape inference ignores them', () => {
  for (const doc of [resnet18Doc(), mobilenetV2Doc()]) {
    const withBlocks = withRecognizedBlocks(doc);
    const r = parseDocument(JSON.stringify(withBlocks));
    assert.ok(r.ok, JSON.stringify(r.problems));
    assert.equal(r.doc.blocks?.length, withBlocks.blocks!.length);
    const a = inferShapes(r.doc);
    const b = inferShapes(doc);
    assert.equal(a.totals.params, b.totals.params);
    assert.deepEqual([...a.shapes], [...b.shapes]);
    // Running it again finds nothing new: every block is taken.
    assert.deepEqual(recognizeBlocks(r.doc), []);
  }
});

test('templates: the small ResNet has two basic blocks; LeNet-5, VGG and the MLP none', () => {
  assert.deepEqual(recognizeBlocks(template('resnet')).map((b) => [b.name, b.nodes]), [
    ['BasicBlock 1', ['b1conv1', 'b1bn1', 'b1relu1', 'b1conv2', 'b1bn2', 'b1add', 'b1relu2']],
    ['BasicBlock 2', ['b2conv1', 'b2bn1', 'b2relu1', 'b2conv2', 'b2bn2', 'b2add', 'b2relu2']],
  ]);
  for (const id of ['lenet5', 'vgg', 'mlp']) assert.deepEqual(recognizeBlocks(template(id)), [], id);
});

test('look-alikes are not blocks: a branch node used elsewhere, no Add, a one-conv residual', () => {
  const doc = template('resnet');
  // b1bn1 also feeds another layer: the block's branch is no longer private.
  const leak: NetworkDocument = { ...doc, nodes: [...doc.nodes, { id: 'tap', type: 'ReLU', params: {}, position: { x: 0, y: 0 } }], edges: [...doc.edges, { id: 'etap', source: 'b1bn1', target: 'tap', targetPort: 0 }] };
  assert.deepEqual(recognizeBlocks(leak).map((b) => b.nodes[0]), ['b2conv1']);
  // A residual around one conv is not a basic block.
  const one: NetworkDocument = {
    ...doc,
    nodes: doc.nodes.filter((n) => !['b1relu1', 'b1conv2', 'b1bn2'].includes(n.id)),
    edges: [...doc.edges.filter((e) => !['b1bn1', 'b1relu1', 'b1conv2', 'b1bn2'].includes(e.source) || e.source === 'b1bn1').filter((e) => e.target !== 'b1relu1'), { id: 'ex', source: 'b1bn1', target: 'b1add', targetPort: 0 }],
  };
  assert.ok(inferShapes(one).ok, JSON.stringify(inferShapes(one).problems));
  assert.deepEqual(recognizeBlocks(one).map((b) => b.nodes[0]), ['b2conv1']);
  // Existing blocks keep their nodes.
  const taken = { ...doc, blocks: [{ id: 'mine', name: 'mine', nodes: ['b2conv1', 'b2bn1'], collapsed: false }] };
  assert.deepEqual(recognizeBlocks(taken).map((b) => [b.id, b.nodes[0]]), [['block2', 'b1conv1']]);
});

test('broken blocks refuse the document: unknown node, node in two blocks, not connected, duplicate id', () => {
  const doc = template('resnet');
  const load = (blocks: unknown) => parseDocument(JSON.stringify({ ...doc, blocks }));
  const cases: [unknown, string][] = [
    [[{ id: 'a', name: 'A', nodes: ['b1conv1', 'nope'], collapsed: true }], 'no node has the id "nope"'],
    [[{ id: 'a', name: 'A', nodes: ['b1conv1', 'b1bn1'] }, { id: 'b', name: 'B', nodes: ['b1bn1', 'b1relu1'] }], 'node "b1bn1" is already in block "a"'],
    [[{ id: 'a', name: 'A', nodes: ['b1conv1', 'b1relu1'] }], 'not connected'],
    [[{ id: 'a', name: 'A', nodes: ['b1conv1'] }, { id: 'a', name: 'B', nodes: ['b2conv1'] }], 'two blocks have this id'],
  ];
  for (const [blocks, message] of cases) {
    const r = load(blocks);
    assert.equal(r.ok, false, message);
    const p = r.problems.find((x) => x.code === 'bad-block');
    assert.ok(p?.message.includes(message), `${JSON.stringify(r.problems)} should say ${message}`);
  }
  const ok = load([{ id: 'a', name: 'A', nodes: ['b1conv1', 'b1bn1', 'b1relu1'] }]);
  assert.ok(ok.ok);
  assert.deepEqual(ok.doc.blocks, [{ id: 'a', name: 'A', nodes: ['b1conv1', 'b1bn1', 'b1relu1'], collapsed: true }]);
  // No blocks field: none written back.
  const plain = parseDocument(JSON.stringify(doc));
  assert.ok(plain.ok && !('blocks' in plain.doc));
});

test('compact: the layers below each collapsed block move up; expanding every block in the editor restores the layout', async () => {
  const { EditorStore } = await import('../../renderer/store/editor-store.ts');
  const { blockBox, BLOCK_HEIGHT, LAYER_HEIGHT } = await import('../../engine/graph/blocks.ts');
  const doc = resnet18Doc();
  const c = withRecognizedBlocks(doc, { compact: true });
  // Collapsed, consecutive blocks sit one row apart (90 px, plus what a block is taller than a layer).
  const ys = c.blocks!.map((b) => blockBox(c, b).y);
  for (let i = 1; i < ys.length; i++) assert.equal(ys[i] - ys[i - 1], 90 + BLOCK_HEIGHT - LAYER_HEIGHT, `${c.blocks![i].name}`);
  assert.ok(c.nodes.find((n) => n.id === 'output')!.position.y < doc.nodes.find((n) => n.id === 'output')!.position.y - 3000);
  const s = new EditorStore(c);
  for (const b of c.blocks!) s.setBlockCollapsed(b.id, false);
  assert.deepEqual(s.doc.nodes.map((n) => n.position), doc.nodes.map((n) => n.position));
});
