// Flatten: where a few positions of the image-shaped input land in the vector (same values).
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { fmt } from './draw.ts';

export function FlattenView({ v, inShape }: { v: Extract<LearnView, { kind: 'flatten' }>; inShape: number[] }) {
  const { t } = useTranslation('learn');
  return (
    <div data-testid="learn-flatten">
      <p>{t('flatten.line', { shape: `[${inShape.join(', ')}]`, n: v.length })}</p>
      <table className="learn-table">
        <tbody>
          {v.cells.map((c) => (
            <tr key={c.index}><td>{t('flatten.cell', c)}</td><td>{fmt(c.value)}</td><td>→ {fmt(c.out)}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
