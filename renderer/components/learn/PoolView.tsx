// Pooling: a patch of the layer's real input and the block of outputs it gives, each window's max
// (or mean) marked; GlobalAvgPool: one channel and its mean.
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { fmt } from './draw.ts';

type Pool = Extract<LearnView, { kind: 'pool' }>;
type Gap = Extract<LearnView, { kind: 'gap' }>;
const WIN_COLORS = ['#fde2b8', '#cfe6ff', '#d6f2d2', '#f6d3ef'];

export function PoolView({ v }: { v: Pool }) {
  const { t } = useTranslation('learn');
  const [ph, pw] = v.patchSize;
  const [rows, cols] = v.outBlock;
  // Which window each cell belongs to (the first, where stride < size makes them overlap), and each window's max.
  const owner = new Array<number>(ph * pw).fill(-1);
  const winners = new Set<number>();
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    let best = -1;
    for (let y = 0; y < v.size; y++) for (let x = 0; x < v.size; x++) {
      const k = (i * v.stride + y) * pw + j * v.stride + x;
      if (owner[k] < 0) owner[k] = i * cols + j;
      const val = v.patch[k];
      if (val != null && (best < 0 || val > v.patch[best]!)) best = k;
    }
    if (best >= 0) winners.add(best);
  }
  return (
    <div className="learn-pool" data-testid="learn-pool">
      <p className="muted">{t('pool.patch', { h: ph, w: pw, c: v.channel, size: v.size, stride: v.stride })}</p>
      <div className="learn-mult">
        <div className="learn-cells" style={{ gridTemplateColumns: `repeat(${pw}, 44px)` }}>
          {v.patch.map((x, k) => (
            <span key={k} style={{ background: WIN_COLORS[owner[k] % 4] ?? '#eee' }} className={v.op === 'max' && winners.has(k) ? 'learn-win' : ''}>{x == null ? '·' : fmt(x)}</span>
          ))}
        </div>
        <span className="learn-op">→</span>
        <div className="learn-cells" style={{ gridTemplateColumns: `repeat(${cols}, 52px)` }} data-testid="learn-pool-out">
          {v.out.map((x, k) => <span key={k} style={{ background: WIN_COLORS[k % 4] }}>{fmt(x)}</span>)}
        </div>
      </div>
      <p className="muted">{t('pool.out', { op: t(v.op === 'max' ? 'pool.max' : 'pool.avg') })}</p>
    </div>
  );
}

export function GapView({ v }: { v: Gap }) {
  const { t } = useTranslation('learn');
  const mean = v.plane.reduce((a, b) => a + b, 0) / v.plane.length;
  return (
    <div className="learn-pool" data-testid="learn-gap">
      <p>{t('gap.line', { c: v.channel, h: v.size[0], w: v.size[1], mean: fmt(mean), out: fmt(v.out) })}</p>
    </div>
  );
}
