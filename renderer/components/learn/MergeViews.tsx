// Add, Concat and Pad on the layer's real tensors (ONNX Runtime's outputs of the layers wired into
// it): Add's inputs and their sum at a chosen position, and what the skip connection carries;
// which output channels of a Concat come from which input; the border a Pad adds around a channel.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { LearnView } from '../../../engine/protocol.ts';
import { addAt, concatSource, padSource } from '../../../engine/graph/learn-math.ts';
import { diverging, drawPlane, fmt, grey, rangeOf, setup, short } from './draw.ts';

type Add = Extract<LearnView, { kind: 'add' }>;
type Concat = Extract<LearnView, { kind: 'concat' }>;
type Pad = Extract<LearnView, { kind: 'pad' }>;

const SEGMENT_COLORS = ['#4d8ae0', '#e0894d', '#3aa66a', '#b05cc8', '#c9a227', '#d9534f', '#5bc0de', '#777'];

/** A [h, w] plane as drawn: a vector ([1, n]) is wrapped into a near-square block, row after row. */
function drawn([h, w]: [number, number]): [number, number] {
  if (h > 1 || w <= 16) return [h, w];
  const cols = Math.ceil(Math.sqrt(w));
  return [Math.ceil(w / cols), cols];
}

/** One plane as a heat map; a click picks the cell (k = its index in the plane); `mark` outlines one cell. */
function Plane({ values, size, color, mark, box = 120, onPick, overlay, testid }: {
  values: number[]; size: [number, number]; color(v: number): string; mark?: number | null; box?: number; onPick?(k: number): void;
  overlay?(ctx: CanvasRenderingContext2D, cell: number): void; testid?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [h, w] = drawn(size);
  const cell = Math.max(1, Math.min(12, Math.floor(box / Math.max(h, w))));
  useLayoutEffect(() => {
    const ctx = setup(ref.current!, w * cell, h * cell);
    drawPlane(ctx, values, h, w, cell, color, (k) => k < values.length);
    overlay?.(ctx, cell);
    if (mark != null && mark >= 0) {
      ctx.strokeStyle = '#e69b00';
      ctx.lineWidth = 2;
      ctx.strokeRect((mark % w) * cell, Math.floor(mark / w) * cell, cell, cell);
    }
  }, [values, h, w, cell, color, mark, overlay]);
  const pick = (e: React.MouseEvent<HTMLCanvasElement>) => {
    if (!onPick) return;
    const r = e.currentTarget.getBoundingClientRect();
    const k = Math.floor((e.clientY - r.top) / cell) * w + Math.floor((e.clientX - r.left) / cell);
    if (k >= 0 && k < values.length) onPick(k);
  };
  return <canvas ref={ref} onClick={pick} data-testid={testid} style={onPick ? { cursor: 'crosshair' } : undefined} />;
}

function ChannelPicker({ value, count, onChange, label, testid, name }: { value: number; count: number; onChange(c: number): void; label: string; testid: string; name?: (c: number) => string }) {
  if (count <= 1) return null;
  return (
    <label>
      {label}{' '}
      <select aria-label={label} value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testid}>
        {Array.from({ length: count }, (_, c) => <option key={c} value={c}>{name ? name(c) : c}</option>)}
      </select>
    </label>
  );
}

