// A canvas node's one-line summary ("32 · 3x3 · s1 · same") as data: each layer's `summary()`
// returns parts, each a code with its values. `summaryText` writes the English line (the engine's
// own wording); the renderer shows `nodeSummary.<key>` in the UI's language with the same values.
// test/renderer/node-summary.test.ts checks that every part of every layer kind has a text in each
// language, and that the English resource says what summaryText says.
import { LOSSES, type LossName } from './losses.ts';

export const SUMMARY_CODES = [
  'filters', 'kernel', 'stride', 'padding', 'pad', 'ceil', 'pixels-only', 'sides', 'fill',
  'units', 'rate', 'momentum', 'inputs', 'to-vector', 'mean-hw', 'alpha', 'range', 'slope',
  'image-size', 'color', 'normalized', 'loss',
] as const;

export type SummaryCode = (typeof SUMMARY_CODES)[number];

/** One piece of a summary line: a key (`nodeSummary.<key>` in the UI) and the values its text shows (plain values, as the params are). */
export interface SummaryPart {
  key: SummaryCode;
  params?: Record<string, string | number | undefined>;
}

const ENGLISH: { [C in SummaryCode]: (p: Record<string, string | number | undefined>) => string } = {
  filters: (p) => `${p.n}`,
  kernel: (p) => `${p.h}x${p.w}`,
  stride: (p) => `s${p.n}`,
  padding: (p) => `${p.mode}`,
  pad: (p) => `pad ${p.n}`,
  ceil: () => 'ceil',
  'pixels-only': () => 'pixels only',
  sides: (p) => `${p.top} ${p.right} ${p.bottom} ${p.left}`,
  fill: (p) => `${p.value}`,
  units: (p) => `${p.n} ${p.n === 1 ? 'unit' : 'units'}`,
  rate: (p) => `rate ${p.rate}`,
  momentum: (p) => `momentum ${p.momentum}`,
  inputs: (p) => `${p.n} inputs`,
  'to-vector': () => 'to vector',
  'mean-hw': () => 'mean over H, W',
  alpha: (p) => `α ${p.alpha}`,
  range: (p) => `[${p.min}, ${p.max}]`,
  slope: (p) => (p.form === 'shared' ? 'shared slope' : 'slope per channel'),
  'image-size': (p) => `${p.h}x${p.w}`,
  color: (p) => (p.color === 'rgb' ? 'RGB' : 'gray'),
  normalized: () => 'normalized',
  loss: (p) => LOSSES[p.loss as LossName]?.summary ?? String(p.loss),
};

/** One part in English. */
export function partText(part: SummaryPart): string {
  return ENGLISH[part.key](part.params ?? {});
}

/** The English summary line: the parts joined by " · ". */
export function summaryText(parts: readonly SummaryPart[]): string {
  return parts.map(partText).join(' · ');
}
