// How blocks (docs/format.md, "Blocks") appear on the canvas: a collapsed block is one node,
// `block:<id>`, at the top-left corner of its members' positions; edges into or out of any of
// its members go to that node, and edges between its members are not drawn. Pure TypeScript,
// shared by the canvas, the auto-layout and the store.
import type { DocBlock, DocEdge, NetworkDocument } from '../../engine/graph/document.ts';
export { BLOCK_HEIGHT, LAYER_HEIGHT, blockBox, downstream, expandedExtra } from '../../engine/graph/blocks.ts';

export const BLOCK_PREFIX = 'block:';
export const blockNodeId = (blockId: string) => `${BLOCK_PREFIX}${blockId}`;
export const blockIdOf = (flowId: string): string | null => (flowId.startsWith(BLOCK_PREFIX) ? flowId.slice(BLOCK_PREFIX.length) : null);

type Doc = Pick<NetworkDocument, 'nodes' | 'edges' | 'blocks'>;

/** The block each node belongs to. */
export function blockOfNode(doc: Doc): Map<string, DocBlock> {
  const m = new Map<string, DocBlock>();
  for (const b of doc.blocks ?? []) for (const id of b.nodes) m.set(id, b);
  return m;
}

export interface VisibleEdge {
  /** The document edge drawn (the first one when several merge). */
  edge: DocEdge;
  source: string;
  target: string;
  /** True when the target is a collapsed block (its single input handle). */
  intoBlock: boolean;
  fromBlock: boolean;
}

/**
 * The graph as drawn: each node's visible id (its own, or its collapsed block's) and the edges
 * between visible nodes. Edges from one node into the same collapsed block merge into one.
 */
export function visibleGraph(doc: Doc): { visibleId: Map<string, string>; edges: VisibleEdge[]; collapsed: DocBlock[] } {
  const visibleId = new Map<string, string>();
  const collapsed = (doc.blocks ?? []).filter((b) => b.collapsed);
  for (const n of doc.nodes) visibleId.set(n.id, n.id);
  for (const b of collapsed) for (const id of b.nodes) visibleId.set(id, blockNodeId(b.id));
  const edges: VisibleEdge[] = [];
  const seen = new Set<string>();
  for (const e of doc.edges) {
    const source = visibleId.get(e.source);
    const target = visibleId.get(e.target);
    if (!source || !target || source === target) continue;
    const intoBlock = target !== e.target;
    const fromBlock = source !== e.source;
    // Several wires from one layer into a collapsed block (a residual block's input feeds its
    // first conv and its Add) are one edge on the canvas.
    const key = intoBlock ? `${e.source}>${target}` : e.id;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ edge: e, source, target, intoBlock, fromBlock });
  }
  return { visibleId, edges, collapsed };
}
