// Dense: one unit's inputs, weights and bias, its output, and the output without the bias.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { unitOutput } from '../../../engine/graph/learn-math.ts';
import { diverging, fmt } from './draw.ts';

type Dense = Extract<LearnView, { kind: 'dense' }>;
const SHOWN = 12;

export function DenseUnit({ v, onUnit }: { v: Dense; onUnit(u: number): void }) {
  const { t } = useTranslation('learn');
  const [noBias, setNoBias] = useState(false);
  const withBias = unitOutput(v.inputs, v.weights, v.bias);
  const without = unitOutput(v.inputs, v.weights, null);
  const terms = v.inputs.map((x, k) => ({ k, x, w: v.weights[k], p: x * v.weights[k] })).sort((a, b) => Math.abs(b.p) - Math.abs(a.p));
  const pMax = Math.max(...terms.map((r) => Math.abs(r.p)), 1e-12);
  return (
    <div className="learn-dense" data-testid="learn-dense">
      <div className="learn-row">
        <label>
          {t('dense.unit')}{' '}
          <select aria-label={t('dense.unit')} value={v.unit} onChange={(e) => onUnit(Number(e.target.value))}>
            {Array.from({ length: v.units }, (_, u) => <option key={u} value={u}>{u}</option>)}
          </select>
        </label>
        {v.bias != null && (
          <label>
            <input type="checkbox" checked={noBias} onChange={(e) => setNoBias(e.target.checked)} data-testid="learn-nobias" /> {t('dense.toggle')}
          </label>
        )}
      </div>
      <p className="muted">{t('dense.inputs', { n: v.inputs.length })}</p>
      <table className="learn-table">
        <tbody>
          {terms.slice(0, SHOWN).map((r) => (
            <tr key={r.k}>
              <td className="muted">x{r.k}</td>
              <td>{fmt(r.x)}</td>
              <td>× {fmt(r.w)}</td>
              <td>=</td>
              <td><span className="learn-bar" style={{ width: `${(Math.abs(r.p) / pMax) * 80}px`, background: diverging(r.p, pMax) }} /> {fmt(r.p)}</td>
            </tr>
          ))}
          {terms.length > SHOWN && <tr><td colSpan={5} className="muted">… +{terms.length - SHOWN}</td></tr>}
        </tbody>
      </table>
      {v.bias == null ? <p className="muted">{t('dense.noBias')}</p> : null}
      <p className={`learn-sum ${noBias ? 'muted' : ''}`} data-testid="learn-dense-sum" data-value={withBias}>{t('dense.withBias', { bias: fmt(v.bias ?? 0), value: fmt(withBias) })}</p>
      {noBias && <p className="learn-sum" data-testid="learn-dense-nobias" data-value={without}>{t('dense.withoutBias', { value: fmt(without) })}</p>}
      <p className="learn-engine" data-value={v.output}>{t('dense.engine', { value: fmt(v.output) })}</p>
    </div>
  );
}
