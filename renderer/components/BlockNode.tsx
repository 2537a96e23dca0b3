// A block on the canvas (docs/format.md, "Blocks"). Collapsed: one node with the block's name,
// how many layers it holds, its parameter count and the shapes going in and out; double-click
// or ⤢ expands it. Expanded: a frame behind its layers with the name and a button to collapse.
// The pure part (which flow nodes, where, with what) is blockFlowNodes, below.
import { useTranslation } from 'react-i18next';
import { problemText } from '../i18n/problems.ts';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { DocBlock, NetworkDocument } from '../../engine/graph/document.ts';
import type { Analysis } from '../../engine/graph/infer.ts';
import { type Problem, type Shape } from '../../engine/graph/layer.ts';
import { blockBox, blockNodeId } from '../store/block-view.ts';
import { useEditor } from './context.ts';
import { count } from './format.ts';

export interface BlockData extends Record<string, unknown> {
  blockId: string;
  name: string;
  layers: number;
  /** Layer kinds inside, in order, for the tooltip and the one-line summary. */
  kinds: string[];
  params: number;
  inShapes: Shape[];
  outShapes: Shape[];
  hasInput: boolean;
  hasOutput: boolean;
  /** The first problem of a layer inside, and how many there are. */
  problem?: Problem;
  problems: number;
}

export interface FrameData extends Record<string, unknown> {
  blockId: string;
  name: string;
}

export type BlockFlowNode = Node<BlockData, 'block'>;
export type FrameFlowNode = Node<FrameData, 'blockFrame'>;

const kind = (s?: Shape) => (!s ? 'unknown' : s.length === 3 ? 'image' : 'vector');
/** Shapes without the batch axis, compact: 64×56×56. */
const shapes = (xs: Shape[]) => (xs.length ? xs.map((s) => s.join('×')).join(', ') : '?');

const SHORT: Record<string, string> = { Conv2D: 'Conv', BatchNorm: 'BN', GlobalAvgPool: 'GAP', MaxPool2D: 'MaxPool', AvgPool2D: 'AvgPool' };

/** "Conv ×3, BN ×3, ReLU ×2, Add": the kinds inside, first appearance order. */
function kindsLine(kinds: string[]): string {
  const n = new Map<string, number>();
  for (const k of kinds.map((x) => SHORT[x] ?? x)) n.set(k, (n.get(k) ?? 0) + 1);
  return [...n].map(([k, c]) => (c > 1 ? `${k} ×${c}` : k)).join(', ');
}

function BlockNodeView({ data, selected }: NodeProps<BlockFlowNode>) {
  const { store } = useEditor();
  const { t, i18n } = useTranslation();
  const p = data.problem;
  const level = p ? (p.severity === 'warning' ? 'warning' : 'error') : '';
  return (
    <div className={`block-node${p ? ` has-${level}` : ''}${selected ? ' selected' : ''}`} data-testid={`block-${data.name}`} title={t('block.title', { name: data.name, layers: data.layers, kinds: kindsLine(data.kinds) })}>
      {data.hasInput && <Handle type="target" position={Position.Top} id="in" className={`port port-${kind(data.inShapes[0])}`} isConnectable={false} title={t('block.input', { shapes: shapes(data.inShapes) })} />}
      <div className="block-head">
        <span className="block-icon" aria-hidden>▣</span>
        <span className="block-name">{data.name}</span>
        {data.params > 0 && <span className="layer-params" title={t('node.trainable')}>{t('node.paramsShort', { n: count(data.params) })}</span>}
        <button className="nodrag block-toggle" title={t('block.expandTitle')} aria-label={t('block.expandAria', { name: data.name })} onClick={(e) => (e.stopPropagation(), store.setBlockCollapsed(data.blockId, false))}>
          ⤢
        </button>
      </div>
      <div className="block-kinds">
        {t('block.kindsLine', { layers: data.layers, kinds: kindsLine(data.kinds) })}
      </div>
      <div className="block-shapes">
        {shapes(data.inShapes)} → {shapes(data.outShapes)}
      </div>
      {p && (
        <div className={`badge badge-${level}`} role="alert">
          <span className="badge-icon">{level === 'warning' ? '!' : '✕'}</span>
          <span className="badge-text">{data.problems > 1 ? t('block.problemsInside', { count: data.problems }) : t('block.inside')}{problemText(t, i18n, p)}</span>
        </div>
      )}
      {data.hasOutput && <Handle type="source" position={Position.Bottom} id="out" className={`port port-${kind(data.outShapes[0])}`} isConnectable={false} title={t('block.output', { shapes: shapes(data.outShapes) })} />}
    </div>
  );
}

