// engine/printable.ts: names with line breaks, terminal escapes or bidi controls are printed
// quoted and escaped by every text output of the CLI; `dataset inspect` on such files keeps
// one entry per line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { printable } from '../engine/printable.ts';
import { sampleData } from './fixtures/sample.ts';

test('printable(): plain names as they are, the others as a JSON string with every control escaped', () => {
  for (const s of ['a.png', 'ünïcödé 日本.png', 'C:\\data\\x.png', 'with space', 'emoji 👍🏽.png']) assert.equal(printable(s), s);
  assert.equal(printable('a\nb.png'), '"a\\nb.png"');
  assert.equal(printable('red\x1b[31m'), '"red\\u001b[31m"');
  assert.equal(printable('gnp.\u202eexe'), '"gnp.\\u202eexe"');
  assert.equal(printable('del\x7f c1\x9b'), '"del\\u007f c1\\u009b"');
  assert.equal(printable('q"\r\t'), '"q\\"\\r\\t"');
  for (const s of ['a\nb', '\x1b]0;x\x07', '\u2028', '\u2066x']) assert.equal(JSON.parse(printable(s)), s, 'the quoted form reads back as the name');
});

test('dataset inspect: a file name with a newline and an escape stays on its line, escaped', () => {
  const data = sampleData(4);
  const evil = 'bad\nname\x1b[2J.png';
  fs.writeFileSync(path.join(data, 'circle', evil), 'not an image');
  fs.copyFileSync(path.join(data, 'cross', '0000.png'), path.join(data, 'cross', 'copy\nof.png'));
  const r = spawnSync(process.execPath, ['bin/netwright.js', 'dataset', 'inspect', data, '--no-cache', '--size', '16'], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!/\x1b/.test(r.stdout), 'no escape sequence reaches the terminal');
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes(`  "circle/bad\\nname\\u001b[2J.png": not an image`), r.stdout);
  assert.ok(lines.includes(`  identical: cross/0000.png, "cross/copy\\nof.png"`), r.stdout);
  assert.ok(!lines.some((l) => l.startsWith('name') || l.startsWith('of.png')), 'no name is split over two lines');
});
