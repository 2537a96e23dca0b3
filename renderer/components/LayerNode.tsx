// One layer on the canvas: kind, key params, parameter count, typed ports and its problem badge.
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { problemText } from '../i18n/problems.ts';
import { summaryLine } from '../i18n/summary.ts';
import type { SummaryPart } from '../../engine/graph/summary.ts';
import { fmtShape, type Problem, type Shape } from '../../engine/graph/layer.ts';
import { useEditor } from './context.ts';
import { count } from './format.ts';

export interface LayerData extends Record<string, unknown> {
  type: string;
  title: string;
  category: string;
  /** The summary line as parts, shown in the UI's language (i18n/summary.ts). */
  summary: SummaryPart[];
  /** Not a layer kind this version knows. */
  unknown?: boolean;
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

/** The fix button's text: in the UI's language with `t`, else English. */
export function fixLabel(p: Problem, t?: TFunction): string {
  if (!p.fix) return '';
  if (t) return p.fix.kind === 'insert-before' ? t('fix.insert', { layer: p.fix.layer }) : t('fix.set', { param: p.fix.param, value: String(p.fix.value) });
  return p.fix.kind === 'insert-before' ? `Insert ${p.fix.layer}` : `Set ${p.fix.param} to ${String(p.fix.value)}`;
}

function LayerNodeView({ data, selected }: NodeProps<LayerFlowNode>) {
  const { store } = useEditor();
  const { t, i18n } = useTranslation();
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
          title={s ? t('node.input', { n: i + 1, shape: fmtShape(s) }) : t('node.inputOpen', { n: i + 1 })}
        >
          {n > 1 && <span className="port-label">{i + 1}</span>}
        </Handle>
      ))}
      <div className="layer-head">
        <span className="layer-type">{data.type}</span>
        {data.title !== data.type && <span className="layer-name">{data.title}</span>}
        {data.params !== null && data.params > 0 && <span className="layer-params" title={t('node.trainable')}>{t('node.paramsShort', { n: count(data.params) })}</span>}
        {data.frozen && <span className="layer-frozen" title={t('node.frozenTitle')}>{t('node.frozen')}</span>}
      </div>
      <div className="layer-summary">{data.unknown ? t('node.unknown', { type: data.type }) : summaryLine(t, i18n, data.summary)}</div>
      {p && (
        <div className={`badge badge-${level}`} role="alert">
          <span className="badge-icon">{level === 'warning' ? '!' : '✕'}</span>
          <span className="badge-text">{problemText(t, i18n, p)}</span>
          {p.fix && (
            <button className="nodrag fix" onClick={(e) => (e.stopPropagation(), store.applyFix(p))}>
              {fixLabel(p, t)}
            </button>
          )}
        </div>
      )}
      {data.hasOutput && <Handle type="source" position={Position.Bottom} id="out" className={`port port-${kind(data.outShape)}`} title={data.outShape ? t('node.output', { shape: fmtShape(data.outShape) }) : t('node.outputPort')} />}
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
