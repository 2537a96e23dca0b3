// BatchNorm: one channel's distribution before, after with the batch's statistics (training), and
// after with the running statistics (inference: the layer's real output).
import { useLayoutEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { LearnHistogram, LearnView } from '../../../engine/protocol.ts';
import { drawHistogram, fmt, setup } from './draw.ts';

function Hist({ h, caption, color }: { h: LearnHistogram; caption: string; color: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const W = 400;
    const ctx = setup(ref.current!, W, 60);
    const toX = (x: number) => 4 + ((x - h.lo) / (h.hi - h.lo)) * (W - 8);
    drawHistogram(ctx, h, { x: 4, y: 2, w: W - 8, h: 56 }, toX, color);
    if (h.lo < 0 && h.hi > 0) (ctx.fillStyle = '#888'), ctx.fillRect(toX(0), 0, 1, 60);
  }, [h, color]);
  return <figure className="learn-hist"><canvas ref={ref} /><figcaption>{caption}</figcaption></figure>;
}

export function BatchNormView({ v }: { v: Extract<LearnView, { kind: 'batchnorm' }> }) {
  const { t } = useTranslation('learn');
  return (
    <div data-testid="learn-bn">
      <p className="muted">{t('bn.stats', { c: v.channel, mean: fmt(v.batchMean), variance: fmt(v.batchVar), rmean: fmt(v.runningMean), rvar: fmt(v.runningVar), gamma: fmt(v.gamma), beta: fmt(v.beta) })}</p>
      <Hist h={v.before} caption={t('bn.before')} color="#8d9bb3" />
      <Hist h={v.training} caption={t('bn.training')} color="#4d8ae0" />
      <Hist h={v.inference} caption={t('bn.inference')} color="#e0894d" />
      <p className="muted">[{fmt(v.before.lo)}, {fmt(v.before.hi)}]</p>
    </div>
  );
}
