// Activations: the function's curve over the range of the layer's real inputs, their histogram
// under it, and how many are negative (ReLU outputs 0 there) or belong to units never positive.
import { useLayoutEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { activate } from '../../../engine/graph/learn-math.ts';
import { drawHistogram, fmt, setup } from './draw.ts';

type Act = Extract<LearnView, { kind: 'activation' }>;
const W = 400;
const H = 220;

export function ActivationCurve({ v, batch }: { v: Act; batch: number }) {
  const { t } = useTranslation('learn');
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const ctx = setup(ref.current!, W, H);
    const pad = { l: 34, r: 8, t: 8, b: 22 };
    const lo = Math.min(v.hist.lo, -1);
    const hi = Math.max(v.hist.hi, 1);
    const toX = (x: number) => pad.l + ((x - lo) / (hi - lo)) * (W - pad.l - pad.r);
    const N = 200;
    const xs = Array.from({ length: N + 1 }, (_, k) => lo + ((hi - lo) * k) / N);
    const ys = v.fn === 'Softmax' ? xs.map((x) => 1 / (1 + Math.exp(-x))) : xs.map((x) => activate(v.fn, x, v.fnParams));
    const ylo = Math.min(0, ...ys);
    const yhi = Math.max(1, ...ys);
    const toY = (y: number) => pad.t + (1 - (y - ylo) / (yhi - ylo)) * (H - pad.t - pad.b);
    ctx.clearRect(0, 0, W, H);
    // The inputs' histogram, negative bins in another colour.
    drawHistogram(ctx, v.hist, { x: pad.l, y: pad.t, w: W - pad.l - pad.r, h: H - pad.t - pad.b }, toX, 'rgba(120, 140, 170, 0.35)');
    ctx.strokeStyle = '#aab';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(toX(0), pad.t);
    ctx.lineTo(toX(0), H - pad.b);
    ctx.moveTo(pad.l, toY(0));
    ctx.lineTo(W - pad.r, toY(0));
    ctx.stroke();
    ctx.strokeStyle = '#2b6cd4';
    ctx.lineWidth = 2.2;
    ctx.beginPath();
    xs.forEach((x, k) => (k ? ctx.lineTo(toX(x), toY(ys[k])) : ctx.moveTo(toX(x), toY(ys[k]))));
    ctx.stroke();
    ctx.fillStyle = '#445';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textAlign = 'center';
    for (const x of [lo, 0, hi]) ctx.fillText(fmt(x), toX(x), H - 6);
    ctx.textAlign = 'right';
    for (const y of [ylo, yhi]) ctx.fillText(fmt(y), pad.l - 4, toY(y) + 3);
  }, [v]);
  const negPct = v.negative / v.count;
  return (
    <div className="learn-act" data-testid="learn-activation">
      <canvas ref={ref} />
      <p className="muted">{t('act.curve', { fn: v.fn, n: batch })}</p>
      <p data-testid="learn-negative" data-value={negPct}>{t('act.negative', { pct: negPct, count: v.count })}</p>
      {['ReLU', 'Clip'].includes(v.fn) && <p data-testid="learn-dead">{t('act.dead', { dead: v.deadUnits, units: v.units })}</p>}
      <p className="muted">{t('act.outputs', { pct: v.zeroOutputs / v.count })}</p>
    </div>
  );
}
