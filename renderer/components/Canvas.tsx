// The graph canvas: React Flow showing the document. Nodes and edges are derived from the
// document and its analysis; drags stay local until they end, then become one store edit.
import { useTranslation } from 'react-i18next';
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useConnection,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
} from '@xyflow/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { nodeParams, type DocNode } from '../../engine/graph/document.ts';
import type { Analysis } from '../../engine/graph/infer.ts';
import { fmtShape, type Problem } from '../../engine/graph/layer.ts';
import { layerDef } from '../../engine/graph/registry.ts';
import type { SummaryPart } from '../../engine/graph/summary.ts';
import { problemText } from '../i18n/problems.ts';
import type { EditorState } from '../store/editor-store.ts';
import { blockIdOf, visibleGraph } from '../store/block-view.ts';
import { BlockFrame, BlockNode, blockFlowNodes, type BlockFlowNode, type FrameFlowNode } from './BlockNode.tsx';
import { useEditor } from './context.ts';
import { LayerNode, type LayerData, type LayerFlowNode } from './LayerNode.tsx';

const nodeTypes = { layer: LayerNode, block: BlockNode, blockFrame: BlockFrame };

/** A layer, a collapsed block, or the frame behind an expanded block. */
type CanvasNode = LayerFlowNode | BlockFlowNode | FrameFlowNode;

const portOf = (handle: string | null | undefined): number => (handle?.startsWith('in-') ? Number(handle.slice(3)) : 0);

/** One problem per node: errors before warnings, the one with a fix first. */
function problemsByNode(a: Analysis): Map<string, Problem> {
  const m = new Map<string, Problem>();
  const rank = (p: Problem) => (p.severity === 'warning' ? 2 : 0) + (p.fix ? 0 : 1);
  for (const p of a.problems) {
    if (!p.nodeId) continue;
    const old = m.get(p.nodeId);
    if (!old || rank(p) < rank(old)) m.set(p.nodeId, p);
  }
  return m;
}

function layerData(n: DocNode, a: Analysis, problem: Problem | undefined, params: Map<string, number>): LayerData {
  const def = layerDef(n.type);
  const p = nodeParams(n);
  let ports = 0;
  let summary: SummaryPart[] = [];
  try {
    ports = def ? def.inputs(p) : 0;
    summary = def ? def.summary(p) : [];
  } catch {
    // params broken: the badge says why
  }
  if (!Number.isInteger(ports) || ports < 0 || ports > 8) ports = 1;
  const srcs = a.inputsOf.get(n.id) ?? [];
  return {
    type: n.type,
    title: n.label ?? n.id,
    category: def?.category ?? 'unknown',
    summary,
    params: params.get(n.id) ?? null,
    inShapes: Array.from({ length: ports }, (_, i) => (srcs[i] ? a.shapes.get(srcs[i]!) : undefined)),
    outShape: a.shapes.get(n.id),
    hasOutput: n.type !== 'Output',
    ...(def ? {} : { unknown: true }),
    problem,
    ...(n.frozen ? { frozen: true } : {}),
  };
}

/**
 * The smallest zoom a fit goes to: node text (11 px) stays at least about 8 px on screen. A larger
 * network is shown from its top at this zoom; the rest is a scroll away.
 */
export const READABLE_ZOOM = 0.75;
const FIT_PADDING = 0.12;

/** While a wire is dragged over a port it cannot go to: the reason, in the status bar. */
function WireHint() {
  const { store, setWireHint } = useEditor();
  const { t, i18n } = useTranslation();
  // A string (compared by value): the engine's problem in the UI's language.
  const why = useConnection((c) => {
    if (!c.inProgress || !c.toNode || !c.toHandle || c.isValid !== false || c.toHandle.type === c.fromHandle.type) return null;
    const fromSource = c.fromHandle.type === 'source';
    const [src, dst, handle] = fromSource ? [c.fromNode.id, c.toNode.id, c.toHandle.id] : [c.toNode.id, c.fromNode.id, c.fromHandle.id];
    const p = store.connectionProblem(src, dst, portOf(handle));
    return p ? problemText(t, i18n, p) : null;
  });
  useEffect(() => setWireHint?.(why), [why, setWireHint]);
  useEffect(() => () => setWireHint?.(null), [setWireHint]);
  return null;
}

