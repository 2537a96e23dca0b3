import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inferShapes } from '../../engine/graph/infer.ts';
import { EditorStore } from '../../renderer/store/editor-store.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';

const lenet = () => TEMPLATES.find((t) => t.id === 'lenet5')!.make();

function chain(s: EditorStore, types: string[]): string[] {
  const ids = types.map((t, i) => s.addNode(t, { x: 0, y: i * 90 }));
  for (let i = 1; i < ids.length; i++) assert.ok('id' in s.connect(ids[i - 1], ids[i]));
  return ids;
}

test('adding and wiring layers gives every edge its shape; each edit is one undo step', () => {
  const s = new EditorStore();
  const [inp, conv, flat, dense, out] = chain(s, ['Input', 'Conv2D', 'Flatten', 'Dense', 'Output']);
  assert.equal(s.getState().dirty, true);
  s.setParam(dense, 'units', 10);
  const a = s.analysis();
  assert.equal(a.ok, true, JSON.stringify(a.problems));
  assert.deepEqual(a.shapes.get(conv), [32, 28, 28]);
  assert.deepEqual(a.shapes.get(flat), [32 * 28 * 28]);
  assert.equal(a.edgeShapes.size, 4);
  // 5 adds + 4 connects + 1 param = 10 steps back to the empty, clean document.
  for (let i = 0; i < 10; i++) s.undo();
  assert.equal(s.doc.nodes.length, 0);
  assert.equal(s.getState().canUndo, false);
  assert.equal(s.getState().dirty, false);
  for (let i = 0; i < 10; i++) s.redo();
  assert.equal(s.doc.nodes.length, 5);
  assert.equal(s.node(dense)!.params.units, 10);
  assert.deepEqual([inp, out].map((id) => !!s.node(id)), [true, true]);
});

test('connections that can never be valid are refused', () => {
  const s = new EditorStore();
  const [inp, relu, out] = chain(s, ['Input', 'ReLU', 'Output']);
  const add = s.addNode('Add', { x: 0, y: 0 });
  assert.match((s.connect(relu, inp) as { refused: string }).refused, /^Input "[^"]+" takes no input$/);
  assert.match((s.connect(out, add) as { refused: string }).refused, /nothing can follow it/);
  assert.match((s.connect(relu, relu) as { refused: string }).refused, /itself/);
  const twice = (s.connect(inp, relu) as { refused: string }).refused;
  assert.match(twice, /input 1 of ReLU "[^"]+" is connected twice/);
  // The refusal is the engine's own message: the same wire in a document gets the same problem from inferShapes.
  const wired = inferShapes({ ...s.doc, edges: [...s.doc.edges, { id: 'extra', source: inp, target: relu, targetPort: 0 }] });
  assert.equal(wired.problems.find((p) => p.edgeId === 'extra')?.message, twice);
  assert.ok('id' in s.connect(relu, add, 0));
  assert.match((s.connect(add, relu, 0) as { refused: string }).refused, /connected twice|cycle/);
  const relu2 = s.addNode('ReLU', { x: 0, y: 0 });
  assert.ok('id' in s.connect(add, relu2));
  assert.match((s.connect(relu2, add, 1) as { refused: string }).refused, /cycle/);
  assert.match((s.connect(inp, add, 2) as { refused: string }).refused, /port 3 does not exist/);
  assert.ok('id' in s.connect(inp, add, 1));
});

