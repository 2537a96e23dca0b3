// report.ts and `netwright dataset inspect`: counts, imbalance, duplicates, train/val leakage.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { encode } from 'fast-png';
import { loadDataset } from '../../engine/data/cache.ts';
import { datasetReport, formatReport } from '../../engine/data/report.ts';
import { scanImageFolder } from '../../engine/data/scan.ts';
import { tempDir as makeTempDir } from '../fixtures/temp.ts';

const tempDir = () => makeTempDir('nw-report-');
const png = (v: number): Uint8Array => encode({ width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(v) });
const put = (file: string, bytes: Uint8Array | string): void => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
};

/** train/ and val/ with a duplicate inside train and one image shared by train and val. */
function fixture(): string {
  const root = tempDir();
  for (let i = 0; i < 9; i++) put(path.join(root, 'train', 'ant', `${i}.png`), png(i));
  put(path.join(root, 'train', 'ant', 'copy of 0.png'), png(0));
  for (let i = 0; i < 2; i++) put(path.join(root, 'train', 'bee', `${i}.png`), png(100 + i));
  put(path.join(root, 'val', 'ant', 'v.png'), png(5)); // same bytes as train/ant/5.png
  put(path.join(root, 'val', 'bee', 'w.png'), png(200));
  put(path.join(root, 'val', 'bee', 'broken.png'), '');
  return root;
}

test('counts per class and split, imbalance, duplicates and leakage', async () => {
  const root = fixture();
  const scan = await scanImageFolder(root, { valSplit: 0.5, seed: 1 });
  const data = await loadDataset(scan, { height: 4, width: 4, channels: 1 }, { cacheDir: false });
  data.close();
  const r = datasetReport(scan, data);
  assert.equal(r.layout, 'train-val');
  assert.deepEqual(r.classes, [{ name: 'ant', label: 0, train: 10, val: 1 }, { name: 'bee', label: 1, train: 2, val: 1 }]);
  assert.deepEqual(r.totals, { train: 12, val: 2, skipped: 1 });
  assert.deepEqual(r.skippedByReason, { 'empty file': 1 });
  assert.deepEqual(r.duplicates.map((g) => g.sort()), [['train/ant/0.png', 'train/ant/copy of 0.png'], ['train/ant/5.png', 'val/ant/v.png']].map((g) => g.map(path.normalize)));
  assert.deepEqual(r.leakage, [{ train: [path.normalize('train/ant/5.png')], val: [path.normalize('val/ant/v.png')] }]);
  assert.equal(r.warnings.length, 3);
  assert.match(r.warnings[0], /^class imbalance: bee \(2\) has at most 1\/3 of the training images of ant \(10\)$/);
  assert.match(r.warnings[1], /^2 group\(s\) of identical images \(4 files\)$/);
  assert.match(r.warnings[2], /^1 image\(s\) appear in both train and validation/);
  const text = formatReport(r);
  assert.match(text, /2 classes, 12 training and 2 validation images/);
  assert.match(text, /skipped 1 file\(s\): 1 empty file/);
});

test('a single class is flagged', async () => {
  const root = tempDir();
  put(path.join(root, 'only', 'a.png'), png(1));
  const scan = await scanImageFolder(root, { valSplit: 0, seed: 1 });
  const data = await loadDataset(scan, { height: 4, width: 4, channels: 1 }, { cacheDir: false });
  data.close();
  assert.match(datasetReport(scan, data).warnings.join('\n'), /only one class \(only\): a classifier needs at least two class folders/);
});

test('netwright dataset inspect --json, then again from the cache', () => {
  const root = fixture();
  const cache = tempDir();
  const run = () => JSON.parse(execFileSync('node', ['bin/netwright.js', 'dataset', 'inspect', root, '--json', '--size', '4', '--channels', '1', '--cache-dir', cache], { encoding: 'utf8' }));
  const first = run();
  assert.deepEqual(first.classNames, ['ant', 'bee']);
  assert.equal(first.leakage.length, 1);
  assert.deepEqual([first.decode.decoded, first.decode.fromCache], [15, 0]);
  const second = run();
  assert.deepEqual([second.decode.decoded, second.decode.fromCache], [0, 15]);
  const text = execFileSync('node', ['bin/netwright.js', 'dataset', 'inspect', root, '--size', '4x4', '--cache-dir', cache], { encoding: 'utf8' });
  assert.match(text, /warning: 1 image\(s\) appear in both train and validation/);
});