export function AddView({ v, onChannel }: { v: Add; onChannel(c: number): void }) {
  const { t } = useTranslation('learn');
  const n = v.output.length;
  const [w] = [v.size[1]];
  const [k, setK] = useState(0);
  // Start in the middle of the map, where neither input is padding.
  useEffect(() => setK(Math.min(n - 1, Math.floor(v.size[0] / 2) * w + Math.floor(w / 2))), [v, n, w]);
  const planes = useMemo(() => v.inputs.map((x) => x.plane), [v]);
  const maxAbs = useMemo(() => Math.max(1e-12, ...planes.flat().map(Math.abs), ...v.output.map(Math.abs)), [v, planes]);
  const color = useMemo(() => (x: number) => diverging(x, maxAbs), [maxAbs]);
  const { terms, sum } = addAt(planes, k);
  const vector = v.size[0] === 1;
  const y = Math.floor(k / w);
  const x = k % w;
  const skip = v.inputs.find((i) => i.skip);
  const branch = v.inputs.filter((i) => !i.skip);
  return (
    <div className="learn-add" data-testid="learn-add" data-channel={v.channel}>
      <div className="learn-row">
        <ChannelPicker value={v.channel} count={v.channels} onChange={onChannel} label={t('add.channel')} testid="learn-add-channel" />
        <span className="muted">{t('add.pick')}</span>
      </div>
      <div className="learn-maps learn-merge">
        {v.inputs.map((inp, i) => (
          <span key={i} className="learn-merge-item">
            {i > 0 && <span className="learn-op">+</span>}
            <figure>
              <Plane values={inp.plane} size={v.size} color={color} mark={k} onPick={setK} box={v.inputs.length > 2 ? 90 : 120} />
              <figcaption>{t(inp.skip ? 'add.skipInput' : 'add.input', { port: i + 1, label: inp.label })}</figcaption>
            </figure>
          </span>
        ))}
        <span className="learn-merge-item">
          <span className="learn-op">=</span>
          <figure>
            <Plane values={v.output} size={v.size} color={color} mark={k} onPick={setK} box={v.inputs.length > 2 ? 90 : 120} testid="learn-add-out" />
            <figcaption>{t('add.output')}</figcaption>
          </figure>
        </span>
      </div>
      <p className="learn-sum" data-testid="learn-add-sum" data-sum={sum} data-k={k}>
        {vector ? t('add.atFeature', { i: k }) : t('add.at', { c: v.channel, y, x })}: {terms.map((x) => fmt(x)).join(' + ')} = {fmt(sum)}
      </p>
      <p className="learn-engine" data-testid="learn-add-engine" data-value={v.output[k]}>{t('add.engine', { value: fmt(v.output[k]) })}</p>
      <p className="muted" data-testid="learn-add-skip">
        {skip
          ? t('add.skip', { skip: skip.label, skipRms: fmt(skip.rms), branch: branch.map((b) => b.label).join(', '), branchRms: fmt(branch[0]?.rms), outRms: fmt(v.outRms) })
          : t('add.noSkip', { outRms: fmt(v.outRms) })}
      </p>
    </div>
  );
}

export function ConcatView({ v, onChannel }: { v: Concat; onChannel(c: number): void }) {
  const { t } = useTranslation('learn');
  const C = v.means.length;
  const src = concatSource(v.segments, v.channel);
  const [lo, hi] = useMemo(() => rangeOf(v.output), [v]);
  const color = useMemo(() => (x: number) => grey(x, lo, hi), [lo, hi]);
  const same = v.input.length === v.output.length && v.input.every((x, i) => x === v.output[i]);
  const cw = Math.max(3, Math.min(28, Math.floor(430 / C)));
  const mMax = Math.max(1e-12, ...v.means.map(Math.abs));
  return (
    <div className="learn-concat" data-testid="learn-concat">
      <p className="muted">{t('concat.strip', { n: C })}</p>
      <div className="learn-strip" role="list">
        {v.means.map((m, c) => {
          const s = concatSource(v.segments, c).input;
          return (
            <span key={c} role="listitem" title={`${c}: ${v.segments[s]?.label} · ${fmt(m)}`} onClick={() => onChannel(c)} data-testid={`learn-concat-ch-${c}`}
              className={c === v.channel ? 'on' : ''} style={{ width: cw, background: SEGMENT_COLORS[s % SEGMENT_COLORS.length], opacity: 0.35 + 0.65 * (Math.abs(m) / mMax) }} />
          );
        })}
      </div>
      <ul className="learn-legend">
        {v.segments.map((g, i) => (
          <li key={g.id + i}><span className="learn-swatch" style={{ background: SEGMENT_COLORS[i % SEGMENT_COLORS.length] }} />{t('concat.segment', { from: g.from, to: g.to - 1, port: i + 1, label: g.label, n: g.to - g.from })}</li>
        ))}
      </ul>
      <div className="learn-row">
        <ChannelPicker value={v.channel} count={C} onChange={onChannel} label={t('concat.channel')} testid="learn-concat-channel" />
      </div>
      <p data-testid="learn-concat-source" data-input={src.input} data-channel={src.channel}>{t('concat.is', { c: v.channel, ic: src.channel, label: v.segments[src.input]?.label ?? '' })}</p>
      {v.size[0] * v.size[1] > 1 ? (
        <div className="learn-maps">
          <figure><Plane values={v.input} size={v.size} color={color} /><figcaption>{t('concat.inputMap', { label: v.segments[src.input]?.label ?? '', ic: src.channel })}</figcaption></figure>
          <span className="learn-op">→</span>
          <figure><Plane values={v.output} size={v.size} color={color} /><figcaption>{t('concat.outputMap', { c: v.channel })}</figcaption></figure>
        </div>
      ) : (
        <p className="learn-sum">{fmt(v.input[0])} → {fmt(v.output[0])}</p>
      )}
      <p className="learn-engine" data-testid="learn-concat-same" data-same={same}>{t(same ? 'concat.same' : 'concat.differ', { n: v.output.length })}</p>
    </div>
  );
}