test('one-click fixes: Flatten before Dense, padding same for a kernel that does not fit; both undo', () => {
  const s = new EditorStore();
  const [, conv, dense] = chain(s, ['Input', 'Conv2D', 'Dense']);
  let p = s.analysis().problems.find((x) => x.nodeId === dense && x.fix)!;
  assert.deepEqual(p.fix, { kind: 'insert-before', layer: 'Flatten' });
  const y = s.node(dense)!.position.y;
  assert.ok(s.applyFix(p));
  assert.equal(s.doc.nodes.length, 4);
  assert.equal(s.node(dense)!.position.y, y + 90);
  assert.equal(s.analysis().problems.find((x) => x.nodeId === dense), undefined);
  assert.deepEqual(s.analysis().shapes.get(dense), [128]);

  s.setParam(conv, 'padding', 'valid');
  s.setParam(conv, 'kernel', 31);
  p = s.analysis().problems.find((x) => x.nodeId === conv)!;
  assert.equal(p.code, 'kernel-too-large');
  assert.ok(s.applyFix(p));
  assert.equal(s.node(conv)!.params.padding, 'same');
  assert.equal(s.analysis().problems.find((x) => x.nodeId === conv), undefined);
  s.undo();
  assert.equal(s.node(conv)!.params.padding, 'valid');
  s.undo();
  s.undo();
  s.undo(); // the inserted Flatten goes again
  assert.equal(s.doc.nodes.length, 3);
  assert.equal(s.node(dense)!.position.y, y);
});

test('typing into one field is one undo step; dirty follows the saved version through undo/redo', () => {
  const s = new EditorStore(lenet(), '/tmp/lenet.json');
  assert.equal(s.getState().dirty, false);
  for (const v of [1, 12, 120]) s.setParam('conv1', 'filters', v, { merge: true });
  assert.equal(s.node('conv1')!.params.filters, 120);
  assert.equal(s.getState().dirty, true);
  s.undo();
  assert.equal(s.node('conv1')!.params.filters, 6);
  assert.equal(s.getState().dirty, false);
  s.redo();
  s.markSaved('/tmp/lenet.json');
  assert.equal(s.getState().dirty, false);
  s.undo();
  assert.equal(s.getState().dirty, true);
  s.redo();
  assert.equal(s.getState().dirty, false);
});

test('moves, deletes, copy/paste with fresh ids, and changing Add inputs drops wires to removed ports', () => {
  const s = new EditorStore(lenet());
  s.moveNodes({ conv1: { x: 300.4, y: 130 } });
  assert.deepEqual(s.node('conv1')!.position, { x: 300, y: 130 });
  s.select({ nodes: ['conv1', 'relu1'], edges: [] });
  const frag = s.copySelection()!;
  assert.equal(frag.edges.length, 1);
  const ids = s.paste(frag);
  assert.equal(ids.length, 2);
  assert.ok(ids.every((id) => id !== 'conv1' && id !== 'relu1'));
  assert.equal(s.doc.edges.filter((e) => e.source === ids[0] && e.target === ids[1]).length, 1);
  assert.deepEqual(s.getState().selection.nodes, ids);
  s.deleteSelection();
  assert.equal(s.doc.nodes.length, 14);
  s.remove(['pool1']);
  assert.equal(s.doc.edges.some((e) => e.source === 'pool1' || e.target === 'pool1'), false);
  s.undo();
  assert.ok(s.node('pool1'));

  const t = new EditorStore();
  const a = t.addNode('Input', { x: 0, y: 0 });
  const add = t.addNode('Concat', { x: 0, y: 0 });
  t.setParam(add, 'inputs', 3);
  t.connect(a, add, 2);
  t.setParam(add, 'inputs', 2);
  assert.equal(t.doc.edges.length, 0);
  t.undo();
  assert.equal(t.doc.edges.length, 1);
});

test('opening text: a broken document is refused with its problems and leaves the editor as it was', () => {
  const s = new EditorStore(lenet(), null);
  const problems = s.open('{"format":"netwright","version":99,"nodes":[],"edges":[]}', '/x.json');
  assert.equal(problems[0].code, 'future-version');
  assert.equal(s.doc.nodes.length, 14);
  assert.deepEqual(s.open(s.serialize(), '/y.json'), []);
  assert.equal(s.getState().path, '/y.json');
  assert.equal(s.getState().canUndo, false);
});
