// Blocks in the editor store: group the selection, collapse/expand, ungroup, each one undo step;
// the layers below move to make room; edits that break a block drop it; the canvas's view.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocument } from '../../engine/graph/document.ts';
import { withRecognizedBlocks } from '../../engine/graph/blocks.ts';
import { EditorStore } from '../../renderer/store/editor-store.ts';
import { blockNodeId, visibleGraph } from '../../renderer/store/block-view.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';
import { resnet18Doc } from '../fixtures/big-nets.ts';

const resnet = () => TEMPLATES.find((t) => t.id === 'resnet')!.make();
const B1 = ['b1conv1', 'b1bn1', 'b1relu1', 'b1conv2', 'b1bn2', 'b1add', 'b1relu2'];
const y = (s: EditorStore, id: string) => s.node(id)!.position.y;

test('group the selection: one collapsed block, one undo step; the layers below move up, undo puts them back', () => {
  const s = new EditorStore(resnet());
  const before = s.doc;
  const below = y(s, 'down');
  s.select({ nodes: B1, edges: [] });
  const r = s.groupSelection();
  assert.ok('id' in r, JSON.stringify(r));
  assert.deepEqual(s.doc.blocks, [{ id: 'block1', name: 'Block 1', nodes: B1, collapsed: true }]);
  assert.deepEqual(s.getState().undoAction, { key: 'group' });
  assert.ok(y(s, 'down') < below, 'the layers below the block move up');
  assert.equal(y(s, 'b1conv1'), before.nodes.find((n) => n.id === 'b1conv1')!.position.y, 'the block itself stays');
  assert.deepEqual(s.analysis().totals, new EditorStore(before).analysis().totals, 'shape inference ignores blocks');
  const saved = parseDocument(s.serialize());
  assert.ok(saved.ok, JSON.stringify(saved.problems));
  s.undo();
  assert.equal(s.doc, before);
  s.redo();
  assert.equal(s.doc.blocks?.length, 1);
});

test('grouping is refused for one layer, unconnected layers, and layers already in a block', () => {
  const s = new EditorStore(resnet());
  s.select({ nodes: ['b1conv1'], edges: [] });
  assert.match((s.groupSelection() as { refused: string }).refused, /at least two/);
  s.select({ nodes: ['b1conv1', 'b1relu1'], edges: [] });
  assert.match((s.groupSelection() as { refused: string }).refused, /not connected/);
  s.select({ nodes: ['b1conv1', 'b1bn1'], edges: [] });
  assert.ok('id' in s.groupSelection());
  s.select({ nodes: ['b1bn1', 'b1relu1'], edges: [] });
  assert.match((s.groupSelection() as { refused: string }).refused, /already in block “Block 1”/);
  assert.equal(s.doc.blocks?.length, 1);
});

test('collapse and expand: one undo step each, the layers below make room and take it back', () => {
  const s = new EditorStore(resnet());
  s.select({ nodes: B1, edges: [] });
  const { id } = s.groupSelection() as { id: string };
  const collapsed = s.doc;
  s.setBlockCollapsed(id, false);
  assert.equal(s.doc.blocks![0].collapsed, false);
  assert.deepEqual(s.getState().undoAction, { key: 'expand', params: { name: 'Block 1' } });
  assert.deepEqual(s.doc.nodes.map((n) => n.position), resnet().nodes.map((n) => n.position), 'expanded: every layer where it was before grouping');
  s.setBlockCollapsed(id, true);
  assert.deepEqual(s.doc.nodes, collapsed.nodes);
  s.undo();
  s.undo();
  assert.equal(s.doc, collapsed);
  // B toggles the blocks of the selection.
  s.select({ nodes: ['b1add'], edges: [] });
  s.toggleSelectedBlocks();
  assert.equal(s.doc.blocks![0].collapsed, false);
  s.toggleSelectedBlocks();
  assert.equal(s.doc.blocks![0].collapsed, true);
  s.renameBlock(id, 'layer1.0');
  assert.equal(s.doc.blocks![0].name, 'layer1.0');
});

test('ungroup: the block goes, its layers stay (expanded, selected), one undo step', () => {
  const s = new EditorStore(resnet());
  s.select({ nodes: B1, edges: [] });
  s.groupSelection();
  const grouped = s.doc;
  s.select({ nodes: ['b1conv1'], edges: [] });
  assert.equal(s.ungroupSelection(), 1);
  assert.equal(s.doc.blocks, undefined);
  assert.deepEqual(s.getState().selection.nodes, B1.slice(0, 1));
  assert.deepEqual(s.doc.nodes.map((n) => n.position), resnet().nodes.map((n) => n.position));
  s.undo();
  assert.equal(s.doc, grouped);
  s.ungroup('block1');
  assert.equal(s.doc.blocks, undefined);
  assert.deepEqual(s.getState().selection.nodes, B1);
});

test('edits keep blocks valid: deleting an end layer shrinks the block, one in the middle drops it', () => {
  const s = new EditorStore(resnet());
  s.select({ nodes: ['b1conv1', 'b1bn1', 'b1relu1'], edges: [] });
  s.groupSelection();
  s.remove(['b1relu1']);
  assert.deepEqual(s.doc.blocks?.[0].nodes, ['b1conv1', 'b1bn1']);
  s.undo();
  s.remove(['b1bn1']);
  assert.equal(s.doc.blocks, undefined, 'conv1 and relu1 are no longer connected: no block');
  assert.ok(parseDocument(s.serialize()).ok);
  // Deleting a whole collapsed block (all of its layers selected) removes the block too.
  s.undo();
  s.select({ nodes: ['b1conv1', 'b1bn1', 'b1relu1'], edges: [] });
  s.deleteSelection();
  assert.equal(s.doc.blocks, undefined);
});

test('the canvas view of resnet18 with its blocks collapsed: 8 block nodes, 22 layers, edges to the blocks', () => {
  const doc = withRecognizedBlocks(resnet18Doc());
  const v = visibleGraph(doc);
  const visible = new Set(v.visibleId.values());
  assert.equal(visible.size, 16, 'stem 5 + head 3 + 8 blocks');
  assert.equal(v.edges.length, 15, 'a chain of 16 visible nodes');
  assert.deepEqual(
    v.edges.map((e) => [e.source, e.target]).slice(4, 7),
    [['maxpool', blockNodeId('block1')], [blockNodeId('block1'), blockNodeId('block2')], [blockNodeId('block2'), blockNodeId('block3')]],
  );
  // Expanding one block shows its 7 layers and their edges again.
  const one = { ...doc, blocks: doc.blocks!.map((b, i) => (i === 0 ? { ...b, collapsed: false } : b)) };
  const w = visibleGraph(one);
  assert.equal(new Set(w.visibleId.values()).size, 22);
  assert.equal(w.edges.length, 22, 'maxpool→conv1 and →add, the 6 inside, relu2→block2');
});
