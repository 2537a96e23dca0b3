import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { encode } from 'fast-png';
import sharp from 'sharp';
import {
  decodeImage, decodePngFast, decodeWithSharp, loadSplit, scanImageFolder, type ImageSpec,
} from '../../engine/data/image-folder.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { tempDir as makeTempDir } from '../fixtures/temp.ts';

const tempDir = () => makeTempDir('netwright-data-');

function write(file: string, data: Uint8Array | string = ''): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}
function png(width: number, height: number, channels: number, data: ArrayLike<number>, depth: 8 | 16 = 8): Uint8Array {
  const arr = depth === 16 ? Uint16Array.from(data) : Uint8Array.from(data);
  return encode({ width, height, channels, depth, data: arr });
}
const solid = (w: number, h: number, rgb: number[]): number[] => Array.from({ length: w * h }, () => rgb).flat();
const randomBytes = (n: number, seed: number): Uint8Array => {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
};
/** Adds an extra chunk right after IHDR. */
function withChunk(file: Uint8Array, type: string, data: Uint8Array): Uint8Array {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  chunk.set(data, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return Buffer.concat([file.subarray(0, 33), chunk, file.subarray(33)]);
}
const rel = (root: string, files: { path: string }[]): string[] => files.map((s) => path.relative(root, s.path));

describe('scanImageFolder', () => {
  test('classes in sorted order, nested files, litter ignored, stray files skipped', async () => {
    const root = tempDir();
    const img = png(1, 1, 1, [0]);
    write(path.join(root, 'dog', 'a.png'), img);
    write(path.join(root, 'cat', 'b.png'), img);
    write(path.join(root, 'cat', 'readme.txt'), 'still listed: the decoder decides by content');
    write(path.join(root, 'cat', '.DS_Store'), 'x');
    write(path.join(root, 'cat', 'Thumbs.db'), 'x');
    write(path.join(root, 'Zebra', 'z.png'), img);
    write(path.join(root, 'bird', 'sub', 'deep', 'c.png'), img);
    write(path.join(root, '.hidden', 'd.png'), img);
    write(path.join(root, 'notes.txt'), 'hello');

    const scan = await scanImageFolder(root, { valSplit: 0, seed: 1 });
    assert.equal(scan.root, root);
    assert.deepEqual(scan.classNames, ['Zebra', 'bird', 'cat', 'dog']);
    assert.deepEqual(scan.val, []);
    assert.deepEqual(rel(root, scan.train), [
      path.join('Zebra', 'z.png'), path.join('bird', 'sub', 'deep', 'c.png'),
      path.join('cat', 'b.png'), path.join('cat', 'readme.txt'), path.join('dog', 'a.png'),
    ]);
    assert.deepEqual(scan.train.map((s) => s.label), [0, 1, 2, 2, 3]);
    assert.deepEqual(scan.skipped.map((s) => [path.relative(root, s.path), s.reason]).sort(), [
      ['.hidden', 'hidden or system folder (ignored)'],
      [path.join('cat', '.DS_Store'), 'hidden or system file (ignored)'],
      [path.join('cat', 'Thumbs.db'), 'hidden or system file (ignored)'],
      ['notes.txt', 'not inside a class folder'],
    ]);
  });

  test('stratified split: round(n * valSplit) per class, fixed by the seed', async () => {
    const root = tempDir();
    const sizes: Record<string, number> = { a: 10, b: 7, c: 3 };
    for (const [cls, n] of Object.entries(sizes)) {
      for (let i = 0; i < n; i++) write(path.join(root, cls, `${i}.png`));
    }
    const scan = await scanImageFolder(root, { valSplit: 0.2, seed: 7 });
    const count = (list: { label: number }[], label: number): number => list.filter((s) => s.label === label).length;
    assert.deepEqual([0, 1, 2].map((l) => count(scan.val, l)), [2, 1, 1]);
    assert.deepEqual([0, 1, 2].map((l) => count(scan.train, l)), [8, 6, 2]);
    const all = [...scan.train, ...scan.val].map((s) => s.path).sort();
    assert.equal(new Set(all).size, 20);

    const again = await scanImageFolder(root, { valSplit: 0.2, seed: 7 });
    assert.deepEqual(again, scan);
    const vals = new Set<string>();
    for (let seed = 1; seed <= 6; seed++) {
      vals.add(JSON.stringify(rel(root, (await scanImageFolder(root, { valSplit: 0.2, seed })).val)));
    }
    assert.ok(vals.size > 1, 'different seeds should give different splits');

    const none = await scanImageFolder(root, { valSplit: 0, seed: 7 });
    assert.equal(none.train.length, 20);
    assert.equal(none.val.length, 0);
    for (const bad of [1, -0.1, Number.NaN]) {
      await assert.rejects(scanImageFolder(root, { valSplit: bad, seed: 7 }), /valSplit/);
    }
  });

  test('train/ and val/ (or test/) folders are used as given', async () => {
    for (const evalName of ['val', 'test']) {
      const root = tempDir();
      write(path.join(root, 'train', 'cat', '1.png'));
      write(path.join(root, 'train', 'cat', '2.png'));
      write(path.join(root, 'train', 'dog', '3.png'));
      write(path.join(root, evalName, 'cat', '4.png'));
      write(path.join(root, evalName, 'bird', '5.png'));
      const scan = await scanImageFolder(root, { valSplit: 0.5, seed: 3 });
      assert.deepEqual(scan.classNames, ['bird', 'cat', 'dog']);
      assert.deepEqual(rel(root, scan.train), ['train/cat/1.png', 'train/cat/2.png', 'train/dog/3.png'].map(path.normalize));
      assert.deepEqual(scan.train.map((s) => s.label), [1, 1, 2]);
      assert.deepEqual(rel(root, scan.val), [`${evalName}/bird/5.png`, `${evalName}/cat/4.png`].map(path.normalize));
      assert.deepEqual(scan.val.map((s) => s.label), [0, 1]);
    }
  });

  test('a link cycle inside a class folder is followed once', async () => {
    const root = tempDir();
    write(path.join(root, 'cat', 'a.png'));
    fs.symlinkSync(path.join(root, 'cat'), path.join(root, 'cat', 'loop'));
    const scan = await scanImageFolder(root, { valSplit: 0, seed: 1 });
    assert.deepEqual(rel(root, scan.train), [path.join('cat', 'a.png')]);
  });

  test('clear errors for a missing folder, a file, or no class folders', async () => {
    const root = tempDir();
    await assert.rejects(scanImageFolder(path.join(root, 'nope'), { valSplit: 0, seed: 1 }),
      /does not exist: expected .* to contain one subfolder per class, e\.g\. .*cat.*\*\.png/);
    write(path.join(root, 'a.png'));
    await assert.rejects(scanImageFolder(path.join(root, 'a.png'), { valSplit: 0, seed: 1 }), /is a file, not a folder/);
    await assert.rejects(scanImageFolder(root, { valSplit: 0, seed: 1 }), /Found 1 file\(s\) but no class folders in .*one subfolder per class/);
    fs.rmSync(path.join(root, 'a.png'));
    await assert.rejects(scanImageFolder(root, { valSplit: 0, seed: 1 }), /Found no class folders in .*one subfolder per class/);
    fs.mkdirSync(path.join(root, 'empty-class'));
    await assert.rejects(scanImageFolder(root, { valSplit: 0, seed: 1 }), /Found no files/);
  });
});

describe('decodeImage', () => {
  const rgb = (h: number, w: number): ImageSpec => ({ height: h, width: w, channels: 3 });
  const gray = (h: number, w: number): ImageSpec => ({ height: h, width: w, channels: 1 });

  test('CHW layout: planes in R, G, B order', async () => {
    const [w, h] = [3, 2];
    const data = randomBytes(w * h * 3, 5);
    const out = await decodeImage(png(w, h, 3, data), rgb(h, w));
    assert.equal(out.length, 3 * h * w);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) assert.equal(out[c * h * w + y * w + x], data[(y * w + x) * 3 + c]);
      }
    }
  });

  test('pure red: R plane 255, G and B 0; grayscale is sharp\'s linear-light luma', async () => {
    const out = await decodeImage(png(4, 4, 3, solid(4, 4, [255, 0, 0])), rgb(4, 4));
    assert.deepEqual([...new Set(out.subarray(0, 16))], [255]);
    assert.deepEqual([...new Set(out.subarray(16))], [0]);
    // sharp (libvips) converts to linear light, takes Rec. 709 luminance and re-encodes as sRGB.
    const srgb = (y: number): number => 255 * (y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055);
    const weights = [0.2126, 0.7152, 0.0722];
    for (let c = 0; c < 3; c++) {
      const color = [0, 0, 0];
      color[c] = 255;
      const [v] = new Set(await decodeImage(png(4, 4, 3, solid(4, 4, color)), gray(4, 4)));
      assert.ok(Math.abs(v - srgb(weights[c])) <= 1, `channel ${c}: got ${v}, expected about ${srgb(weights[c])}`);
    }
  });

  test('gray to 3 channels, RGBA flattened on black, 16-bit to 8-bit, JPEG', async () => {
    const g = randomBytes(6, 9);
    const out = await decodeImage(png(3, 2, 1, g), rgb(2, 3));
    for (let c = 0; c < 3; c++) assert.deepEqual(out.subarray(c * 6, c * 6 + 6), g);

    const rgba = [200, 100, 50, 255, 200, 100, 50, 0, 200, 100, 50, 128, 10, 20, 30, 255];
    const flat = await decodeImage(png(2, 2, 4, rgba), rgb(2, 2));
    const pixel = (i: number): number[] => [flat[i], flat[4 + i], flat[8 + i]];
    assert.deepEqual(pixel(0), [200, 100, 50]);
    assert.deepEqual(pixel(1), [0, 0, 0]);
    for (const [got, want] of pixel(2).map((v, c) => [v, (rgba[c] * 128) / 255])) assert.ok(Math.abs(got - want) <= 1);
    assert.deepEqual(pixel(3), [10, 20, 30]);

    const g16 = Array.from({ length: 20 }, (_, i) => i * 3000 + 255);
    const out16 = await decodeImage(png(5, 4, 1, g16, 16), gray(4, 5));
    out16.forEach((v, i) => assert.ok(Math.abs(v - g16[i] / 257) <= 1, `${v} vs ${g16[i] / 257}`));

    const jpeg = await sharp(Buffer.from(solid(8, 8, [40, 180, 90])), { raw: { width: 8, height: 8, channels: 3 } })
      .jpeg({ quality: 95 }).toBuffer();
    const outJ = await decodeImage(jpeg, rgb(8, 8));
    [40, 180, 90].forEach((want, c) => {
      for (const v of outJ.subarray(c * 64, c * 64 + 64)) assert.ok(Math.abs(v - want) <= 3, `${v} vs ${want}`);
    });
  });

  test('resize stretches to height x width', async () => {
    const [w, h] = [8, 8];
    const data = Array.from({ length: w * h }, (_, i) => (i % w < w / 2 ? 0 : 255)); // left black, right white
    const out = await decodeImage(png(w, h, 1, data), gray(2, 4));
    assert.equal(out.length, 8);
    for (let y = 0; y < 2; y++) {
      assert.ok(out[y * 4] < 30 && out[y * 4 + 3] > 225, `row ${y}: ${out.subarray(y * 4, y * 4 + 4)}`);
    }
    const big = await decodeImage(png(2, 3, 3, solid(2, 3, [10, 20, 30])), rgb(6, 5));
    assert.equal(big.length, 90);
    assert.deepEqual([...new Set(big.subarray(0, 30))], [10]);
    assert.deepEqual([...new Set(big.subarray(60))], [30]);
  });

  test('failures give short reasons', async () => {
    const dir = tempDir();
    const good = png(4, 4, 1, new Uint8Array(16));
    const huge = Buffer.from(good);
    huge.writeUInt32BE(100000, 16);
    huge.writeUInt32BE(100000, 20);
    const cases: [string, Uint8Array | string, string][] = [
      ['empty.png', '', 'empty file'],
      ['cut.png', good.subarray(0, good.length - 20), 'truncated or corrupt PNG'],
      ['text.png', 'this is not a picture', 'not an image'],
      ['old.bmp', Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]), 'truncated or corrupt BMP'],
      ['old.ppm', 'P6\n4 4\n255\n', 'unsupported format (PGM/PPM); convert it to PNG'],
      ['huge.png', huge, 'image is larger than 100 megapixels'],
    ];
    for (const [name, bytes, message] of cases) {
      await assert.rejects(decodeImage(write(path.join(dir, name), bytes), gray(4, 4)), { message }, name);
    }
    await assert.rejects(decodeImage(path.join(dir, 'missing.png'), gray(4, 4)), { message: 'cannot read file (ENOENT)' });
    await assert.rejects(decodeImage(good, { height: 0, width: 4, channels: 1 }), /image spec/);
  });
});

