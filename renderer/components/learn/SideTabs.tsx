// The right-hand panel's tabs: the inspector, or the Learn panel for the selected layer.
import { useTranslation } from 'react-i18next';

export function SideTabs({ side, onSide }: { side: 'inspector' | 'learn'; onSide(s: 'inspector' | 'learn'): void }) {
  const { t } = useTranslation('learn');
  return (
    <nav className="side-tabs" role="tablist">
      {(['inspector', 'learn'] as const).map((s) => (
        <button key={s} role="tab" aria-selected={side === s} className={side === s ? 'on' : ''} onClick={() => onSide(s)} data-testid={`side-${s}`}>
          {t(s === 'inspector' ? 'tabInspector' : 'tabLearn')}
        </button>
      ))}
    </nav>
  );
}
