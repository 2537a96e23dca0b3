// Every layer kind, grouped by category, with search and help text. Drag onto the canvas or double-click.
import { useMemo, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Category, LayerDef } from '../../engine/graph/layer.ts';
import { LAYERS } from '../../engine/graph/registry.ts';

const ORDER: Category[] = ['input', 'convolution', 'pooling', 'activation', 'dense', 'regularization', 'merge', 'output'];

interface Props {
  onAdd(type: string): void;
  /** A layer dropped on the canvas at this screen point. */
  onDrop(type: string, at: { x: number; y: number }): void;
  searchRef: React.RefObject<HTMLInputElement | null>;
}

export function Palette({ onAdd, onDrop, searchRef }: Props) {
  const { t, i18n } = useTranslation();
  const label = (l: LayerDef) => t(`layer.${l.type}.label`, { defaultValue: l.label });
  const help = (l: LayerDef) => t(`layer.${l.type}.help`, { defaultValue: l.help });
  const [q, setQ] = useState('');
  const [hover, setHover] = useState<LayerDef | null>(null);
  const [ghost, setGhost] = useState<{ label: string; x: number; y: number } | null>(null);

  // Pointer-driven drag (not HTML5 drag and drop): the same for mouse, pen and touch, and a
  // layer follows the pointer until it is released over the canvas.
  const startDrag = (l: LayerDef, e: ReactPointerEvent) => {
    if (e.button !== 0) return;
    const x0 = e.clientX;
    const y0 = e.clientY;
    let moving = false;
    const move = (ev: PointerEvent) => {
      if (!moving && Math.hypot(ev.clientX - x0, ev.clientY - y0) < 4) return;
      moving = true;
      setGhost({ label: label(l), x: ev.clientX, y: ev.clientY });
    };
    const up = (ev: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
      setGhost(null);
      if (moving && ev.type === 'pointerup' && document.elementFromPoint(ev.clientX, ev.clientY)?.closest('.canvas')) onDrop(l.type, { x: ev.clientX, y: ev.clientY });
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    window.addEventListener('pointercancel', up);
  };
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    // The English names match in every language (tutorials say "Conv2D"), and so do the shown ones.
    const hit = (l: LayerDef) => !needle || [l.type, l.label, l.category, l.help, label(l), help(l), t(`category.${l.category}`)].some((s) => s.toLowerCase().includes(needle));
    return ORDER.map((c) => ({ category: c, layers: LAYERS.filter((l) => l.category === c && hit(l)) })).filter((g) => g.layers.length);
  }, [q, i18n.language]);
  return (
    <aside className="palette" aria-label={t('palette.aria')}>
      <input
        ref={searchRef}
        className="palette-search"
        type="search"
        placeholder={t('palette.search')}
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && groups[0]) onAdd(groups[0].layers[0].type);
          if (e.key === 'Escape') (setQ(''), e.currentTarget.blur());
        }}
      />
      <div className="palette-groups">
        {groups.map((g) => (
          <section key={g.category}>
            <h3>{t(`category.${g.category}`)}</h3>
            {g.layers.map((l) => (
              <div
                key={l.type}
                className={`palette-item cat-${l.category}`}
                data-layer={l.type}
                title={help(l)}
                onPointerDown={(e) => startDrag(l, e)}
                onDoubleClick={() => onAdd(l.type)}
                onMouseEnter={() => setHover(l)}
                onMouseLeave={() => setHover(null)}
              >
                {label(l)}
              </div>
            ))}
          </section>
        ))}
        {!groups.length && <p className="muted">{t('palette.noMatch', { q })}</p>}
      </div>
      {ghost && (
        <div className="palette-ghost" style={{ left: ghost.x, top: ghost.y }}>
          {ghost.label}
        </div>
      )}
      <div className="palette-help">{hover ? <><b>{label(hover)}</b> {help(hover)}</> : <span className="muted">{t('palette.hint')}</span>}</div>
    </aside>
  );
}