describe('PNG fast path', () => {
  test('gives exactly the pixels sharp gives, and declines what it cannot do', async () => {
    const g = randomBytes(28 * 28, 1);
    const c = randomBytes(32 * 32 * 3, 2);
    const g28 = { height: 28, width: 28, channels: 1 } as const;
    const c32 = { height: 32, width: 32, channels: 3 } as const;
    const eligible: [Uint8Array, ImageSpec][] = [
      [png(28, 28, 1, g), g28],
      [png(32, 32, 3, c), c32],
      [withChunk(png(28, 28, 1, g), 'gAMA', Uint8Array.of(0, 0, 0x4e, 0x20)), g28],
      [await sharp(g, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer(), g28],
    ];
    for (const [i, [file, spec]] of eligible.entries()) {
      const fast = decodePngFast(file, spec);
      assert.ok(fast, `fast path should take eligible file ${i}`);
      assert.deepEqual(fast, await decodeWithSharp(file, spec));
      assert.deepEqual(await decodeImage(file, spec), fast);
    }
    assert.deepEqual(decodePngFast(png(28, 28, 1, g), g28), g);

    const interlaced = await sharp(g, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png({ progressive: true }).toBuffer();
    assert.equal(interlaced[28], 1, 'Adam7 fixture');
    const corrupt = Buffer.from(png(28, 28, 1, g));
    corrupt[50] ^= 1;
    const declined: [string, Uint8Array, ImageSpec][] = [
      ['other size', png(28, 28, 1, g), { height: 14, width: 14, channels: 1 }],
      ['gray to 3 channels', png(28, 28, 1, g), { ...g28, channels: 3 }],
      ['16-bit', png(28, 28, 1, Array.from(g, (v) => v * 257), 16), g28],
      ['RGBA', png(28, 28, 4, randomBytes(28 * 28 * 4, 3)), g28],
      ['interlaced', interlaced, g28],
      ['tRNS', withChunk(png(28, 28, 1, g), 'tRNS', Uint8Array.of(0, g[0])), g28],
      ['bad CRC', corrupt, g28],
      ['truncated', png(28, 28, 1, g).subarray(0, 100), g28],
    ];
    for (const [name, file, spec] of declined) assert.equal(decodePngFast(file, spec), undefined, name);
    // Declined files still decode the same way (or fail the same way) through sharp.
    assert.deepEqual(await decodeImage(interlaced, g28), g);
    const trns = await decodeImage(withChunk(png(28, 28, 1, g), 'tRNS', Uint8Array.of(0, g[0])), g28);
    assert.equal(trns[0], 0, 'the transparent gray value is flattened on black');
    await assert.rejects(decodeImage(corrupt, g28), /truncated or corrupt PNG/);
  });
});

describe('loadSplit', () => {
  test('decodes in order, skips bad files with reasons, reports progress', async () => {
    const dir = tempDir();
    const spec: ImageSpec = { height: 2, width: 2, channels: 1 };
    const good = (v: number): Uint8Array => png(2, 2, 1, [v, v, v, v]);
    const samples = [
      { path: write(path.join(dir, 'a.png'), good(10)), label: 0 },
      { path: write(path.join(dir, 'b.png'), ''), label: 1 },
      { path: write(path.join(dir, 'c.png'), good(30)), label: 2 },
      { path: write(path.join(dir, 'd.png'), 'text'), label: 0 },
      { path: write(path.join(dir, 'e.png'), png(4, 4, 3, solid(4, 4, [50, 50, 50]))), label: 1 },
    ];
    const progress: [number, number][] = [];
    const out = await loadSplit(samples, spec, (d, t) => progress.push([d, t]));
    assert.equal(out.count, 3);
    assert.deepEqual(out.paths, [samples[0].path, samples[2].path, samples[4].path]);
    assert.deepEqual(Array.from(out.labels), [0, 2, 1]);
    assert.deepEqual(Array.from(out.pixels), [10, 10, 10, 10, 30, 30, 30, 30, 50, 50, 50, 50]);
    assert.deepEqual(out.skipped, [
      { path: samples[1].path, reason: 'empty file' },
      { path: samples[3].path, reason: 'not an image' },
    ]);
    assert.deepEqual(progress.map(([d]) => d), [1, 2, 3, 4, 5]);
    assert.ok(progress.every(([, t]) => t === 5));

    const empty = await loadSplit([], spec);
    assert.equal(empty.count, 0);
    assert.equal(empty.pixels.length, 0);
  });
});

test('loadSplit returns exactly one label per sample when its decoders yield to the event loop', async () => {
  // Regression: a decoder that yielded after the last sample was taken used to read past the end.
  const root = tempDir();
  const n = 3000;
  const image = png(28, 28, 1, randomBytes(28 * 28, 1));
  const samples = Array.from({ length: n }, (_, i) => ({ path: write(path.join(root, `c${i % 3}`, `${i}.png`), image), label: i % 3 }));
  const split = await loadSplit(samples, { height: 28, width: 28, channels: 1 });
  assert.equal(split.count, n);
  assert.equal(split.labels.length, n);
  assert.equal(split.skipped.length, 0);
  assert.deepEqual(Array.from(split.labels.subarray(0, 6)), [0, 1, 2, 0, 1, 2]);
});
