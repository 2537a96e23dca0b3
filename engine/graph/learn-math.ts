// The Learn panel's arithmetic (what a layer computes at one place), with no Node or engine dependency: the renderer draws with these
// and the engine tests check them against ONNX Runtime's own outputs (test/session/learn.test.ts).

/** One conv filter at one output position: every tap's input value and weight, and their sum. */
export interface ConvTerm { c: number; ky: number; kx: number; y: number; x: number; input: number; weight: number }

export interface ConvGeometry {
  /** The input planes the filter sees, [C][H][W] flattened (its group's channels). */
  input: number[];
  inShape: [number, number, number];
  /** The filter, [C][kh][kw] flattened. */
  kernel: number[];
  kh: number;
  kw: number;
  bias: number;
  stride: number;
  dilation: number;
  padTop: number;
  padLeft: number;
}

/** The multiply-and-sum at output (i, j): taps that fall on the zero padding contribute 0 (input 0). */
export function convAt(g: ConvGeometry, i: number, j: number): { terms: ConvTerm[]; sum: number } {
  const [C, H, W] = g.inShape;
  const terms: ConvTerm[] = [];
  let sum = g.bias;
  for (let c = 0; c < C; c++) {
    for (let ky = 0; ky < g.kh; ky++) {
      for (let kx = 0; kx < g.kw; kx++) {
        const y = i * g.stride - g.padTop + ky * g.dilation;
        const x = j * g.stride - g.padLeft + kx * g.dilation;
        const input = y >= 0 && y < H && x >= 0 && x < W ? g.input[(c * H + y) * W + x] : 0;
        const weight = g.kernel[(c * g.kh + ky) * g.kw + kx];
        terms.push({ c, ky, kx, y, x, input, weight });
        sum += input * weight;
      }
    }
  }
  return { terms, sum };
}

export interface Histogram { lo: number; hi: number; counts: number[]; total: number }

/** `bins` equal bins over [lo, hi] (the data's range unless given); values outside are clamped into the end bins. */
export function histogram(values: ArrayLike<number>, bins = 40, range?: [number, number]): Histogram {
  let lo = range?.[0] ?? Infinity;
  let hi = range?.[1] ?? -Infinity;
  if (!range) for (let i = 0; i < values.length; i++) (lo = Math.min(lo, values[i])), (hi = Math.max(hi, values[i]));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) (lo = 0), (hi = 1);
  if (hi === lo) (lo -= 0.5), (hi += 0.5);
  const counts = new Array<number>(bins).fill(0);
  const k = bins / (hi - lo);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.max(0, Math.floor((values[i] - lo) * k)))]++;
  return { lo, hi, counts, total: values.length };
}

/** The activation functions the Learn panel draws (the layer kinds of engine/graph/layers/activations.ts). */
export function activate(type: string, x: number, p: Record<string, unknown> = {}): number {
  const alpha = typeof p.alpha === 'number' ? p.alpha : type === 'LeakyReLU' ? 0.01 : 1;
  switch (type) {
    case 'ReLU': return Math.max(0, x);
    case 'LeakyReLU': return x > 0 ? x : alpha * x;
    case 'ELU': return x > 0 ? x : alpha * (Math.exp(x) - 1);
    case 'Sigmoid': return 1 / (1 + Math.exp(-x));
    case 'Tanh': return Math.tanh(x);
    case 'GELU': return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'Clip': return Math.min(Number(p.max ?? 6), Math.max(Number(p.min ?? 0), x));
    case 'PReLU': return x > 0 ? x : (typeof p.alpha === 'number' ? p.alpha : 0.25) * x;
    default: return x;
  }
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): enough to draw GELU. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** Softmax of the scores, and the cross-entropy −log p[label]. */
export function softmaxLoss(logits: number[], label: number): { probs: number[]; loss: number } {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  const probs = e.map((v) => v / s);
  return { probs, loss: -(logits[label] - m - Math.log(s)) };
}

/** MSE against the one-hot target: the mean over the classes. */
export function mseLoss(scores: number[], label: number): number {
  return scores.reduce((a, v, i) => a + (v - (i === label ? 1 : 0)) ** 2, 0) / scores.length;
}

/** Dense unit: Σ inputs·weights (+ bias). */
export function unitOutput(inputs: number[], weights: number[], bias: number | null): number {
  let s = bias ?? 0;
  for (let i = 0; i < inputs.length; i++) s += inputs[i] * weights[i];
  return s;
}

/** Add at one position k of a plane: each input's value there and their sum (the layer's output is this sum). */
export function addAt(planes: number[][], k: number): { terms: number[]; sum: number } {
  const terms = planes.map((p) => p[k]);
  return { terms, sum: terms.reduce((a, b) => a + b, 0) };
}

/** Concat: which input (segment) an output channel comes from, and its channel there; -1 when outside. */
export function concatSource(segments: { from: number; to: number }[], channel: number): { input: number; channel: number } {
  const i = segments.findIndex((g) => channel >= g.from && channel < g.to);
  return { input: i, channel: i < 0 ? -1 : channel - segments[i].from };
}

export interface PadSides { top: number; bottom: number; left: number; right: number }

/** Pad: the input pixel under output (y, x), as an index into the input plane, or -1 on the added border. */
export function padSource(p: PadSides, inSize: [number, number], y: number, x: number): number {
  const [H, W] = inSize;
  const iy = y - p.top;
  const ix = x - p.left;
  return iy >= 0 && iy < H && ix >= 0 && ix < W ? iy * W + ix : -1;
}
