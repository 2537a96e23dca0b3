// Training batches from the cache: seeded shuffling, seeded augmentation, normalization. Each
// image is read (uint8 CHW) and, augmented, written as float32 straight into the batch tensor;
// without augmentation a batch's bytes go through the normalization's byte table (byte-table.ts).
import { Rng } from '../graph/rng.ts';
import { ByteTable } from './byte-table.ts';
import type { CachedSplit } from './cache.ts';

export interface AugmentSettings {
  /** Mirror left-right with probability 1/2. */
  hflip: boolean;
  /** Random crop of the image zero-padded by this many pixels on every side (offset in [-p, p]). */
  cropPadding: number;
  /** Random shift up to this fraction of the width/height (zero fill). */
  translate: number;
  /** Brightness factor drawn from [1 - b, 1 + b]. */
  brightness: number;
  /** Contrast factor drawn from [1 - c, 1 + c], around the image's mean gray. */
  contrast: number;
}

export const NO_AUGMENT: AugmentSettings = { hflip: false, cropPadding: 0, translate: 0, brightness: 0, contrast: 0 };

/** input = (pixel/255 - mean[c]) / std[c]; x/255 is mean 0, std 1. */
export interface Normalization { mean: number[]; std: number[] }

export const unitScale = (channels: number): Normalization => ({ mean: new Array(channels).fill(0), std: new Array(channels).fill(1) });

export const isAugmenting = (a: AugmentSettings): boolean => a.hflip || a.cropPadding > 0 || a.translate > 0 || a.brightness > 0 || a.contrast > 0;

/** Per-channel mean and std of pixel/255 over a split, read in chunks (never the whole split at once). */
export function channelStats(split: CachedSplit, channels: number, chunk = 1024): Normalization {
  const plane = split.size / channels;
  const sum = new Float64Array(channels);
  const sq = new Float64Array(channels);
  const buf = new Uint8Array(chunk * split.size);
  for (let s = 0; s < split.count; s += chunk) {
    const n = Math.min(chunk, split.count - s);
    const px = split.readRange(s, n, buf);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < channels; c++) {
        const o = i * split.size + c * plane;
        let a = 0;
        let b = 0;
        for (let k = 0; k < plane; k++) {
          const v = px[o + k];
          a += v;
          b += v * v;
        }
        sum[c] += a;
        sq[c] += b;
      }
    }
  }
  const n = split.count * plane;
  const mean = Array.from(sum, (s) => (n ? s / n / 255 : 0));
  const std = Array.from(sq, (s, c) => {
    const v = n ? s / n / (255 * 255) - mean[c] ** 2 : 1;
    return Math.max(Math.sqrt(Math.max(v, 0)), 1e-3);
  });
  return { mean, std };
}

/** uint8 CHW images (planes of `plane` pixels) to float32 with the normalization: validation and inference. */
export function toInput(pixels: Uint8Array, out: Float32Array, plane: number, norm: Normalization): void {
  const channels = norm.mean.length;
  for (let o = 0; o < pixels.length; o += plane * channels) {
    for (let c = 0; c < channels; c++) {
      const scale = 1 / (255 * norm.std[c]);
      const bias = -norm.mean[c] / norm.std[c];
      for (let k = o + c * plane, e = k + plane; k < e; k++) out[k] = pixels[k] * scale + bias;
    }
  }
}

/** The augmentation stream of a run: its own generator, seeded from the run's seed. */
export const augmentRng = (seed: number): Rng => new Rng((seed ^ 0xa0a0a) >>> 0);

export interface BatchShape { channels: number; height: number; width: number }

/**
 * Fills batches from a split. `order` is reshuffled by `shuffle()` with the caller's Rng (so the
 * sequence is the run's); augmentation draws from its own Rng, seeded from the run's seed, so
 * switching augmentation on or off leaves the shuffle order unchanged.
 */
export class BatchFiller {
  readonly order: number[];
  private readonly raw: Uint8Array;
  private readonly tmp: Float32Array;
  private rng: Rng;
  private readonly scale: Float32Array;
  private readonly bias: Float32Array;
  /** Without augmentation: the normalization, `pixel * scale/255 + bias` per channel, as a byte table in WebAssembly. */
  private readonly table: ByteTable | null;
  /** Images read and converted so far (for throughput figures). */
  images = 0;

