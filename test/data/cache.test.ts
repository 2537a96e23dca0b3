// cache.ts: a second run decodes nothing; a changed, added or removed file touches only its entry.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { encode } from 'fast-png';
import { loadDataset, type LoadedDataset } from '../../engine/data/cache.ts';
import { scanImageFolder } from '../../engine/data/scan.ts';
import { spawnWorker } from '../../engine/threads.ts';
import { tempDir as makeTempDir } from '../fixtures/temp.ts';

const tempDir = () => makeTempDir('nw-cache-');

const spec = { height: 4, width: 4, channels: 1 as const };
const png = (v: number, size = 4): Uint8Array => encode({ width: size, height: size, channels: 1, data: new Uint8Array(size * size).fill(v) });
const pixelsOf = (d: LoadedDataset): Map<string, number> => {
  const out = new Map<string, number>();
  const px = new Uint8Array(d.train.size);
  d.train.paths.forEach((p, i) => {
    d.train.read(i, px);
    out.set(path.basename(p), px[0]);
  });
  return out;
};

test('second run reads no image; changed, added and removed files invalidate just their entries', async () => {
  const root = tempDir();
  const cacheDir = tempDir();
  for (let i = 0; i < 40; i++) fs.mkdirSync(path.join(root, `c${i % 2}`), { recursive: true });
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(root, `c${i % 2}`, `${i}.png`), png(i));
  fs.writeFileSync(path.join(root, 'c0', 'bad.png'), 'not an image');
  const load = async (opts: { workers?: number; resize?: 'letterbox' } = {}) => {
    const scan = await scanImageFolder(root, { valSplit: 0, seed: 1 });
    const d = await loadDataset(scan, { ...spec, resize: opts.resize }, { cacheDir, workers: opts.workers ?? 0 });
    d.close();
    return d;
  };

  const first = await load({ workers: 2 });
  assert.deepEqual({ ...first.stats, workers: 0 }, { files: 41, decoded: 41, fromCache: 0, workers: 0 });
  assert.deepEqual(first.skipped.map((s) => s.reason), ['not an image']);

  const second = await load();
  assert.deepEqual(second.stats, { files: 41, decoded: 0, fromCache: 41, workers: 0 }, 'nothing decoded, not even the bad file');
  assert.deepEqual(pixelsOf(second), pixelsOf(first));
  assert.deepEqual(second.skipped, first.skipped);
  assert.deepEqual(second.train.hashes, first.train.hashes);

  // Change one (new size and mtime), add one, remove one, fix the bad one.
  fs.writeFileSync(path.join(root, 'c0', '0.png'), png(200, 8));
  fs.writeFileSync(path.join(root, 'c1', 'new.png'), png(123));
  fs.rmSync(path.join(root, 'c1', '1.png'));
  fs.writeFileSync(path.join(root, 'c0', 'bad.png'), png(99));
  const third = await load();
  assert.deepEqual(third.stats, { files: 41, decoded: 3, fromCache: 38, workers: 0 });
  const px = pixelsOf(third);
  assert.equal(px.get('0.png'), 200);
  assert.equal(px.get('new.png'), 123);
  assert.equal(px.get('bad.png'), 99);
  assert.equal(px.has('1.png'), false);
  for (let i = 2; i < 40; i++) assert.equal(px.get(`${i}.png`), i);
  assert.deepEqual(third.skipped, []);

  // The removed file's slot is reused: the pixel file does not grow.
  const bytes = fs.statSync(path.join(third.cacheFolder, 'pixels.u8')).size;
  fs.writeFileSync(path.join(root, 'c1', 'newer.png'), png(7));
  const fourth = await load();
  assert.equal(fourth.stats.decoded, 1);
  assert.equal(fs.statSync(path.join(fourth.cacheFolder, 'pixels.u8')).size, bytes);
  assert.equal(pixelsOf(fourth).get('newer.png'), 7);
  assert.equal(pixelsOf(fourth).get('new.png'), 123);

  // Other resize settings are another cache.
  const boxed = await load({ resize: 'letterbox' });
  assert.equal(boxed.stats.decoded, 42);
  assert.notEqual(boxed.cacheFolder, fourth.cacheFolder);
});

test('a throwaway cache is removed on close; splits within the memory budget are held in memory', async () => {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'a'));
  fs.mkdirSync(path.join(root, 'b'));
  for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(root, i % 2 ? 'a' : 'b', `${i}.png`), png(i));
  const scan = await scanImageFolder(root, { valSplit: 0.2, seed: 3 });
  const d = await loadDataset(scan, spec, { cacheDir: false });
  assert.ok(d.train.inMemory && d.val.inMemory);
  assert.equal(d.train.count + d.val.count, 10);
  assert.equal(d.val.count, 2);
  assert.ok(fs.existsSync(d.cacheFolder));
  d.close();
  assert.equal(fs.existsSync(d.cacheFolder), false);
});

test('loaders on several threads filling one fresh cache at once, with different splits, all read the right pixels', async () => {
  const root = tempDir();
  const cacheDir = tempDir();
  for (let i = 0; i < 300; i++) {
    fs.mkdirSync(path.join(root, `c${i % 3}`), { recursive: true });
    fs.writeFileSync(path.join(root, `c${i % 3}`, `${i}.png`), png((i % 250) + 1));
  }
  // Different splits list the files in different orders (a report, and training with 20% held out).
  const load = (valSplit = 0, seed = 1) => new Promise<[string, number][]>((resolve, reject) => {
    const w = spawnWorker(new URL('../fixtures/cache-loader.ts', import.meta.url), { root, cacheDir, valSplit, seed });
    w.once('message', (m) => (resolve(m), void w.terminate()));
    w.once('error', reject);
  });
  const results = await Promise.all([load(), load(0.2, 3), load(0.5, 9)]);
  results.push(await load());
  for (const r of results) {
    assert.equal(r.length, 300);
    for (const [name, v] of r) assert.equal(v, (Number(name.split('.')[0]) % 250) + 1, name);
  }
  const folder = path.join(cacheDir, fs.readdirSync(cacheDir)[0]);
  assert.ok(!fs.readdirSync(folder).some((f) => f.endsWith('.tmp')), 'no index temp file left');
});