function FrameView({ data }: NodeProps<FrameFlowNode>) {
  const { store } = useEditor();
  const { t } = useTranslation();
  return (
    <div className="block-frame" data-testid={`frame-${data.name}`}>
      <div className="block-frame-head">
        <span className="block-name">{data.name}</span>
        <button className="nodrag block-toggle" title={t('block.collapseTitle')} aria-label={t('block.collapseAria', { name: data.name })} onClick={(e) => (e.stopPropagation(), store.setBlockCollapsed(data.blockId, true))}>
          {t('block.collapse')}
        </button>
      </div>
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
export const BlockFrame = memo(FrameView);

/** Padding of an expanded block's frame around its layers (px); its head is a tab on the right, clear of the edges. */
const FRAME_PAD = 12;
const FRAME_HEAD = 0;

/**
 * The canvas nodes of the document's blocks: one node per collapsed block (at its layers' top
 * left corner) and a frame behind each expanded one, sized from the layers' measured sizes.
 */
export function blockFlowNodes(
  doc: NetworkDocument,
  analysis: Analysis,
  problems: Map<string, Problem>,
  selected: Set<string>,
  measured: Map<string, { width?: number; height?: number } | undefined>,
): (BlockFlowNode | FrameFlowNode)[] {
  const out: (BlockFlowNode | FrameFlowNode)[] = [];
  const params = new Map(analysis.rows.map((r) => [r.nodeId, r.params]));
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  for (const b of doc.blocks ?? []) {
    const box = blockBox(doc, b);
    if (!b.collapsed) {
      let maxX = -Infinity;
      let maxY = -Infinity;
      for (const id of b.nodes) {
        const n = byId.get(id);
        if (!n) continue;
        const m = measured.get(id);
        maxX = Math.max(maxX, n.position.x + (m?.width ?? 180));
        maxY = Math.max(maxY, n.position.y + (m?.height ?? 60));
      }
      out.push({
        id: `frame:${b.id}`,
        type: 'blockFrame',
        position: { x: box.x - FRAME_PAD, y: box.y - FRAME_PAD - FRAME_HEAD },
        data: { blockId: b.id, name: b.name },
        style: { width: maxX - box.x + 2 * FRAME_PAD, height: maxY - box.y + 2 * FRAME_PAD + FRAME_HEAD },
        selectable: false,
        draggable: false,
        focusable: false,
        zIndex: -1,
      });
      continue;
    }
    out.push({
      id: blockNodeId(b.id),
      type: 'block',
      position: { x: box.x, y: box.y },
      data: blockData(doc, b, analysis, problems, params),
      selected: b.nodes.every((id) => selected.has(id)),
      measured: measured.get(blockNodeId(b.id)),
    });
  }
  return out;
}

function blockData(doc: NetworkDocument, b: DocBlock, a: Analysis, problems: Map<string, Problem>, params: Map<string, number>): BlockData {
  const set = new Set(b.nodes);
  const ins: Shape[] = [];
  const outs: Shape[] = [];
  const seenIn = new Set<string>();
  const seenOut = new Set<string>();
  let hasInput = false;
  let hasOutput = false;
  for (const e of doc.edges) {
    if (set.has(e.target) && !set.has(e.source)) {
      hasInput = true;
      const s = a.shapes.get(e.source);
      if (s && !seenIn.has(e.source)) (seenIn.add(e.source), ins.push(s));
    }
    if (set.has(e.source) && !set.has(e.target)) {
      hasOutput = true;
      const s = a.shapes.get(e.source);
      if (s && !seenOut.has(e.source)) (seenOut.add(e.source), outs.push(s));
    }
  }
  const types = new Map(doc.nodes.map((n) => [n.id, n.type]));
  const kinds = b.nodes.map((id) => types.get(id) ?? '?');
  // A block ending the graph still offers its output port (unless it holds the Output head).
  if (!hasOutput && !kinds.includes('Output')) hasOutput = true;
  if (!hasInput && !kinds.includes('Input')) hasInput = true;
  const inner = b.nodes.map((id) => problems.get(id)).filter((p): p is Problem => !!p);
  const first = inner.find((p) => p.severity !== 'warning') ?? inner[0];
  return {
    blockId: b.id,
    name: b.name,
    layers: b.nodes.length,
    kinds,
    params: b.nodes.reduce((s, id) => s + (params.get(id) ?? 0), 0),
    inShapes: ins,
    outShapes: outs,
    hasInput,
    hasOutput,
    problem: first,
    problems: inner.length,
  };
}
