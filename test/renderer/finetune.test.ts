// Fine-tuning in the editor: the frozen checkbox, "Freeze up to here" (one undo step) and
// "Replace head" in the store, and the inspector showing those controls.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import * as React from 'react';
import { createElement as h } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { parseDocument } from '../../engine/graph/document.ts';
import { Ctx, type EditorContext } from '../../renderer/components/context.ts';
import { EditorStore } from '../../renderer/store/editor-store.ts';

(globalThis as { React?: unknown }).React = React;
// react-i18next's global instance (initReactI18next), in English as the test browser is.
const { createI18n } = await import('../../renderer/i18n/index.ts');
createI18n('en');
const { Inspector } = await import('../../renderer/components/Inspector.tsx');

function lenet(): EditorStore {
  const r = parseDocument(fs.readFileSync('examples/lenet5.json', 'utf8'));
  if (!r.ok) throw new Error('examples/lenet5.json');
  return new EditorStore(r.doc);
}
const frozenIds = (s: EditorStore) => s.doc.nodes.filter((n) => n.frozen).map((n) => n.id);

test('freeze up to here freezes the layer and everything upstream of it, in one undo step', () => {
  const s = lenet();
  s.freezeUpTo('pool2');
  assert.deepEqual(frozenIds(s), ['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'pool2']);
  assert.deepEqual(s.getState().undoAction, { key: 'freeze-up-to' });
  s.undo();
  assert.deepEqual(frozenIds(s), []);
  s.redo();
  s.setFrozen('conv2', false);
  assert.deepEqual(frozenIds(s), ['conv1', 'relu1', 'pool1', 'relu2', 'pool2']);
  assert.ok(!('frozen' in s.node('conv2')!), 'an unfrozen node leaves the flag out of the document');
  s.setFrozen('fc1', true);
  assert.ok(s.node('fc1')!.frozen);
  // Saved and read back, the flags survive.
  const back = parseDocument(s.serialize());
  assert.ok(back.ok && back.doc.nodes.find((n) => n.id === 'fc1')!.frozen === true);
});

test('replace head gives the last Dense fresh units under a new id, selected, unfrozen; one undo step', () => {
  const s = lenet();
  s.freezeUpTo('fc3');
  const id = s.replaceHead(4)!;
  assert.equal(id, 'head');
  const head = s.node(id)!;
  assert.equal(head.params.units, 4);
  assert.ok(!head.frozen);
  assert.equal(s.node('fc3'), undefined);
  assert.deepEqual(s.getState().selection.nodes, [id]);
  assert.equal(s.analysis().shapes.get('output')![0], 4);
  assert.ok(s.analysis().ok);
  s.undo();
  assert.ok(s.node('fc3') && s.node('fc3')!.params.units === 10);
});

test('the inspector shows the frozen checkbox, freeze up to here, and replace head on the head', () => {
  const s = lenet();
  const ctx = { store: s, client: {}, notify() {} } as unknown as EditorContext;
  const render = () => renderToStaticMarkup(h(Ctx.Provider, { value: ctx }, h(Inspector, { state: s.getState(), analysis: s.analysis() })));
  s.select({ nodes: ['conv2'], edges: [] });
  let html = render();
  assert.match(html, /id="node-frozen" type="checkbox" name="frozen"\/>/);
  assert.match(html, /Freeze up to here/);
  assert.doesNotMatch(html, /Replace head/, 'only on the head');
  s.setFrozen('conv2', true);
  assert.match(render(), /id="node-frozen" type="checkbox" name="frozen" checked=""/);
  s.select({ nodes: ['fc3'], edges: [] });
  html = render();
  assert.match(html, /Replace head/);
  s.select({ nodes: [], edges: [] });
  assert.match(render(), /Replace head/, 'and on the network panel');
});
