// The netwright CLI as a user runs it: a real process, real files, exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { listRuns, readCurves } from '../engine/session/runs.ts';
import { sampleData, tempDir } from './fixtures/sample.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/netwright.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });

test('validate prints the layer table and totals; exit 0', () => {
  const r = cli('validate', 'examples/lenet5.json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /conv2 +Conv2D +N x 16 x 10 x 10 +2,416/);
  assert.match(r.stdout, /total: 61,706 parameters/);
});

test('validate names the broken node and exits 1', () => {
  const dir = tempDir();
  const doc = JSON.parse(fs.readFileSync('examples/lenet5.json', 'utf8'));
  doc.edges = doc.edges.filter((e: { target: string }) => e.target !== 'fc1');
  doc.edges.push({ id: 'bad', source: 'pool2', target: 'fc1', targetPort: 0 });
  fs.writeFileSync(path.join(dir, 'net.json'), JSON.stringify(doc));
  const r = cli('validate', path.join(dir, 'net.json'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error: \[fc1\] Dense needs a vector input, but gets an image N x 16 x 5 x 5: insert a Flatten before it/);
  const missing = cli('validate', path.join(dir, 'nope.json'));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /cannot read .*nope.json: ENOENT/);
});

test('train -> predict -> eval on an image folder', () => {
  const data = sampleData(12);
  const out = tempDir();
  const t = cli('train', 'examples/sample-shapes.json', '--data', data, '--out', out, '--epochs', '2', '--batch', '16', '--val-split', '0.25', '--threads', '1');
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /epoch 2: loss [\d.]+ +acc [\d.]+% +val loss [\d.]+ +val acc [\d.]+%/);
  for (const f of ['model.onnx', 'init.onnx', 'metrics.csv', 'checkpoint.nwck']) assert.ok(fs.existsSync(path.join(out, f)), f);
  // run.json as the app writes it: the run shows in the app's runs table when it is under <project>/runs/.
  const runs = listRuns(path.dirname(out), null).filter((r) => r.runId === path.basename(out));
  assert.equal(runs.length, 1);
  assert.equal(runs[0].status, 'finished');
  assert.equal(runs[0].epochs, 2);
  assert.equal(runs[0].dataDir, path.resolve(data));
  assert.equal(runs[0].settings.device, 'cpu');
  assert.ok(runs[0].final && runs[0].final.valAccuracy !== null && runs[0].best && runs[0].hasModel, JSON.stringify(runs[0]));
  assert.equal(readCurves(runs[0].runId, out).epochs.length, 2);

  const img = path.join(data, 'cross', '0003.png');
  const p = cli('predict', path.join(out, 'model.onnx'), img, '--top', '2', '--json');
  assert.equal(p.status, 0, p.stderr);
  const pred = JSON.parse(p.stdout);
  assert.equal(pred[0].top.length, 2);
  assert.ok(['circle', 'cross', 'square', 'triangle'].includes(pred[0].top[0].class));
  assert.ok(pred[0].top[0].probability >= pred[0].top[1].probability);

  const e = cli('eval', path.join(out, 'model.onnx'), '--data', data, '--json');
  assert.equal(e.status, 0, e.stderr);
  const rep = JSON.parse(e.stdout);
  assert.equal(rep.count, 48);
  assert.equal(rep.confusion.length, 4);
  const diag = rep.confusion.reduce((s: number, row: number[], i: number) => s + row[i], 0);
  assert.equal(rep.accuracy, diag / 48);
  assert.deepEqual(rep.perClass.map((c: { support: number }) => c.support), [12, 12, 12, 12]);

  const bad = path.join(out, 'junk.png');
  fs.writeFileSync(bad, 'not an image');
  const pb = cli('predict', path.join(out, 'model.onnx'), bad);
  assert.equal(pb.status, 1);
  assert.match(pb.stderr, /junk.png: skipped \(not an image\)/);
  // Nothing classified (a missing file, a corrupt one, a truncated PNG): exit 1, also with --json.
  const truncated = path.join(out, 'truncated.png');
  fs.writeFileSync(truncated, fs.readFileSync(img).subarray(0, 100));
  for (const args of [[bad, path.join(out, 'missing.png'), truncated], [path.join(out, 'missing.png')], [truncated, '--json']]) {
    const none = cli('predict', path.join(out, 'model.onnx'), ...args);
    assert.equal(none.status, 1, args.join(' '));
    if (args.includes('--json')) assert.ok(JSON.parse(none.stdout).every((r: { error?: string }) => r.error), none.stdout);
    else assert.match(none.stderr, /none of the \d image\(s\) could be classified/);
  }
  assert.match(cli('predict', path.join(out, 'model.onnx'), path.join(out, 'missing.png')).stderr, /missing\.png: skipped \(cannot read file \(ENOENT\)\)/);
});

test('train refuses a bad option with a clear message', () => {
  const r = cli('train', 'examples/mlp.json', '--data', '/nonexistent', '--lr', '-1');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--lr: .*>0/i);
});

test('import-idx turns IDX files into class folders of PNGs', () => {
  const dir = tempDir();
  const images = Buffer.alloc(16 + 3 * 4 * 4);
  images.writeUInt32BE(0x00000803, 0);
  images.writeUInt32BE(3, 4);
  images.writeUInt32BE(4, 8);
  images.writeUInt32BE(4, 12);
  for (let i = 0; i < 48; i++) images[16 + i] = i * 5;
  const labels = Buffer.from([0, 0, 8, 1, 0, 0, 0, 3, 2, 0, 1]);
  fs.writeFileSync(path.join(dir, 'img.gz'), gzipSync(images));
  fs.writeFileSync(path.join(dir, 'lab'), labels);
  const r = cli('import-idx', path.join(dir, 'img.gz'), path.join(dir, 'lab'), '--out', path.join(dir, 'out'), '--classes', 'a,b,c');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 3 images .*a 1, b 1, c 1/);
  assert.ok(fs.existsSync(path.join(dir, 'out', 'c', '00000.png')));
  assert.ok(fs.existsSync(path.join(dir, 'out', 'b', '00002.png')));
});