export function PadView({ v, onChannel }: { v: Pad; onChannel(c: number): void }) {
  const { t } = useTranslation('learn');
  const g = v.geometry;
  const [H, W] = v.inSize;
  const [Ho, Wo] = v.outSize;
  const [lo, hi] = useMemo(() => {
    const [a, b] = rangeOf(v.input);
    return [Math.min(a, g.value), Math.max(b, g.value)];
  }, [v, g.value]);
  const color = useMemo(() => (x: number) => grey(x, lo, hi), [lo, hi]);
  // The output map with the input's place outlined: everything outside it is the added border.
  const overlay = useMemo(() => (ctx: CanvasRenderingContext2D, cell: number) => {
    ctx.strokeStyle = '#e69b00';
    ctx.lineWidth = 2;
    ctx.strokeRect(g.left * cell, g.top * cell, W * cell, H * cell);
  }, [g, H, W]);
  // A corner of the output as numbers: where the border is widest, a few cells of border and of inside.
  const y0 = g.top >= g.bottom ? Math.max(0, g.top - 3) : Math.max(0, Ho - g.bottom - 3);
  const x0 = g.left >= g.right ? Math.max(0, g.left - 3) : Math.max(0, Wo - g.right - 3);
  const rows = Math.min(6, Ho - y0);
  const cols = Math.min(6, Wo - x0);
  const cells: { y: number; x: number; border: boolean; value: number; input: number | null }[] = [];
  for (let y = y0; y < y0 + rows; y++) for (let x = x0; x < x0 + cols; x++) {
    const k = padSource(g, v.inSize, y, x);
    cells.push({ y, x, border: k < 0, value: v.output[y * Wo + x], input: k < 0 ? null : v.input[k] });
  }
  const border = Ho * Wo - H * W;
  return (
    <div className="learn-pad" data-testid="learn-pad">
      <div className="learn-row">
        <ChannelPicker value={v.channel} count={v.channels} onChange={onChannel} label={t('pad.channel')} testid="learn-pad-channel" />
      </div>
      <p>{t('pad.line', { top: g.top, bottom: g.bottom, left: g.left, right: g.right, value: fmt(g.value), n: border })}</p>
      <div className="learn-maps">
        <figure><Plane values={v.input} size={v.inSize} color={color} box={150} /><figcaption>{t(v.fromImage ? 'pad.inputImage' : 'pad.input', { c: v.channel, h: H, w: W })}</figcaption></figure>
        <span className="learn-op">→</span>
        <figure><Plane values={v.output} size={v.outSize} color={color} box={150} overlay={overlay} /><figcaption>{t('pad.output', { h: Ho, w: Wo })}</figcaption></figure>
      </div>
      <p className="muted">{t('pad.corner', { y: y0, x: x0 })}</p>
      <div className="learn-cells" style={{ gridTemplateColumns: `repeat(${cols}, 44px)` }} data-testid="learn-pad-cells">
        {cells.map((c) => (
          <span key={`${c.y}-${c.x}`} className={c.border ? 'learn-pad-border' : 'learn-pad-inside'} data-border={c.border} data-value={c.value} data-input={c.input ?? ''} title={`(${c.y}, ${c.x})`}>{short(c.value)}</span>
        ))}
      </div>
      <p className="muted">{t('pad.legend')}</p>
    </div>
  );
}
