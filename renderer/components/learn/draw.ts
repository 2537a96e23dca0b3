// Canvas helpers of the Learn panel: a value plane as a heat map, a histogram, a curve.
import type { LearnHistogram } from '../../../engine/protocol.ts';

/** A short number for the views: 4 significant digits, no exponent for ordinary sizes. */
export function fmt(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** Fewer digits, for cells of a number grid: 3 significant digits, no leading zero. */
export function short(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3))).replace(/^(-?)0\./, '$1.');
}

/** Blue for negative, white for 0, red for positive (scaled by the largest magnitude). */
export function diverging(v: number, maxAbs: number): string {
  const t = maxAbs > 0 ? Math.max(-1, Math.min(1, v / maxAbs)) : 0;
  const k = Math.round(255 * (1 - Math.abs(t)));
  return t >= 0 ? `rgb(255,${k},${k})` : `rgb(${k},${k},255)`;
}

/** Grey levels over [lo, hi]. */
export function grey(v: number, lo: number, hi: number): string {
  const k = hi > lo ? Math.round(((v - lo) / (hi - lo)) * 255) : 128;
  return `rgb(${k},${k},${k})`;
}

export function rangeOf(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) (lo = Math.min(lo, values[i])), (hi = Math.max(hi, values[i]));
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** Draws h×w values as cells of `cell` px; `shown(i)` false leaves a cell blank (the output map filling in). */
export function drawPlane(
  ctx: CanvasRenderingContext2D,
  values: ArrayLike<number>,
  h: number,
  w: number,
  cell: number,
  color: (v: number) => string,
  shown: (i: number) => boolean = () => true,
): void {
  ctx.clearRect(0, 0, w * cell, h * cell);
  ctx.fillStyle = '#eef0f4';
  ctx.fillRect(0, 0, w * cell, h * cell);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = y * w + x;
    if (!shown(i)) continue;
    ctx.fillStyle = color(values[i]);
    ctx.fillRect(x * cell, y * cell, cell, cell);
  }
}

/** Histogram bars over [x0, x1] in canvas space, heights scaled to the tallest bin. */
export function drawHistogram(ctx: CanvasRenderingContext2D, hist: LearnHistogram, box: { x: number; y: number; w: number; h: number }, toX: (v: number) => number, color: string): void {
  const max = Math.max(1, ...hist.counts);
  const bw = (hist.hi - hist.lo) / hist.counts.length;
  ctx.fillStyle = color;
  hist.counts.forEach((c, i) => {
    const a = toX(hist.lo + i * bw);
    const b = toX(hist.lo + (i + 1) * bw);
    const bh = (c / max) * box.h;
    ctx.fillRect(a, box.y + box.h - bh, Math.max(1, b - a - 0.5), bh);
  });
}

/** A canvas sized for the device's pixels: returns its 2-D context scaled to CSS pixels. */
export function setup(canvas: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D {
  const r = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * r);
  canvas.height = Math.round(h * r);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(r, 0, 0, r, 0, 0);
  return ctx;
}
