// Batch prediction (engine/train/predictor.ts, `netwright predict`): folders walked recursively,
// one row per file with the top-k classes, the true class from class folders, and the reason
// for every file that cannot be classified.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import { encodeModel } from '../../engine/onnx/model.ts';
import { collectImages, openModel, predictFiles } from '../../engine/train/predictor.ts';
import { sampleData, sampleProject } from '../fixtures/sample.ts';
import { tempDir } from '../fixtures/temp.ts';

const CLASSES = ['circle', 'cross', 'square', 'triangle'];
const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/netwright.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });

function modelFile(): string {
  const doc = sampleProject();
  const file = path.join(tempDir('nw-pred-'), 'model.onnx');
  fs.writeFileSync(file, encodeModel(buildInferenceModel(doc, initialValues(lowerForward(doc, 'infer', 'inputs'), 3), { classNames: CLASSES, extra: { 'netwright.document': JSON.stringify(doc) } })));
  return file;
}

test('a folder is walked recursively: every image one row, the class folder as true class, bad files with their reason', async () => {
  const data = sampleData(3);
  fs.mkdirSync(path.join(data, 'square', 'nested'));
  fs.copyFileSync(path.join(data, 'square', '0000.png'), path.join(data, 'square', 'nested', 'copy.png'));
  fs.writeFileSync(path.join(data, 'circle', 'broken.png'), 'not an image');
  fs.writeFileSync(path.join(data, '.DS_Store'), 'litter');
  const m = await openModel(modelFile());
  const files = collectImages([data], m.classNames);
  assert.equal(files.length, 4 * 3 + 2);
  const rows = await predictFiles(m, files, { top: 2, batch: 5, chunk: 4 });
  await m.release();
  assert.equal(rows.find((r) => r.path.endsWith('copy.png'))!.trueClass, 'square');
  assert.equal(rows.find((r) => r.path.endsWith('broken.png'))!.error, 'not an image');
  for (const r of rows.filter((x) => !x.error)) {
    assert.equal(r.top!.length, 2);
    assert.ok(r.top![0].probability >= r.top![1].probability && CLASSES.includes(r.top![0].class));
  }
  // Batching and chunking do not change a row: one image alone gives the same figures.
  const one = await openModel(modelFile());
  const single = await predictFiles(one, [{ path: rows[0].path }], { top: 2 });
  await one.release();
  assert.ok(Math.abs(single[0].top![0].probability - rows[0].top![0].probability) < 1e-6);
});

test('netwright predict --csv writes one row per file; exit 1 only when nothing could be classified', () => {
  const data = sampleData(2);
  fs.writeFileSync(path.join(data, 'cross', 'junk.png'), 'junk');
  const model = modelFile();
  const csv = path.join(tempDir('nw-pred-'), 'out.csv');
  const r = cli('predict', model, data, '--csv', csv, '--top-k', '3', '--batch', '3');
  assert.equal(r.status, 0, r.stderr);
  const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'path,true_class,class_1,probability_1,class_2,probability_2,class_3,probability_3,error');
  assert.equal(lines.length, 1 + 4 * 2 + 1);
  assert.match(lines.find((l) => l.includes('junk.png'))!, /,cross,,,,,,,not an image$/);
  assert.match(r.stderr, /classified 8 of 9 file\(s\)/);
  const bad = cli('predict', model, path.join(data, 'cross', 'junk.png'));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /junk.png: skipped \(not an image\)/);
});
