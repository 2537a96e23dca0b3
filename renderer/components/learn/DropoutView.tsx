// Dropout: some of the layer's real inputs, a drawn mask, what training sees and what inference sees.
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { fmt } from './draw.ts';

export function DropoutView({ v }: { v: Extract<LearnView, { kind: 'dropout' }> }) {
  const { t } = useTranslation('learn');
  const rows: [string, number[]][] = [[t('dropout.input'), v.inputs], [t('dropout.mask'), v.mask], [t('dropout.train'), v.training], [t('dropout.infer'), v.inference]];
  return (
    <div data-testid="learn-dropout">
      <p>{t('dropout.line', { rate: v.rate, keep: v.rate < 1 ? 1 / (1 - v.rate) : 0 })}</p>
      <table className="learn-table learn-wide">
        <tbody>
          {rows.map(([name, vals]) => (
            <tr key={name}><th>{name}</th>{vals.slice(0, 8).map((x, k) => <td key={k} className={v.mask[k] === 0 && name !== t('dropout.input') && name !== t('dropout.infer') ? 'learn-dropped' : ''}>{fmt(x)}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
