// A folder of hostile files, made here: every bad one must be listed with its reason, the good
// ones must decode (on the decoder threads, streamed from the cache) and train, nothing crashes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { loadDataset } from '../../engine/data/cache.ts';
import { decodeImage } from '../../engine/data/decode.ts';
import { scanImageFolder } from '../../engine/data/scan.ts';
import { decodeModel } from '../../engine/onnx/model.ts';
import { openModel } from '../../engine/train/predictor.ts';
import { startTraining } from '../../engine/train/run-client.ts';
import { sampleProject } from '../fixtures/sample.ts';
import { tempDir as makeTempDir } from '../fixtures/temp.ts';
import { bmp24 } from '../fixtures/bmp.ts';

const tempDir = () => makeTempDir('nw-hostile-');

const asRoot = process.getuid?.() === 0;
const spec = { height: 32, width: 32, channels: 3 as const };

async function image(seed: number, format: 'png' | 'jpeg' | 'gif' | 'tiff' = 'png', size = 32): Promise<Buffer> {
  const data = Buffer.alloc(size * size * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 31) % 256;
  return sharp(data, { raw: { width: size, height: size, channels: 3 } })[format]().toBuffer();
}

/** The corpus: file (relative to the root) -> its bytes, and the reason it must be skipped with (or null: usable). */
async function corpus(root: string): Promise<Map<string, string | null>> {
  const expect = new Map<string, string | null>();
  const put = (rel: string, bytes: Uint8Array | string, reason: string | null): void => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, bytes);
    expect.set(rel, reason);
  };
  const png = await image(1);
  const bomb = Buffer.from(png);
  bomb.writeUInt32BE(300000, 16);
  bomb.writeUInt32BE(300000, 20);
  const bigBmp = bmp24(2, 2, 0);
  bigBmp.writeInt32LE(1 << 20, 18);
  bigBmp.writeInt32LE(1 << 20, 22);

  // Usable, whatever their names or extensions say.
  put('cat/good.png', png, null);
  put('cat/photo.jpg', await image(2, 'jpeg'), null);
  put('cat/anim.gif', await image(3, 'gif'), null);
  put('cat/scan.tiff', await image(4, 'tiff'), null);
  put('cat/old.bmp', bmp24(32, 32, 77), null);
  put('cat/really-a-jpeg.png', await image(5, 'jpeg'), null);
  put('cat/big.png', await image(6, 'png', 64), null);
  put('dog/a/b/c/d/e/f/g/h/i/j/deep.png', await image(7), null);
  put('dog/naïve café 猫 with spaces, and "quotes".png', await image(8), null);
  for (let i = 0; i < 6; i++) put(`dog/${i}.png`, await image(10 + i), null);
  // Bad, each with its reason.
  put('cat/empty.png', '', 'empty file');
  put('cat/cut.png', png.subarray(0, png.length - 40), 'truncated or corrupt PNG');
  put('cat/noise.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 0x55)]), 'truncated or corrupt JPEG');
  put('cat/notes.png', 'just some text, not a picture', 'not an image');
  put('cat/bomb.png', bomb, 'image is larger than 100 megapixels');
  put('cat/bomb.bmp', bigBmp, 'image is larger than 100 megapixels');
  put('cat/cut.bmp', bmp24(32, 32, 1).subarray(0, 200), 'truncated or corrupt BMP');
  put('cat/.DS_Store', 'x', 'hidden or system file (ignored)');
  put('dog/Thumbs.db', 'x', 'hidden or system file (ignored)');
  put('stray.png', png, 'not inside a class folder');
  fs.symlinkSync('self.png', path.join(root, 'cat', 'self.png'));
  expect.set('cat/self.png', 'symbolic link loop');
  fs.symlinkSync('nowhere.png', path.join(root, 'cat', 'dangling.png'));
  expect.set('cat/dangling.png', 'broken symbolic link');
  fs.symlinkSync('..', path.join(root, 'dog', 'up')); // a folder cycle back to the root: adds nothing
  expect.set('dog/up', 'symbolic link loop');
  fs.mkdirSync(path.join(root, 'empty-class'));
  expect.set('empty-class', 'empty class folder (ignored)');
  try {
    execFileSync('mkfifo', [path.join(root, 'cat', 'pipe.png')]);
    expect.set('cat/pipe.png', 'not a regular file (FIFO, socket or device)');
  } catch {
    // no mkfifo here: that case is not checked
  }
  if (!asRoot) {
    put('cat/locked.png', png, 'cannot read file (permission denied)');
    fs.chmodSync(path.join(root, 'cat', 'locked.png'), 0);
  }
  return expect;
}

