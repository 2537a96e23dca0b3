// A synthetic image folder for timing runs (README "Fine-tune"): N RGB images of SIZE x SIZE in
// K class folders, each class a different colour tint and stripe direction plus noise, written
// as JPEG with sharp. Not checked in; by default under .cache/.
//   node --import tsx scripts/make-image-folder.ts [out=.cache/rgb1000] [images=1000] [classes=10] [size=224]
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Rng } from '../engine/graph/rng.ts';

const [out = '.cache/rgb1000', nArg = '1000', kArg = '10', sArg = '224'] = process.argv.slice(2);
const n = Number(nArg);
const k = Number(kArg);
const size = Number(sArg);
const rng = new Rng(7);
for (let c = 0; c < k; c++) fs.mkdirSync(path.join(out, `class${String(c).padStart(2, '0')}`), { recursive: true });
for (let i = 0; i < n; i++) {
  const c = i % k;
  const px = Buffer.alloc(size * size * 3);
  const angle = (Math.PI * c) / k;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const stripe = Math.sin(((x * dx + y * dy) / size) * Math.PI * 8) * 60;
      for (let ch = 0; ch < 3; ch++) {
        const tint = ((c * 37 + ch * 91) % 160) + 40;
        px[(y * size + x) * 3 + ch] = Math.max(0, Math.min(255, Math.round(tint + stripe + rng.normal() * 25)));
      }
    }
  }
  await sharp(px, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toFile(path.join(out, `class${String(c).padStart(2, '0')}`, `${String(i).padStart(5, '0')}.jpg`));
}
console.log(`wrote ${n} ${size}x${size} RGB images in ${k} classes to ${out}`);