  constructor(
    readonly split: CachedSplit,
    readonly shape: BatchShape,
    readonly norm: Normalization,
    readonly augment: AugmentSettings,
    seed: number,
  ) {
    this.order = Array.from({ length: split.count }, (_, i) => i);
    this.raw = new Uint8Array(split.size);
    this.tmp = new Float32Array(split.size);
    this.rng = augmentRng(seed);
    this.scale = Float32Array.from(norm.std, (s) => 1 / s);
    this.bias = Float32Array.from(norm.mean, (m, c) => -m / norm.std[c]);
    this.table = isAugmenting(augment) ? null : new ByteTable(ByteTable.tables(Array.from(this.scale, (v) => v / 255), this.bias));
  }

  /** The augmentation generator's state: a checkpoint saves it, a resumed run sets it back. */
  get augmentState(): Uint32Array {
    return this.rng.state();
  }

  set augmentState(s: Uint32Array) {
    this.rng = new Rng(s);
  }

  /** Fills x (n images) and y (n labels) with samples order[start .. start+n-1]. */
  fill(start: number, n: number, x: Float32Array, y: BigInt64Array): void {
    const size = this.split.size;
    if (this.table) {
      const bytes = this.table.input(n * size);
      for (let i = 0; i < n; i++) {
        const j = this.order[start + i];
        this.split.read(j, bytes, i * size);
        y[i] = BigInt(this.split.labels[j]);
      }
      this.table.run(n * size, this.shape.height * this.shape.width, this.shape.channels, x.subarray(0, n * size));
      this.images += n;
      return;
    }
    for (let i = 0; i < n; i++) {
      const j = this.order[start + i];
      this.split.read(j, this.raw, 0);
      this.convert(x.subarray(i * size, (i + 1) * size));
      y[i] = BigInt(this.split.labels[j]);
    }
    this.images += n;
  }

  /** One augmented image: this.raw → out. */
  private convert(out: Float32Array): void {
    const { channels, height: H, width: W } = this.shape;
    const plane = H * W;
    const raw = this.raw;
    const a = this.augment;
    const rng = this.rng;
    const flip = a.hflip && rng.next() < 0.5;
    const range = (r: number): number => (r > 0 ? rng.int(2 * r + 1) - r : 0);
    const dx = range(a.cropPadding) + range(Math.round(a.translate * W));
    const dy = range(a.cropPadding) + range(Math.round(a.translate * H));
    const bright = a.brightness > 0 ? rng.uniform(1 - a.brightness, 1 + a.brightness) : 1;
    const contrast = a.contrast > 0 ? rng.uniform(1 - a.contrast, 1 + a.contrast) : 1;
    // Geometry (flip, then shift with zero fill) into tmp, in [0, 1], with brightness applied.
    const tmp = this.tmp;
    const k = bright / 255;
    for (let c = 0; c < channels; c++) {
      const p = c * plane;
      for (let y = 0; y < H; y++) {
        const sy = y - dy;
        const row = p + y * W;
        if (sy < 0 || sy >= H) {
          tmp.fill(0, row, row + W);
          continue;
        }
        const srow = p + sy * W;
        for (let x = 0; x < W; x++) {
          let sx = x - dx;
          if (sx < 0 || sx >= W) {
            tmp[row + x] = 0;
            continue;
          }
          if (flip) sx = W - 1 - sx;
          const v = raw[srow + sx] * k;
          tmp[row + x] = v > 1 ? 1 : v;
        }
      }
    }
    if (contrast !== 1) {
      // Blend with the mean gray, as torchvision's adjust_contrast (luma weights for RGB).
      let mean = 0;
      if (channels === 3) {
        for (let i = 0; i < plane; i++) mean += 0.299 * tmp[i] + 0.587 * tmp[plane + i] + 0.114 * tmp[2 * plane + i];
      } else for (let i = 0; i < plane; i++) mean += tmp[i];
      mean /= plane;
      for (let i = 0; i < tmp.length; i++) {
        const v = (tmp[i] - mean) * contrast + mean;
        tmp[i] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
    for (let c = 0; c < channels; c++) {
      const s = this.scale[c];
      const b = this.bias[c];
      for (let i = c * plane, e = i + plane; i < e; i++) out[i] = tmp[i] * s + b;
    }
  }
}
