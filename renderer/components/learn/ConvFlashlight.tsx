// Conv2D: the kernel as a flashlight sliding over the layer's real input, one output position per
// step; the multiply-and-sum under it, next to the layer's real output there, and the output map
// filling in as it goes.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { convAt } from '../../../engine/graph/learn-math.ts';
import { diverging, drawPlane, fmt, grey, rangeOf, setup, short } from './draw.ts';

type Conv = Extract<LearnView, { kind: 'conv' }>;

export function ConvFlashlight({ v, onFilter }: { v: Conv; onFilter(f: number): void }) {
  const { t } = useTranslation('learn');
  const [C, H, W] = v.geometry.inShape;
  const [Ho, Wo] = v.outSize;
  const [pos, setPos] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [ch, setCh] = useState(0);
  useEffect(() => (setPos(0), setPlaying(false), setCh(0)), [v]);
  useEffect(() => {
    if (!playing) return;
    const id = setInterval(() => setPos((p) => (p + 1 < Ho * Wo ? p + 1 : (setPlaying(false), p))), 90);
    return () => clearInterval(id);
  }, [playing, Ho, Wo]);
  const i = Math.floor(pos / Wo);
  const j = pos % Wo;
  const g = useMemo(() => ({ ...v.geometry, input: v.input, kernel: v.kernel }), [v]);
  const { terms, sum } = convAt(g, i, j);
  const engine = v.output[pos];
  const { kh, kw } = v.geometry;

  const cell = Math.max(3, Math.min(10, Math.floor(200 / Math.max(W, H))));
  const ocell = Math.max(3, Math.min(10, Math.floor(200 / Math.max(Wo, Ho))));
  const inRef = useRef<HTMLCanvasElement>(null);
  const outRef = useRef<HTMLCanvasElement>(null);
  const plane = useMemo(() => v.input.slice(ch * H * W, (ch + 1) * H * W), [v, ch, H, W]);
  const [lo, hi] = useMemo(() => rangeOf(plane), [plane]);
  const outMax = useMemo(() => Math.max(...v.output.map(Math.abs)), [v]);
  useLayoutEffect(() => {
    const ctx = setup(inRef.current!, W * cell, H * cell);
    drawPlane(ctx, plane, H, W, cell, (x) => grey(x, lo, hi));
    // The flashlight: the taps of the kernel at this position (dilation spreads them).
    const y0 = i * v.geometry.stride - v.geometry.padTop;
    const x0 = j * v.geometry.stride - v.geometry.padLeft;
    const d = v.geometry.dilation;
    ctx.fillStyle = 'rgba(255, 204, 0, 0.35)';
    ctx.fillRect(x0 * cell, y0 * cell, ((kw - 1) * d + 1) * cell, ((kh - 1) * d + 1) * cell);
    ctx.strokeStyle = '#e69b00';
    ctx.lineWidth = 2;
    ctx.strokeRect(x0 * cell, y0 * cell, ((kw - 1) * d + 1) * cell, ((kh - 1) * d + 1) * cell);
  }, [plane, i, j, cell, lo, hi, v, H, W, kh, kw]);
  useLayoutEffect(() => {
    const ctx = setup(outRef.current!, Wo * ocell, Ho * ocell);
    drawPlane(ctx, v.output, Ho, Wo, ocell, (x) => diverging(x, outMax), (k) => k <= pos);
    ctx.strokeStyle = '#e69b00';
    ctx.lineWidth = 2;
    ctx.strokeRect(j * ocell, i * ocell, ocell, ocell);
  }, [v, pos, ocell, outMax, Ho, Wo, i, j]);

  const mine = terms.filter((x) => x.c === ch);
  const wMax = Math.max(...v.kernel.map(Math.abs));
  const pMax = wMax * Math.max(Math.abs(lo), Math.abs(hi));
  return (
    <div className="learn-conv" data-testid="learn-conv">
      <div className="learn-row">
        <label>
          {t('conv.filter')}{' '}
          <select aria-label={t('conv.filter')} value={v.filter} onChange={(e) => onFilter(Number(e.target.value))} data-testid="learn-filter">
            {Array.from({ length: v.filters }, (_, f) => <option key={f} value={f}>{f}</option>)}
          </select>{' '}
          <span className="muted">{t('conv.of', { n: v.filters })}</span>
        </label>
        {C > 1 && (
          <label>
            {t('conv.channel')}{' '}
            <select aria-label={t('conv.channel')} value={ch} onChange={(e) => setCh(Number(e.target.value))}>
              {Array.from({ length: C }, (_, c) => <option key={c} value={c}>{v.inChannel + c}</option>)}
            </select>
          </label>
        )}
      </div>
      <div className="learn-row">
        <button onClick={() => setPlaying((p) => !p)} data-testid="learn-play">{playing ? t('conv.pause') : t('conv.play')}</button>
        <button onClick={() => (setPlaying(false), setPos((p) => Math.max(0, p - 1)))} data-testid="learn-back">{t('conv.back')}</button>
        <button onClick={() => (setPlaying(false), setPos((p) => Math.min(Ho * Wo - 1, p + 1)))} data-testid="learn-step">{t('conv.step')}</button>
        <button onClick={() => (setPlaying(false), setPos(0))}>{t('conv.reset')}</button>
        <span className="muted" data-testid="learn-conv-pos" data-i={i} data-j={j}>{t('conv.position', { i, j, h: Ho, w: Wo })}</span>
      </div>
      <div className="learn-maps">
        <figure>
          <canvas ref={inRef} />
          <figcaption>{t('conv.input', { c: v.inChannel + ch, channels: C })}</figcaption>
        </figure>
        <figure>
          <canvas ref={outRef} />
          <figcaption>{t('conv.output')}</figcaption>
        </figure>
      </div>
      <div className="learn-mult">
        <NumberGrid caption={t('conv.kernel', { c: v.inChannel + ch })} rows={kh} cols={kw} values={mine.map((x) => x.weight)} color={(x) => diverging(x, wMax)} textOn={(x) => (Math.abs(x) > 0.6 * wMax ? '#fff' : '#000')} />
        <span className="learn-op">×</span>
        <NumberGrid caption={t('conv.patch')} rows={kh} cols={kw} values={mine.map((x) => x.input)} color={(x) => grey(x, lo, hi)} textOn={(x) => ((x - lo) / (hi - lo || 1) > 0.55 ? '#000' : '#fff')} />
        <span className="learn-op">=</span>
        <NumberGrid caption="" rows={kh} cols={kw} values={mine.map((x) => x.input * x.weight)} color={(x) => diverging(x, pMax)} textOn={(x) => (Math.abs(x) > 0.6 * pMax ? '#fff' : '#000')} />
      </div>
      <p className="learn-sum" data-testid="learn-conv-sum" data-sum={sum}>{t('conv.sumLine', { terms: terms.length, bias: fmt(v.geometry.bias), sum: fmt(sum) })}</p>
      <p className="learn-engine" data-testid="learn-conv-engine" data-value={engine}>{t('conv.engineLine', { value: fmt(engine) })}</p>
    </div>
  );
}

function NumberGrid({ caption, rows, cols, values, color, textOn }: { caption: string; rows: number; cols: number; values: number[]; color(v: number): string; textOn?(v: number): string }) {
  // Kernels above 5×5 would not fit as numbers: colours only.
  const numbers = rows * cols <= 25;
  return (
    <figure className="learn-grid">
      <div style={{ display: 'grid', gridTemplateColumns: `repeat(${cols}, ${numbers ? 40 : 10}px)` }}>
        {values.map((x, k) => (
          <span key={k} style={{ background: color(x), color: textOn?.(x) ?? '#000' }} title={String(x)}>{numbers ? short(x) : ''}</span>
        ))}
      </div>
      {caption && <figcaption>{caption}</figcaption>}
    </figure>
  );
}
