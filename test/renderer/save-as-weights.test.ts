// Save as into another folder keeps an imported model's weights file reachable: the document's
// relative `weights` is rewritten for the new folder, in the open document and its history.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rebaseRelative } from '../../engine/graph/relative-path.ts';
import { EditorStore } from '../../renderer/store/editor-store.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';

test('rebaseRelative: the same file seen from another folder', () => {
  assert.equal(rebaseRelative('net.weights.safetensors', '/p/models/net.json', '/p/models/copy.json'), 'net.weights.safetensors');
  assert.equal(rebaseRelative('net.weights.safetensors', '/p/models/net.json', '/p/other/net.json'), '../models/net.weights.safetensors');
  assert.equal(rebaseRelative('w/net.safetensors', '/p/net.json', '/p/a/b/net.json'), '../../w/net.safetensors');
  assert.equal(rebaseRelative('../w.safetensors', '/p/a/net.json', '/p/net.json'), 'w.safetensors');
  assert.equal(rebaseRelative('/abs/w.safetensors', '/p/net.json', '/q/net.json'), '/abs/w.safetensors');
  assert.equal(rebaseRelative('w.safetensors', 'C:\\p\\net.json', 'C:\\p\\sub\\net.json'), '../w.safetensors');
});

test('Save as elsewhere rewrites weights in what is written, the open document and its history', () => {
  const doc = { ...TEMPLATES[1].make(), weights: 'lenet.weights.safetensors' };
  const s = new EditorStore(doc, '/p/models/lenet.json');
  s.setName('renamed');
  const target = '/p/copies/lenet.json';
  const written = s.docFor(target);
  assert.equal(written.weights, '../models/lenet.weights.safetensors');
  assert.equal(JSON.parse(s.serialize(written)).weights, '../models/lenet.weights.safetensors');
  s.markSaved(target, written);
  assert.equal(s.doc.weights, '../models/lenet.weights.safetensors');
  assert.equal(s.getState().path, target);
  s.undo();
  assert.equal(s.doc.weights, '../models/lenet.weights.safetensors', 'undo keeps the rebased reference');
  // Saving again in place changes nothing.
  assert.equal(s.docFor(target), s.doc);
});