test('every hostile file is skipped with its reason; the rest decode on the decoder threads', async () => {
  const root = tempDir();
  const expect = await corpus(root);
  const scan = await scanImageFolder(root, { valSplit: 0, seed: 1 });
  assert.deepEqual(scan.classNames, ['cat', 'dog']);
  // Two decoder threads, and a memory budget of 0: pixels stay on disk and are read per image.
  const data = await loadDataset(scan, spec, { cacheDir: tempDir(), workers: 2, memoryBudget: 0 });
  try {
    assert.equal(data.stats.workers, 2);
    assert.equal(data.train.inMemory, false);
    const got = new Map(data.skipped.map((s) => [path.relative(root, s.path), s.reason]));
    const bad = [...expect].filter(([, r]) => r !== null);
    assert.deepEqual([...got].sort(), bad.sort());
    const good = [...expect].filter(([, r]) => r === null).map(([p]) => p).sort();
    assert.deepEqual(data.train.paths.map((p) => path.relative(root, p)).sort(), good);
    // Pixels read back from the cache equal a direct decode.
    const i = data.train.paths.findIndex((p) => p.endsWith('old.bmp'));
    const px = new Uint8Array(data.train.size);
    data.train.read(i, px);
    assert.deepEqual(px, await decodeImage(path.join(root, 'cat', 'old.bmp'), spec));
    assert.deepEqual([...new Set(px)], [77]);
  } finally {
    data.close();
  }
});

test('the good files of a hostile folder train, with mean/std normalization and augmentation stored and used', async () => {
  const root = tempDir();
  await corpus(root);
  const doc = sampleProject({
    epochs: 2, batchSize: 4, valSplit: 0.25, lr: 0.003,
    data: { resize: 'center-crop', normalize: 'mean-std', cacheDir: tempDir(), augment: { hflip: true, cropPadding: 2, translate: 0.1, brightness: 0.2, contrast: 0.2 } },
  });
  doc.nodes.find((n) => n.id === 'fc')!.params.units = 2;
  const outDir = tempDir();
  const logs: string[] = [];
  const end = await startTraining({ doc, dataDir: root, outDir, threads: 1 }, (e) => {
    if (e.type === 'log') logs.push(e.message);
  }).finished;
  assert.equal(end.type, 'done', JSON.stringify(end));
  const csv = fs.readFileSync(path.join(outDir, 'skipped.csv'), 'utf8');
  assert.match(csv, /^path,reason\n/);
  assert.match(csv, /bomb\.png,image is larger than 100 megapixels/);
  assert.match(csv, /cut\.png,truncated or corrupt PNG/);
  assert.ok(logs.some((l) => /^skipped \d+ file\(s\) \(.*empty file.*\); see .*skipped\.csv$/.test(l)), logs.join('\n'));
  const report = JSON.parse(fs.readFileSync(path.join(outDir, 'dataset.json'), 'utf8'));
  assert.deepEqual(report.classNames, ['cat', 'dog']);

  const model = decodeModel(fs.readFileSync(path.join(outDir, 'model.onnx')));
  assert.equal(model.metadata['netwright.scaling'], '(x/255 - mean) / std');
  const mean = JSON.parse(model.metadata['netwright.mean']);
  const std = JSON.parse(model.metadata['netwright.std']);
  assert.equal(mean.length, 3);
  assert.ok(mean.every((m: number) => m > 0 && m < 1) && std.every((s: number) => s > 0), `${mean} ${std}`);
  const m = await openModel(path.join(outDir, 'model.onnx'));
  assert.deepEqual(m.scorer.normalization, { mean, std });
  await m.release();
});

test('a folder with nothing usable fails with one sentence saying what was expected', async () => {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'cat'));
  fs.mkdirSync(path.join(root, 'dog'));
  fs.writeFileSync(path.join(root, 'cat', 'a.png'), '');
  fs.writeFileSync(path.join(root, 'dog', 'b.jpg'), 'text');
  const doc = sampleProject({ epochs: 1, valSplit: 0, data: { resize: 'stretch', normalize: 'x/255', cacheDir: tempDir(), augment: { hflip: false, cropPadding: 0, translate: 0, brightness: 0, contrast: 0 } } });
  doc.nodes.find((n) => n.id === 'fc')!.params.units = 2;
  const end = await startTraining({ doc, dataDir: root, outDir: tempDir() }, () => {}).finished;
  assert.equal(end.type, 'error');
  assert.match(end.type === 'error' ? end.message : '', /^no usable training images in .*: every file was skipped \(see .*skipped\.csv\); expected PNG, JPEG, WebP, GIF, BMP or TIFF images in one subfolder per class$/);

  const hidden = tempDir();
  fs.writeFileSync(path.join(hidden, '.DS_Store'), 'x');
  await assert.rejects(scanImageFolder(hidden, { valSplit: 0, seed: 1 }), /^Error: Found no class folders in .*: expected .* to contain one subfolder per class, e\.g\. .*cat.*\*\.png$/);
});
