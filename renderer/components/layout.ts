// Auto-layout with elkjs (layered, top to bottom). elkjs is 1.6 MB: loaded on first use only.
import type { NetworkDocument } from '../../engine/graph/document.ts';

export async function autoLayout(doc: NetworkDocument, sizes: Map<string, { width: number; height: number }>): Promise<Record<string, { x: number; y: number }>> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
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
    children: doc.nodes.map((n) => ({ id: n.id, width: sizes.get(n.id)?.width ?? 200, height: sizes.get(n.id)?.height ?? 60 })),
    edges: doc.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  });
  return Object.fromEntries((graph.children ?? []).map((c) => [c.id, { x: (c.x ?? 0) + 40, y: (c.y ?? 0) + 40 }]));
}
