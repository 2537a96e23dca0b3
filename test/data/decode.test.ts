// decode.ts and bmp.ts: every format by content, every colour mode to 1 or 3 channels, the
// three resize policies, and BMPs written here byte by byte.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { decodeBmp } from '../../engine/data/bmp.ts';
import { decodeImage, type ImageSpec } from '../../engine/data/decode.ts';

const rgb = (h: number, w: number, resize?: ImageSpec['resize']): ImageSpec => ({ height: h, width: w, channels: 3, resize });
const gray = (h: number, w: number): ImageSpec => ({ height: h, width: w, channels: 1 });
const pixel = (chw: Uint8Array, plane: number, i: number): number[] => [chw[i], chw[plane + i], chw[2 * plane + i]];

/** A BMP file: rows given top to bottom as RGB triples (or palette indices for bpp <= 8). */
function bmp(opts: { width: number; height: number; bpp: 1 | 4 | 8 | 24 | 32; rows: number[][]; palette?: number[][]; topDown?: boolean; compression?: number }): Uint8Array {
  const { width, height, bpp } = opts;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const paletteBytes = (opts.palette?.length ?? 0) * 4;
  const offset = 14 + 40 + paletteBytes;
  const b = Buffer.alloc(offset + stride * height);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(opts.topDown ? -height : height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(bpp, 28);
  b.writeUInt32LE(opts.compression ?? 0, 30);
  b.writeUInt32LE(opts.palette?.length ?? 0, 46);
  opts.palette?.forEach(([r, g, bl], i) => b.set([bl, g, r, 0], 54 + i * 4));
  for (let y = 0; y < height; y++) {
    const row = offset + (opts.topDown ? y : height - 1 - y) * stride;
    const src = opts.rows[y];
    if (bpp === 24 || bpp === 32) {
      const n = bpp / 8;
      for (let x = 0; x < width; x++) b.set([src[x * 3 + 2], src[x * 3 + 1], src[x * 3], ...(n === 4 ? [0] : [])], row + x * n);
    } else {
      for (let x = 0; x < width; x++) {
        const perByte = 8 / bpp;
        b[row + Math.floor(x / perByte)] |= src[x] << (8 - bpp * (1 + (x % perByte)));
      }
    }
  }
  return b;
}

describe('BMP', () => {
  const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30], [200, 100, 50], [1, 2, 3]];
  const rows = [colours.slice(0, 3).flat(), colours.slice(3).flat()]; // 3 wide, 2 high

  test('24- and 32-bit, bottom-up and top-down, come out as the same RGB', () => {
    for (const bpp of [24, 32] as const) {
      for (const topDown of [false, true]) {
        const img = decodeBmp(bmp({ width: 3, height: 2, bpp, rows, topDown }), 1e8);
        assert.deepEqual([img.width, img.height], [3, 2]);
        assert.deepEqual(Array.from(img.rgb), rows.flat(), `${bpp}-bit topDown=${topDown}`);
      }
    }
  });

  test('8-, 4- and 1-bit paletted', () => {
    const palette = colours;
    const idx = [[0, 1, 2], [3, 4, 5]];
    for (const bpp of [8, 4] as const) {
      const img = decodeBmp(bmp({ width: 3, height: 2, bpp, rows: idx, palette }), 1e8);
      assert.deepEqual(Array.from(img.rgb), idx.flat().flatMap((i) => palette[i]), `${bpp}-bit`);
    }
    const mono = decodeBmp(bmp({ width: 10, height: 1, bpp: 1, rows: [[1, 0, 1, 1, 0, 0, 0, 0, 1, 1]], palette: [[0, 0, 0], [255, 255, 255]] }), 1e8);
    assert.deepEqual(Array.from(mono.rgb).filter((_, i) => i % 3 === 0), [255, 0, 255, 255, 0, 0, 0, 0, 255, 255]);
  });

  test('through decodeImage: resized, to gray, by content whatever the name', async () => {
    const file = bmp({ width: 3, height: 2, bpp: 24, rows });
    const out = await decodeImage(file, rgb(2, 3));
    for (let i = 0; i < 6; i++) assert.deepEqual(pixel(out, 6, i), colours[i]);
    assert.equal((await decodeImage(file, gray(4, 6))).length, 24);
  });

  test('hostile headers are refused before any pixel is read', async () => {
    const good = Buffer.from(bmp({ width: 3, height: 2, bpp: 24, rows }));
    const bomb = Buffer.from(good);
    bomb.writeInt32LE(200000, 18);
    bomb.writeInt32LE(200000, 22);
    const rle = Buffer.from(bmp({ width: 3, height: 2, bpp: 8, rows: [[0, 0, 0], [0, 0, 0]], palette: colours, compression: 1 }));
    const cases: [string, Uint8Array, string][] = [
      ['pixel bomb', bomb, 'image is larger than 100 megapixels'],
      ['truncated', good.subarray(0, good.length - 10), 'truncated or corrupt BMP'],
      ['header only', good.subarray(0, 20), 'truncated or corrupt BMP'],
      ['RLE', rle, 'unsupported BMP variant (RLE compression); convert it to PNG'],
    ];
    for (const [name, bytes, message] of cases) await assert.rejects(decodeImage(bytes, rgb(2, 3)), { message }, name);
  });
});