export function Canvas({ state, analysis, fitRequest }: { state: EditorState; analysis: Analysis; fitRequest: number }) {
  const { store, notify, clearError } = useEditor();
  const { t, i18n } = useTranslation();
  const box = useRef<HTMLDivElement>(null);
  const flow = useReactFlow();
  const initialized = useNodesInitialized();
  const fitted = useRef(0);
  const [nodes, setNodes] = useState<CanvasNode[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  // Reuse a flow node object while nothing it shows has changed, so React Flow skips it.
  const cache = useRef(new Map<string, { doc: DocNode; key: string; selected: boolean; node: LayerFlowNode }>());

  useEffect(() => {
    const problems = problemsByNode(analysis);
    const params = new Map(analysis.rows.map((r) => [r.nodeId, r.params]));
    const sel = new Set(state.selection.nodes);
    const view = visibleGraph(state.doc);
    setNodes((prev) => {
      const measured = new Map(prev.map((n) => [n.id, n.measured]));
      const next: CanvasNode[] = [];
      const seen = new Map<string, { doc: DocNode; key: string; selected: boolean; node: LayerFlowNode }>();
      for (const n of state.doc.nodes) {
        if (view.visibleId.get(n.id) !== n.id) continue; // inside a collapsed block
        const data = layerData(n, analysis, problems.get(n.id), params);
        const key = JSON.stringify(data);
        const old = cache.current.get(n.id);
        const selected = sel.has(n.id);
        const node: LayerFlowNode =
          old && old.doc === n && old.key === key && old.selected === selected
            ? old.node
            : { id: n.id, type: 'layer', position: n.position, data, selected, measured: measured.get(n.id) ?? old?.node.measured };
        seen.set(n.id, { doc: n, key, selected, node });
        next.push(node);
      }
      cache.current = seen;
      // Blocks and frames: the previous object while nothing it shows changed, so React Flow skips it.
      const old = new Map(prev.map((n) => [n.id, n]));
      const same = (x: CanvasNode, y: CanvasNode | undefined) => !!y && JSON.stringify([x.position, x.data, x.selected, x.style]) === JSON.stringify([y.position, y.data, y.selected, y.style]);
      for (const n of blockFlowNodes(state.doc, analysis, problems, sel, measured)) next.push(same(n, old.get(n.id)) ? old.get(n.id)! : n);
      return next;
    });
    const esel = new Set(state.selection.edges);
    const bad = new Set(analysis.problems.filter((p) => p.edgeId).map((p) => p.edgeId));
    setEdges((prevEdges) => {
      // Unchanged edges keep their objects, so React Flow redraws only what changed.
      const old = new Map(prevEdges.map((e) => [e.id, e]));
      const keep = (e: Edge): Edge => {
        const o = old.get(e.id);
        return o && o.source === e.source && o.target === e.target && o.targetHandle === e.targetHandle && o.label === e.label && !!o.selected === !!e.selected && o.className === e.className ? o : e;
      };
      return view.edges.map(({ edge: e, source, target, intoBlock }) => {
        const shape = analysis.edgeShapes.get(e.id);
        return {
          id: e.id,
          source,
          target,
          sourceHandle: 'out',
          targetHandle: intoBlock ? 'in' : `in-${e.targetPort}`,
          label: shape ? fmtShape(shape) : undefined,
          selected: esel.has(e.id),
          className: bad.has(e.id) ? 'edge-bad' : shape ? 'edge-ok' : 'edge-unknown',
          labelBgPadding: [4, 2] as [number, number],
          labelBgBorderRadius: 3,
        };
      }).map(keep);
    });
  }, [state.doc, state.selection, analysis]);

  useEffect(() => {
    if (fitRequest !== fitted.current && (initialized || !nodes.length)) {
      fitted.current = fitRequest;
      const ns = flow.getNodes();
      const el = box.current;
      if (!ns.length || !el) return void flow.fitView({ padding: FIT_PADDING, maxZoom: 1, duration: 150 });
      const b = flow.getNodesBounds(ns);
      const w = el.clientWidth;
      const h = el.clientHeight;
      const fitZoom = Math.min(w / (b.width * (1 + 2 * FIT_PADDING)), h / (b.height * (1 + 2 * FIT_PADDING)), 1);
      if (fitZoom >= READABLE_ZOOM) return void flow.fitView({ padding: FIT_PADDING, maxZoom: 1, duration: 150 });
      // Too big to fit readably: readable zoom, the top of the network in view, centred when it is narrow enough.
      const z = READABLE_ZOOM;
      const pad = 24;
      const x = b.width * z + 2 * pad <= w ? w / 2 - (b.x + b.width / 2) * z : pad - b.x * z;
      void flow.setViewport({ x, y: pad - b.y * z, zoom: z }, { duration: 150 });
    }
  }, [fitRequest, initialized, nodes, flow]);

  // The selection comes from the user's own selection changes (click, Ctrl+click, Shift-drag, pane
  // click), never from onSelectionChange: that one also echoes the selection this component passes
  // in, one render late, and the echo fought the store into an endless update loop (React #185)
  // when the canvas mounted with a selection (back from the Train view).
  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      // Deletion goes through the store (Delete key handler), never through React Flow.
      setNodes((ns) => applyNodeChanges(changes.filter((c) => c.type !== 'remove'), ns));
      const sel = changes.filter((c) => c.type === 'select');
      if (sel.length) {
        const cur = store.getState().selection;
        const ids = new Set(cur.nodes);
        for (const c of sel) {
          // A collapsed block stands for all of its layers; an expanded block's frame for none.
          const block = blockIdOf(c.id);
          const members = block ? (store.doc.blocks?.find((b) => b.id === block)?.nodes ?? []) : [c.id];
          for (const id of members) c.selected ? ids.add(id) : ids.delete(id);
        }
        store.select({ nodes: store.doc.nodes.filter((n) => ids.has(n.id)).map((n) => n.id), edges: cur.edges });
      }
    },
    [store],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      setEdges((es) => applyEdgeChanges(changes.filter((c) => c.type !== 'remove'), es));
      const sel = changes.filter((c) => c.type === 'select');
      if (sel.length) {
        const cur = store.getState().selection;
        const ids = new Set(cur.edges);
        for (const c of sel) c.selected ? ids.add(c.id) : ids.delete(c.id);
        store.select({ nodes: cur.nodes, edges: store.doc.edges.filter((e) => ids.has(e.id)).map((e) => e.id) });
      }
    },
    [store],
  );

  const isValidConnection = useCallback((c: Connection | Edge) => store.connectionProblem(c.source, c.target, portOf(c.targetHandle)) === null, [store]);
  const onConnect = useCallback(
    (c: Connection) => {
      const r = store.connect(c.source, c.target, portOf(c.targetHandle));
      if ('refused' in r) notify(t('status.notConnected', { why: problemText(t, i18n, r.problem) }), 'error');
      else clearError?.();
    },
    [store, notify, clearError, t, i18n],
  );
  const onConnectEnd = useCallback(
    (_e: MouseEvent | TouchEvent, s: FinalConnectionState) => {
      if (!s.isValid && s.fromNode && s.toNode && s.toHandle?.type === 'target') {
        const why = store.connectionProblem(s.fromNode.id, s.toNode.id, portOf(s.toHandle.id));
        if (why) notify(t('status.notConnected', { why: problemText(t, i18n, why) }), 'error');
      }
    },
    [store, notify, t, i18n],
  );

  const onNodeDragStop = useCallback(
    (_e: unknown, _n: CanvasNode, dragged: CanvasNode[]) => {
      const moves: Record<string, { x: number; y: number }> = {};
      for (const n of dragged) {
        const b = blockIdOf(n.id) ? store.doc.blocks?.find((x) => x.id === blockIdOf(n.id)) : undefined;
        if (!b) {
          if (n.type === 'layer') moves[n.id] = n.position;
          continue;
        }
        // A collapsed block's layers move with it (it sits at their top-left corner).
        const members = store.doc.nodes.filter((m) => b.nodes.includes(m.id));
        const dx = n.position.x - Math.min(...members.map((m) => m.position.x));
        const dy = n.position.y - Math.min(...members.map((m) => m.position.y));
        for (const m of members) moves[m.id] = { x: m.position.x + dx, y: m.position.y + dy };
      }
      store.moveNodes(moves);
    },
    [store],
  );
  const onNodeDoubleClick = useCallback(
    (_e: unknown, n: CanvasNode) => {
      const id = blockIdOf(n.id);
      if (id) store.setBlockCollapsed(id, false);
    },
    [store],
  );

  return (
    <div className="canvas" ref={box}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStop={onNodeDragStop}
        onNodeDoubleClick={onNodeDoubleClick}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        selectionKeyCode="Shift"
        connectionRadius={28}
        minZoom={0.05}
        maxZoom={2}
        defaultEdgeOptions={{ type: 'default' }}
        panOnScroll
      >
        <WireHint />
        <Background gap={20} size={1} />
        <Controls showInteractive={false} />
        <MiniMap pannable zoomable nodeStrokeWidth={3} nodeColor={(n) => (n.type === 'blockFrame' ? 'transparent' : (n.data as LayerData).problem?.severity === 'warning' ? '#d9a400' : (n.data as LayerData).problem ? '#d33' : '#7a8ca3')} />
      </ReactFlow>
      {state.doc.nodes.length === 0 && (
        <div className="canvas-empty">
          <p>{t('canvas.emptyDrag')}</p>
          <p>{t('canvas.emptyStart')}</p>
        </div>
      )}
    </div>
  );
}
