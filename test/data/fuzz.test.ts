// Mutation fuzz over image bytes: flipped and truncated PNG, JPEG and BMP files are decoded or
// refused with a reason, never a crash or a wrong-sized result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { decodeImage } from '../../engine/data/decode.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { bmp24 } from '../fixtures/bmp.ts';

const spec = { height: 16, width: 16, channels: 3 as const };

async function seeds(): Promise<Uint8Array[]> {
  const rng = new Rng(7);
  const rgb = Uint8Array.from({ length: 24 * 20 * 3 }, () => rng.int(256));
  const png = encode({ width: 24, height: 20, data: rgb, channels: 3, depth: 8 });
  const raw = sharp(Buffer.from(rgb), { raw: { width: 24, height: 20, channels: 3 } });
  const jpeg = new Uint8Array(await raw.clone().jpeg({ quality: 80 }).toBuffer());
  const gray = new Uint8Array(await raw.clone().grayscale().png().toBuffer());
  // A 24-bit BMP (our own reader, not sharp's).
  const bmp = bmp24(8, 6, () => rng.int(256));
  return [png, jpeg, gray, new Uint8Array(bmp)];
}

test('image mutation fuzz: 600 flipped or truncated files are decoded to the right size or refused with a reason', async () => {
  const originals = await seeds();
  for (const o of originals) assert.equal((await decodeImage(o, spec)).length, 3 * 16 * 16, 'the seeds decode');
  const rng = new Rng(2026);
  let decoded = 0;
  let refused = 0;
  const reasons = new Map<string, number>();
  for (let i = 0; i < 600; i++) {
    const src = originals[i % originals.length];
    let m: Uint8Array;
    if (rng.next() < 0.3) m = src.slice(0, rng.int(src.length));
    else {
      m = src.slice();
      for (let k = 1 + rng.int(6); k > 0; k--) m[rng.next() < 0.6 ? rng.int(Math.min(128, m.length)) : rng.int(m.length)] ^= 1 << rng.int(8);
    }
    try {
      const px = await decodeImage(m, spec);
      assert.equal(px.length, 3 * 16 * 16, `case ${i}: decoded to ${px.length} bytes`);
      decoded++;
    } catch (e) {
      assert.ok(e instanceof Error && e.message.length > 0 && e.message.length < 300, `case ${i}: ${String(e)}`);
      const why = e.message.split(/[:(]/)[0].trim();
      reasons.set(why, (reasons.get(why) ?? 0) + 1);
      refused++;
    }
  }
  console.log(`  image fuzz: ${decoded} decoded, ${refused} refused (${[...reasons].map(([k, v]) => `${k}: ${v}`).join('; ')})`);
  assert.equal(decoded + refused, 600);
});