describe('colour modes and formats', () => {
  const raw = (w: number, h: number, channels: 1 | 3 | 4, data: number[]) => sharp(Buffer.from(data), { raw: { width: w, height: h, channels } });
  const solid = (n: number, v: number[]): number[] => Array.from({ length: n }, () => v).flat();

  test('palette PNG, GIF, TIFF, WebP (lossless) and CMYK JPEG all give the colour', async () => {
    const src = raw(8, 8, 3, solid(64, [200, 40, 90]));
    const files: [string, Buffer, number][] = [
      ['palette PNG', await src.clone().png({ palette: true }).toBuffer(), 2],
      ['GIF', await src.clone().gif().toBuffer(), 8],
      ['TIFF', await src.clone().tiff({ compression: 'lzw' }).toBuffer(), 0],
      ['WebP', await src.clone().webp({ lossless: true }).toBuffer(), 0],
      // sRGB -> CMYK -> sRGB goes through ICC profiles: close, not exact.
      ['CMYK JPEG', await src.clone().toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer(), 25],
    ];
    for (const [name, file, tol] of files) {
      const out = await decodeImage(file, rgb(8, 8));
      const p = pixel(out, 64, 27);
      [200, 40, 90].forEach((want, c) => assert.ok(Math.abs(p[c] - want) <= tol, `${name}: channel ${c} is ${p[c]}, want ${want}`));
    }
  });

  test('an animated GIF gives its first frame', async () => {
    const frames = [...solid(16, [255, 0, 0]), ...solid(16, [0, 0, 255])];
    const gif = await sharp(Buffer.from(frames), { raw: { width: 4, height: 8, channels: 3, pageHeight: 4 } } as never).gif().toBuffer();
    const meta = await sharp(gif, { pages: -1 }).metadata();
    assert.equal(meta.pages, 2, 'fixture has two frames');
    const out = await decodeImage(gif, rgb(4, 4));
    assert.ok(out[0] > 240 && out[2 * 16] < 15, `first frame is red: ${pixel(out, 16, 0)}`);
  });

  test('RGBA flattened on black, 16-bit RGB, gray to RGB, RGB to gray', async () => {
    const rgba = await raw(2, 1, 4, [100, 150, 200, 255, 100, 150, 200, 0]).png().toBuffer();
    const out = await decodeImage(rgba, rgb(1, 2));
    assert.deepEqual(pixel(out, 2, 0), [100, 150, 200]);
    assert.deepEqual(pixel(out, 2, 1), [0, 0, 0]);
    const deep = encode({ width: 2, height: 1, channels: 3, depth: 16, data: Uint16Array.of(65535, 0, 32896, 0, 65535, 0) });
    assert.deepEqual(Array.from(await decodeImage(deep, rgb(1, 2))), [255, 0, 0, 255, 128, 0]);
    const g = encode({ width: 2, height: 1, channels: 1, data: Uint8Array.of(7, 250) });
    assert.deepEqual(Array.from(await decodeImage(g, rgb(1, 2))), [7, 250, 7, 250, 7, 250]);
    assert.deepEqual(Array.from(await decodeImage(await raw(1, 1, 3, [90, 90, 90]).png().toBuffer(), gray(1, 1))), [90]);
  });
});

describe('resize policies', () => {
  // 8 wide, 4 high: left half white, right half... a wide image: a white square in the middle third.
  const wide = async (): Promise<Buffer> => {
    const data: number[] = [];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 12; x++) data.push(x >= 4 && x < 8 ? 255 : 0);
    return sharp(Buffer.from(data), { raw: { width: 12, height: 4, channels: 1 } }).png().toBuffer();
  };

  test('stretch squeezes, center-crop keeps the middle, letterbox pads with black bars', async () => {
    const file = await wide();
    const row = (out: Uint8Array, w: number, y: number): number[] => Array.from(out.subarray(y * w, y * w + w));
    const stretch = await decodeImage(file, { height: 4, width: 4, channels: 1, resize: 'stretch' });
    assert.ok(row(stretch, 4, 2)[0] < 40 && row(stretch, 4, 2)[3] < 40, 'stretch: the black sides stay, squeezed');
    const crop = await decodeImage(file, { height: 4, width: 4, channels: 1, resize: 'center-crop' });
    assert.deepEqual([...new Set(crop)], [255], 'center-crop: only the white middle remains');
    const box = await decodeImage(file, { height: 12, width: 12, channels: 1, resize: 'letterbox' });
    assert.deepEqual([...new Set(row(box, 12, 0))], [0], 'letterbox: black bar on top');
    assert.deepEqual([...new Set(row(box, 12, 11))], [0], 'letterbox: black bar at the bottom');
    assert.ok(row(box, 12, 6)[6] > 200, 'letterbox: the white middle is kept');
  });
});
