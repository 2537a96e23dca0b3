// Run display names (renameRun) survive the run's own later writes; listRuns carries the title,
// the document path and a failed run's reason; the file dialog lists symlinked folders.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { finishRecord, listRuns, newRunRecord, renameRun, writeRunRecord } from '../../engine/session/runs.ts';
import { FileAccess } from '../../engine/session/files.ts';
import { sampleProject, tempDir } from '../fixtures/sample.ts';

test('a title set mid-run is kept when the run writes run.json at its end; an error run lists its reason', () => {
  const runs = tempDir();
  const dir = path.join(runs, 'r1');
  fs.mkdirSync(dir);
  const rec = newRunRecord(sampleProject(), runs, '/p/net.json', 'cpu');
  writeRunRecord(dir, rec);
  assert.deepEqual(renameRun('r1', dir, '  first   try '), { runId: 'r1', title: 'first try' });
  writeRunRecord(dir, finishRecord(rec, { type: 'error', message: 'only one class (a)' }, undefined));
  const [r] = listRuns(runs, null);
  assert.equal(r.title, 'first try');
  assert.equal(r.status, 'error');
  assert.equal(r.error, 'only one class (a)');
  assert.equal(r.docPath, '/p/net.json');
  renameRun('r1', dir, '');
  assert.equal(listRuns(runs, null)[0].title, null, 'an empty title restores the default');
});

test('the file dialog lists a symlinked folder and follows it inside the root, refusing one outside', () => {
  const root = tempDir();
  const outside = tempDir();
  fs.mkdirSync(path.join(root, 'real'));
  fs.symlinkSync(path.join(root, 'real'), path.join(root, 'inside-link'));
  fs.symlinkSync(outside, path.join(root, 'outside-link'));
  const files = new FileAccess(root, path.join(root, '.config', 'recent.json'));
  const names = files.listDir('', 'documents').entries.filter((e) => e.kind === 'dir').map((e) => e.name);
  assert.deepEqual(names, ['inside-link', 'outside-link', 'real']);
  assert.equal(files.listDir('inside-link', 'documents').dir, fs.realpathSync(path.join(root, 'real')));
  assert.throws(() => files.listDir('outside-link', 'documents'), /outside the project folder/);
});
