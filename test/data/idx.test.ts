import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadSplit, scanImageFolder } from '../../engine/data/image-folder.ts';
import { FASHION_MNIST_CLASSES, importIdx, readIdx } from '../../engine/data/idx.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { tempDir as makeTempDir } from '../fixtures/temp.ts';

const tempDir = () => makeTempDir('netwright-idx-');

/** An IDX file's bytes: 00 00 <type> <ndims>, big-endian dims, then the data. */
function idx(dims: number[], data: Uint8Array, type = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}
function write(dir: string, name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}
function fixture(n: number, h: number, w: number, classes: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const images = Uint8Array.from({ length: n * h * w }, () => rng.int(256));
  const labels = Uint8Array.from({ length: n }, (_, i) => (i < classes ? i : rng.int(classes)));
  return { images, labels };
}

describe('readIdx', () => {
  test('reads plain and gzipped files', () => {
    const dir = tempDir();
    const { images } = fixture(5, 4, 3, 1, 1);
    const plain = idx([5, 4, 3], images);
    for (const file of [write(dir, 'plain', plain), write(dir, 'packed.gz', gzipSync(plain))]) {
      const out = readIdx(file);
      assert.deepEqual(out.dims, [5, 4, 3]);
      assert.deepEqual(out.data, images);
    }
  });

  test('clear errors for wrong magic, other types, truncation, extra bytes', () => {
    const dir = tempDir();
    const data = new Uint8Array(12);
    const cases: [string, Uint8Array, RegExp][] = [
      ['png', Buffer.from('\x89PNG\r\n\x1a\n0000', 'latin1'), /is not an IDX file: it starts with bytes 89 50 4e 47/],
      ['empty', new Uint8Array(0), /is not an IDX file: it starts with bytes \(none\)/],
      ['float', idx([3], new Uint8Array(12), 0x0d), /holds float32 values; only unsigned-byte IDX files \(type 0x08\)/],
      ['header', idx([3, 4], data).subarray(0, 9), /is truncated: its header is cut off/],
      ['short', idx([3, 4], data).subarray(0, 20), /is truncated: shape 3x4 needs 12 bytes of data, but only 8 follow/],
      ['long', Buffer.concat([idx([3, 4], data), Buffer.alloc(2)]), /has 2 unexpected bytes after the 3x4 data/],
      ['cut.gz', gzipSync(idx([3, 4], data)).subarray(0, 15), /gzip data is truncated or corrupt/],
    ];
    for (const [name, bytes, message] of cases) assert.throws(() => readIdx(write(dir, name, bytes)), message, name);
  });

  const fashion = '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz';
  test('reads the Debian Fashion-MNIST test labels when installed', { skip: !fs.existsSync(fashion) }, () => {
    const out = readIdx(fashion);
    assert.deepEqual(out.dims, [10000]);
    assert.ok(out.data.every((v) => v < 10));
  });
});

describe('importIdx', () => {
  test('round trip through PNG folders, scanImageFolder and loadSplit is exact', async () => {
    for (const gz of [false, true]) {
      const dir = tempDir();
      const [n, h, w] = [23, 7, 5];
      const { images, labels } = fixture(n, h, w, 10, gz ? 3 : 2);
      const pack = (b: Buffer): Buffer => (gz ? gzipSync(b) : b);
      const imagesPath = write(dir, 'images', pack(idx([n, h, w], images)));
      const labelsPath = write(dir, 'labels', pack(idx([n], labels)));
      const out = path.join(dir, 'out');
      const classes = gz ? FASHION_MNIST_CLASSES : undefined;
      const names = classes ?? ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

      const progress: number[] = [];
      const result = await importIdx(imagesPath, labelsPath, out, { classes, onProgress: (d, t) => progress.push(d / t) });
      assert.equal(result.count, n);
      assert.equal(progress.at(-1), 1);
      const expected: Record<string, number> = {};
      for (const l of labels) expected[names[l]] = (expected[names[l]] ?? 0) + 1;
      assert.deepEqual(result.perClass, expected);
      assert.ok(fs.existsSync(path.join(out, names[labels[0]], '00000.png')));

      const scan = await scanImageFolder(out, { valSplit: 0, seed: 1 });
      assert.deepEqual(scan.classNames, [...names].sort());
      const split = await loadSplit(scan.train, { height: h, width: w, channels: 1 });
      assert.equal(split.count, n);
      assert.deepEqual(split.skipped, []);
      for (let k = 0; k < n; k++) {
        const i = Number(path.basename(split.paths[k], '.png'));
        assert.equal(scan.classNames[split.labels[k]], names[labels[i]], `label of image ${i}`);
        assert.deepEqual(split.pixels.subarray(k * h * w, (k + 1) * h * w), images.subarray(i * h * w, (i + 1) * h * w));
      }
    }
  });

  test('Fashion-MNIST names are folder-safe and sort into a new class order', () => {
    assert.equal(FASHION_MNIST_CLASSES.length, 10);
    assert.ok(FASHION_MNIST_CLASSES.every((c) => /^[A-Za-z_-]+$/.test(c)));
    assert.deepEqual([...FASHION_MNIST_CLASSES].sort(), [
      'Ankle_boot', 'Bag', 'Coat', 'Dress', 'Pullover', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt_top', 'Trouser',
    ]);
  });

  test('limit, empty class folders, and errors', async () => {
    const dir = tempDir();
    const { images, labels } = fixture(6, 2, 2, 3, 4);
    const imagesPath = write(dir, 'images', idx([6, 2, 2], images));
    const labelsPath = write(dir, 'labels', idx([6], labels));

    const limited = await importIdx(imagesPath, labelsPath, path.join(dir, 'a'), { limit: 1, classes: ['x', 'y', 'z', 'w'] });
    assert.deepEqual(limited, { count: 1, perClass: { x: 1, y: 0, z: 0, w: 0 } });
    assert.deepEqual(fs.readdirSync(path.join(dir, 'a')).sort(), ['w', 'x', 'y', 'z']);

    const fewer = write(dir, 'labels5', idx([5], labels.subarray(0, 5)));
    await assert.rejects(importIdx(imagesPath, fewer, path.join(dir, 'b')), /holds 6 images but .* holds 5 labels/);
    await assert.rejects(importIdx(imagesPath, labelsPath, path.join(dir, 'c'), { classes: ['x', 'y'] }),
      /label 2 of image 2 has no class name \(2 names given\)/);
    await assert.rejects(importIdx(imagesPath, labelsPath, path.join(dir, 'd'), { classes: ['x', 'a/b', 'z'] }), /cannot be a folder name/);
    await assert.rejects(importIdx(imagesPath, labelsPath, path.join(dir, 'e'), { classes: ['x', 'x', 'z'] }), /given twice/);
    await assert.rejects(importIdx(imagesPath, labelsPath, path.join(dir, 'f'), { limit: -1 }), /limit/);
    await assert.rejects(importIdx(labelsPath, labelsPath, path.join(dir, 'g')), /count x height x width/);
    assert.ok(!fs.existsSync(path.join(dir, 'c')), 'nothing is written when the labels are bad');
  });
});
