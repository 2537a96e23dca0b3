// Auto-layout (elkjs) of large graphs: 150+ layers, and resnet18 with collapsed blocks, leave no
// two node rectangles overlapping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withRecognizedBlocks } from '../../engine/graph/blocks.ts';
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { autoLayout } from '../../renderer/components/layout.ts';
import { blockBox, blockNodeId, visibleGraph } from '../../renderer/store/block-view.ts';
import { mobilenetV2Doc, resnet18Doc } from '../fixtures/big-nets.ts';

type Rect = { id: string; x: number; y: number; w: number; h: number };

function overlaps(rects: Rect[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i], b = rects[j];
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) out.push(`${a.id} / ${b.id}`);
    }
  return out;
}

const moved = (doc: NetworkDocument, pos: Record<string, { x: number; y: number }>): NetworkDocument => ({
  ...doc,
  nodes: doc.nodes.map((n) => ({ ...n, position: pos[n.id] ?? n.position })),
});

/** Sizes like the canvas measures them: wider layers with longer summaries, blocks taller. */
const size = (id: string) => (id.startsWith('block:') ? { width: 262, height: 84 } : { width: 160 + (id.length % 5) * 12, height: 56 + (id.length % 3) * 8 });

test('150+ layers (mobilenet_v2-shaped, 154): laid out top to bottom with no two layers overlapping', async () => {
  const doc = mobilenetV2Doc();
  assert.ok(doc.nodes.length >= 150);
  const sizes = new Map(doc.nodes.map((n) => [n.id, size(n.id)]));
  // Start from the worst case: every layer at the same spot.
  const piled = { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: { x: 0, y: 0 } })) };
  const pos = await autoLayout(piled, sizes);
  assert.equal(Object.keys(pos).length, doc.nodes.length);
  const rects = doc.nodes.map((n) => ({ id: n.id, x: pos[n.id].x, y: pos[n.id].y, ...({ w: sizes.get(n.id)!.width, h: sizes.get(n.id)!.height }) }));
  assert.deepEqual(overlaps(rects), []);
  // Every edge points down the page.
  for (const e of doc.edges) assert.ok(pos[e.target].y > pos[e.source].y, `${e.source} -> ${e.target}`);
});

test('resnet18 with its blocks collapsed: the 16 canvas nodes do not overlap; each block keeps its inside', async () => {
  const doc = withRecognizedBlocks(resnet18Doc());
  const view = visibleGraph(doc);
  const visible = [...new Set(view.visibleId.values())];
  const sizes = new Map(visible.map((id) => [id, size(id)]));
  const pos = await autoLayout(doc, sizes);
  const after = moved(doc, pos);
  const rects = visible.map((id) => {
    const b = doc.blocks!.find((x) => blockNodeId(x.id) === id);
    const p = b ? blockBox(after, b) : pos[id];
    return { id, x: p.x, y: p.y, w: sizes.get(id)!.width, h: sizes.get(id)!.height };
  });
  assert.equal(rects.length, 16);
  assert.deepEqual(overlaps(rects), []);
  // Inside a block the layers keep their places relative to each other.
  for (const b of doc.blocks!) {
    const [first, ...rest] = b.nodes;
    const d = (n: NetworkDocument, id: string) => {
      const a = n.nodes.find((x) => x.id === id)!.position;
      const o = n.nodes.find((x) => x.id === first)!.position;
      return [a.x - o.x, a.y - o.y];
    };
    for (const id of rest) assert.deepEqual(d(after, id), d(doc, id), `${b.name}: ${id}`);
  }
  // Blocks follow each other down the page.
  const ys = doc.blocks!.map((b) => blockBox(after, b).y);
  assert.deepEqual([...ys].sort((a, b) => a - b), ys);
});
