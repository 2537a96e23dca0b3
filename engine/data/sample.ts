// The built-in sample dataset: small RGB images of four shapes, drawn by a seeded generator
// with varied position, size, colours and noise, so a first run trains on something real
// with no download.
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'fast-png';
import { Rng } from '../graph/rng.ts';

export const SAMPLE_CLASSES = ['circle', 'cross', 'square', 'triangle'] as const;
export const SAMPLE_SIZE = 32;

type Inside = (x: number, y: number) => boolean;

function shape(kind: (typeof SAMPLE_CLASSES)[number], cx: number, cy: number, r: number, rng: Rng): Inside {
  const angle = rng.uniform(-0.4, 0.4);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const rot = (x: number, y: number) => [(x - cx) * cos + (y - cy) * sin, -(x - cx) * sin + (y - cy) * cos];
  switch (kind) {
    case 'circle':
      return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    case 'square':
      return (x, y) => {
        const [u, v] = rot(x, y);
        return Math.abs(u) <= r * 0.85 && Math.abs(v) <= r * 0.85;
      };
    case 'cross':
      return (x, y) => {
        const [u, v] = rot(x, y);
        const w = r * 0.3;
        return (Math.abs(u) <= w && Math.abs(v) <= r) || (Math.abs(v) <= w && Math.abs(u) <= r);
      };
    case 'triangle':
      return (x, y) => {
        const [u, v] = rot(x, y);
        // Apex up: inside when below the two slanted edges and above the base.
        return v <= r * 0.7 && v >= -r + 2 * Math.abs(u) * 0.95;
      };
  }
}

/** Draws one sample image as RGB bytes. */
export function drawSample(kind: (typeof SAMPLE_CLASSES)[number], rng: Rng, size = SAMPLE_SIZE): Uint8Array {
  const r = rng.uniform(size * 0.18, size * 0.32);
  const cx = rng.uniform(r + 1, size - r - 1);
  const cy = rng.uniform(r + 1, size - r - 1);
  const inside = shape(kind, cx, cy, r, rng);
  const bg = [0, 1, 2].map(() => rng.uniform(0, 110));
  const fg = [0, 1, 2].map(() => rng.uniform(140, 255));
  const noise = rng.uniform(5, 30);
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const hit = inside(x + 0.5, y + 0.5);
      for (let c = 0; c < 3; c++) {
        const v = (hit ? fg[c] : bg[c]) + noise * rng.normal();
        out[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}

/** Writes `perClass` PNGs per class under dir/<class>/; returns the number written. Skips work if already complete. */
export function writeSampleDataset(dir: string, perClass = 400, seed = 1): number {
  const marker = path.join(dir, '.complete');
  const stamp = `${perClass}:${seed}:${SAMPLE_SIZE}`;
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === stamp) return 0;
  const rng = new Rng(seed);
  let n = 0;
  for (const kind of SAMPLE_CLASSES) {
    fs.mkdirSync(path.join(dir, kind), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const png = encode({ width: SAMPLE_SIZE, height: SAMPLE_SIZE, data: drawSample(kind, rng), channels: 3, depth: 8 });
      fs.writeFileSync(path.join(dir, kind, `${String(i).padStart(4, '0')}.png`), png);
      n++;
    }
  }
  fs.writeFileSync(marker, stamp);
  return n;
}
