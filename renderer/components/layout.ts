// Auto-layout with elkjs (layered, top to bottom). elkjs is 1.6 MB: loaded on first use only.
// A collapsed block is laid out as the one node it is on the canvas (`sizes` by canvas node id,
// block:<id> included); its layers move with it, keeping their arrangement inside.
import type { NetworkDocument } from '../../engine/graph/document.ts';
import { blockBox, blockNodeId, visibleGraph } from '../store/block-view.ts';

/** The part of elkjs' API used here (typed locally: the renderer and Node resolve its default export differently). */
interface Elk {
  layout(graph: object): Promise<{ children?: { id: string; x?: number; y?: number }[] }>;
}

export async function autoLayout(doc: NetworkDocument, sizes: Map<string, { width: number; height: number }>): Promise<Record<string, { x: number; y: number }>> {
  const ELK = (await import('elkjs/lib/elk.bundled.js')).default as unknown as new () => Elk;
  const elk = new ELK();
  const view = visibleGraph(doc);
  // In document order (ELK keeps it where it can), a collapsed block where its first layer is.
  const ids = [...new Set(doc.nodes.map((n) => view.visibleId.get(n.id)!))];
  const graph = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.spacing.nodeNode': '50',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: ids.map((id) => ({ id, width: sizes.get(id)?.width ?? 200, height: sizes.get(id)?.height ?? 60 })),
    edges: view.edges.map((e) => ({ id: e.edge.id, sources: [e.source], targets: [e.target] })),
  });
  const at = new Map((graph.children ?? []).map((c) => [c.id, { x: (c.x ?? 0) + 40, y: (c.y ?? 0) + 40 }]));
  const out: Record<string, { x: number; y: number }> = {};
  for (const n of doc.nodes) if (at.has(n.id)) out[n.id] = at.get(n.id)!;
  for (const b of view.collapsed) {
    const p = at.get(blockNodeId(b.id));
    if (!p) continue;
    const box = blockBox(doc, b);
    const set = new Set(b.nodes);
    for (const n of doc.nodes) if (set.has(n.id)) out[n.id] = { x: n.position.x - box.x + p.x, y: n.position.y - box.y + p.y };
  }
  return out;
}
