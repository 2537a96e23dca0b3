// "Inside the project" by path segments (engine/session/project.ts inside(), used by
// engine/session/files.ts and Project): a name that starts with two dots is a name, not a way up.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { inside, Project } from '../../engine/session/project.ts';
import { FileAccess } from '../../engine/session/files.ts';
import { tempDir } from '../fixtures/temp.ts';

test('inside(): segments, not string prefixes', () => {
  const d = path.resolve('/p/project');
  for (const p of ['', '..foo.json', '..', '..dir/x.json', 'a/..b', '...', 'a/../b']) assert.equal(inside(d, path.join(d, p)), p !== '..' , p);
  for (const p of ['/p/projectx', '/p', '/p/project/../other', '/', '/p/..project']) assert.equal(inside(d, path.resolve(p)), false, p);
});

test('files named ..foo.json inside the project open, save and stay in the recent list; ../ is still refused', () => {
  const base = tempDir();
  const root = path.join(base, 'project');
  fs.mkdirSync(path.join(root, '..dir'), { recursive: true });
  fs.writeFileSync(path.join(root, '..foo.json'), '{"a":1}');
  fs.writeFileSync(path.join(root, '..dir', 'x.json'), '{}');
  fs.writeFileSync(path.join(base, 'outside.json'), '{}');
  const files = new FileAccess(root, path.join(base, 'recent.json'));
  assert.equal(files.openFile('..foo.json').text, '{"a":1}');
  assert.equal(files.openFile(path.join(root, '..dir', 'x.json')).path, path.join(fs.realpathSync(root), '..dir', 'x.json'));
  assert.equal(files.saveFile('..new.json', '{}', { chosen: true }).path, path.join(fs.realpathSync(root), '..new.json'));
  assert.equal(files.listDir('..dir', 'documents').entries.length, 1);
  assert.deepEqual(files.recentFiles().map((f) => path.basename(f)).sort(), ['..foo.json', '..new.json', 'x.json']);
  assert.throws(() => files.openFile('../outside.json'), /outside the project folder/);
  assert.throws(() => files.listDir('..', 'documents'), /outside the project folder/);
  // The dataset rule uses the same test.
  const project = new Project(root);
  fs.mkdirSync(path.join(root, '..data'));
  assert.equal(project.dataDir('..data'), path.join(fs.realpathSync(root), '..data'));
  assert.throws(() => project.dataDir('..'), /outside the project folder/);
});
