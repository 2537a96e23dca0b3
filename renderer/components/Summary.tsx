// The model summary, like Keras' model.summary(): per layer output shape, params, FLOPs, activations.
import { numel } from '../../engine/graph/layer.ts';
import { useTranslation } from 'react-i18next';
import type { Analysis } from '../../engine/graph/infer.ts';
import { fmtShape } from '../../engine/graph/layer.ts';
import { bytes, count, short } from './format.ts';


export function Summary({ analysis, onSelect }: { analysis: Analysis; onSelect(id: string): void }) {
  const act = analysis.rows.reduce((a, r) => a + (r.shape ? numel(r.shape) : 0), 0);
  const { t } = useTranslation();
  return (
    <div className="summary">
      <table>
        <thead>
          <tr>
            <th>{t('summary.layer')}</th>
            <th>{t('summary.type')}</th>
            <th>{t('summary.outputShape')}</th>
            <th className="num">{t('summary.params')}</th>
            <th className="num">{t('summary.flops')}</th>
            <th className="num">{t('summary.activations')}</th>
          </tr>
        </thead>
        <tbody>
          {analysis.rows.map((r) => (
            <tr key={r.nodeId} onClick={() => onSelect(r.nodeId)}>
              <td>{r.name}</td>
              <td>{r.type}</td>
              <td>{r.shape ? fmtShape(r.shape) : '?'}</td>
              <td className="num">{count(r.params)}</td>
              <td className="num">{short(r.flops)}</td>
              <td className="num">{r.shape ? bytes(numel(r.shape) * 4) : ''}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={3}>
              {t('summary.total')}{analysis.ok ? '' : t('summary.notCounted')}{t('summary.weights', { size: bytes(analysis.totals.params * 4) })}
            </td>
            <td className="num" data-testid="total-params">{count(analysis.totals.params)}</td>
            <td className="num">{short(analysis.totals.flops)}</td>
            <td className="num">{t('summary.perSample', { size: bytes(act * 4) })}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
