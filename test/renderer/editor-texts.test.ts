// The editor's own messages in each UI language: the Undo/Redo labels of every kind of edit, a
// refused wire (the engine's problem, `engine.<code>`) and a refused grouping. A history key or a
// refusal without a text fails here; so does a Chinese text that still shows the English one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createI18n } from '../../renderer/i18n/index.ts';
import { actionText } from '../../renderer/i18n/actions.ts';
import { problemText } from '../../renderer/i18n/problems.ts';
import { EditorStore, HISTORY_KEYS, type EditAction, type GroupRefusal } from '../../renderer/store/editor-store.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';

const en = createI18n('en', false);
const zh = createI18n('zh-CN', false);
const HAN = /[\u4e00-\u9fff]/;

test('every kind of edit has an undo label in every language', () => {
  const sample: EditAction['params'] = { type: 'Conv2D', param: 'filters', count: 2, name: 'Block 1' };
  for (const key of HISTORY_KEYS) {
    for (const inst of [en, zh]) {
      assert.ok(inst.exists(`history.${key}`), `${inst.language}: history.${key} is missing`);
      const text = actionText(inst.t, { key, params: sample });
      assert.doesNotMatch(text, /[{}]|history\./, `${inst.language}: ${key}: ${text}`);
    }
    assert.match(actionText(zh.t, { key, params: sample }), HAN, `zh-CN: history.${key} is not Chinese`);
  }
});

test('the store labels its edits; the label names the layer kind and the parameter in the UI language', () => {
  const s = new EditorStore();
  const conv = s.addNode('Conv2D', { x: 0, y: 0 });
  assert.deepEqual(s.getState().undoAction, { key: 'add', params: { type: 'Conv2D' } });
  assert.equal(actionText(en.t, s.getState().undoAction!), 'add Conv2D');
  assert.equal(actionText(zh.t, s.getState().undoAction!), '添加二维卷积');
  s.setParam(conv, 'filters', 8);
  assert.equal(actionText(en.t, s.getState().undoAction!), 'set filters');
  assert.equal(actionText(zh.t, s.getState().undoAction!), '设置卷积核数');
  const pool = s.addNode('MaxPool2D', { x: 0, y: 90 });
  s.remove([conv, pool]);
  assert.equal(actionText(en.t, s.getState().undoAction!), 'delete 2 layers');
  assert.equal(actionText(zh.t, s.getState().undoAction!), '删除 2 层');
  s.undo();
  assert.equal(actionText(zh.t, s.getState().redoAction!), '删除 2 层');
  assert.equal(actionText(zh.t, s.getState().undoAction!), '添加最大池化');
});

test('a refused wire: English is the engine message, Chinese its engine.<code> text', () => {
  const s = new EditorStore();
  const inp = s.addNode('Input', { x: 0, y: 0 });
  const relu = s.addNode('ReLU', { x: 0, y: 90 });
  const relu2 = s.addNode('ReLU', { x: 0, y: 180 });
  const add = s.addNode('Add', { x: 0, y: 270 });
  const out = s.addNode('Output', { x: 0, y: 360 });
  assert.ok('id' in s.connect(inp, relu));
  assert.ok('id' in s.connect(relu, add, 0));
  assert.ok('id' in s.connect(add, relu2));
  const refusals = [s.connect(relu, inp), s.connect(out, add, 1), s.connect(relu, relu), s.connect(inp, add, 0), s.connect(relu2, add, 1), s.connect(inp, add, 2)];
  const codes: string[] = [];
  for (const r of refusals) {
    assert.ok('refused' in r, JSON.stringify(r));
    codes.push(`${r.problem.code}/${r.problem.params?.form ?? ''}`);
    assert.equal(problemText(en.t, en, r.problem), r.refused, 'English: the engine message');
    const text = problemText(zh.t, zh, r.problem);
    assert.notEqual(text, r.problem.message, `${r.problem.code} is shown in English`);
    assert.match(text, HAN, text);
    assert.doesNotMatch(text, /[{}]/, text);
  }
  assert.deepEqual(codes, ['bad-port/none', 'output-has-consumer/', 'cycle/self', 'port-wired-twice/', 'cycle/new', 'bad-port/missing']);
  const twice = refusals[3] as { problem: Parameters<typeof problemText>[2] };
  assert.equal(problemText(zh.t, zh, twice.problem), `Add "${add}" 的输入 1 被连接了两次（来自 ${relu} 和 ${inp}）`);
});

test('a refused grouping says why in each language', () => {
  const s = new EditorStore(TEMPLATES.find((t) => t.id === 'resnet')!.make());
  const ids = s.doc.nodes.map((n) => n.id);
  s.select({ nodes: [ids[0]], edges: [] });
  const few = s.groupSelection() as GroupRefusal;
  assert.equal(few.key, 'too-few');
  assert.equal(en.t(`groupRefusal.${few.key}`, few.params ?? {}), few.refused);
  for (const key of ['too-few', 'in-block', 'not-connected']) {
    const text = zh.t(`groupRefusal.${key}`, { layer: 'conv1', block: 'Block 1' });
    assert.match(text, HAN, key);
    assert.doesNotMatch(text, /[{}]/, key);
  }
  const inBlock = { refused: 'x is already in block “Block 1”; ungroup it first', key: 'in-block', params: { layer: 'x', block: 'Block 1' } } as const;
  assert.equal(en.t(`groupRefusal.${inBlock.key}`, inBlock.params), inBlock.refused);
});
