// A uPlot line chart fed from arrays the stores keep whole: it draws a downsampled copy (at most
// about two points per pixel), redraws at most once per animation frame, and keeps zoom (drag
// to zoom, double-click to reset) and hover values from uPlot. data-points says how many source
// points the chart holds, for tests.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Draw points only (epoch charts with few values). */
  points?: boolean;
  scale?: string;
}

export function Chart({ title, xLabel, series, data, height = 190, testId, log, sourcePoints, marker }: {
  title: string;
  xLabel: string;
  series: ChartSeries[];
  /** [x, ...ys], same lengths; null for gaps. */
  data: [number[], ...(number | null)[][]];
  height?: number;
  testId?: string;
  log?: boolean;
  /** How many points the store holds (data may be a downsampled copy). */
  sourcePoints?: number;
  /** A vertical marker at x with a label (where a run diverged). */
  marker?: { x: number; label: string } | null;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const frame = useRef(0);
  const latest = useRef(data);
  latest.current = data;
  const mark = useRef(marker);
  mark.current = marker;
  const key = series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      // Steps and epochs are whole numbers: no 1.25 ticks.
      axes: [{ label: xLabel, size: 36, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6] }, { size: 56 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        draw: [
          (u) => {
            const m = mark.current;
            if (!m) return;
            const x = u.valToPos(m.x, 'x', true);
            const { top, height: h } = u.bbox;
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#c62828';
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + h);
            ctx.stroke();
            ctx.fillStyle = '#c62828';
            ctx.font = `${12 * devicePixelRatio}px sans-serif`;
            ctx.textAlign = x > u.bbox.left + u.bbox.width / 2 ? 'right' : 'left';
            ctx.fillText(m.label, x + (ctx.textAlign === 'left' ? 6 : -6) * devicePixelRatio, top + 14 * devicePixelRatio);
            ctx.restore();
          },
        ],
      },
      series: [
        { label: xLabel },
        // Only set keys that have values: uPlot's defaults (scale 'y') would be overwritten by undefined.
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          spanGaps: true,
          points: { show: s.points ?? false, size: 6, fill: s.color },
          ...(s.dash ? { dash: s.dash } : {}),
          ...(s.scale ? { scale: s.scale } : {}),
        })),
      ],
    };
    const u = new uPlot(opts, latest.current as uPlot.AlignedData, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [key, height, xLabel, log]);

  useEffect(() => {
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => plot.current?.setData(latest.current as uPlot.AlignedData));
  }, [data, marker?.x]);

  return (
    <figure className="chart" data-testid={testId} data-points={sourcePoints ?? data[0].length} data-marker={marker ? marker.x : undefined}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
