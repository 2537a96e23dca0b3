// One layer on the canvas: kind, key params, parameter count, typed ports and its problem badge.
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { fmtShape, type Problem, type Shape } from '../../engine/graph/layer.ts';
import { useEditor } from './context.ts';
import { count } from './format.ts';

export interface LayerData extends Record<string, unknown> {
  type: string;
  title: string;
  category: string;
  summary: string;
  params: number | null;
  /** Shapes arriving at each input port (undefined when unknown or unconnected). */
  inShapes: (Shape | undefined)[];
  outShape?: Shape;
  hasOutput: boolean;
  problem?: Problem;
  /** Frozen for fine-tuning (nodes[].frozen). */
  frozen?: boolean;
}

export type LayerFlowNode = Node<LayerData, 'layer'>;

const kind = (s?: Shape) => (!s ? 'unknown' : s.length === 3 ? 'image' : 'vector');

export function fixLabel(p: Problem): string {
  if (!p.fix) return '';
  return p.fix.kind === 'insert-before' ? `Insert ${p.fix.layer}` : `Set ${p.fix.param} to ${String(p.fix.value)}`;
}

function LayerNodeView({ data, selected }: NodeProps<LayerFlowNode>) {
  const { store } = useEditor();
  const n = data.inShapes.length;
  const p = data.problem;
  const level = p ? (p.severity === 'warning' ? 'warning' : 'error') : '';
  return (
    <div className={`layer-node cat-${data.category}${p ? ` has-${level}` : ''}${selected ? ' selected' : ''}`} data-testid={`node-${data.title}`}>
      {data.inShapes.map((s, i) => (
        <Handle
          key={i}
          type="target"
          position={Position.Top}
          id={`in-${i}`}
          className={`port port-${kind(s)}`}
          style={{ left: `${((i + 1) / (n + 1)) * 100}%` }}
          title={`input ${i + 1}${s ? `: ${fmtShape(s)}` : ' (not connected)'}`}
        >
          {n > 1 && <span className="port-label">{i + 1}</span>}
        </Handle>
      ))}
      <div className="layer-head">
        <span className="layer-type">{data.type}</span>
        {data.title !== data.type && <span className="layer-name">{data.title}</span>}
        {data.params !== null && data.params > 0 && <span className="layer-params" title="trainable parameters">{count(data.params)} p</span>}
        {data.frozen && <span className="layer-frozen" title="frozen: its weights do not change while training">frozen</span>}
      </div>
      <div className="layer-summary">{data.summary}</div>
      {p && (
        <div className={`badge badge-${level}`} role="alert">
          <span className="badge-icon">{level === 'warning' ? '!' : '✕'}</span>
          <span className="badge-text">{p.message}</span>
          {p.fix && (
            <button className="nodrag fix" onClick={(e) => (e.stopPropagation(), store.applyFix(p))}>
              {fixLabel(p)}
            </button>
          )}
        </div>
      )}
      {data.hasOutput && <Handle type="source" position={Position.Bottom} id="out" className={`port port-${kind(data.outShape)}`} title={data.outShape ? `output: ${fmtShape(data.outShape)}` : 'output'} />}
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
