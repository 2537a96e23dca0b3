// The editor's node and palette components, rendered to markup without a browser (the
// Chromium e2e suite drives them for real; this checks what they show for given data).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReactFlowProvider } from '@xyflow/react';
import * as React from 'react';
import { createElement as h, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { withDefaults } from '../../engine/graph/layer.ts';
import { LAYERS, layerDef } from '../../engine/graph/registry.ts';
import { Ctx, type EditorContext } from '../../renderer/components/context.ts';
import type { LayerData } from '../../renderer/components/LayerNode.tsx';

// tsx applies a tsconfig only to the files it includes, so renderer/*.tsx compile here with the
// classic JSX runtime, which calls the global React.createElement (vite builds them with react-jsx).
(globalThis as { React?: unknown }).React = React;
// react-i18next's global instance (initReactI18next), in English as the test browser is.
const { createI18n } = await import('../../renderer/i18n/index.ts');
createI18n('en');
const { fixLabel, LayerNode } = await import('../../renderer/components/LayerNode.tsx');
const { Palette } = await import('../../renderer/components/Palette.tsx');

const applied: unknown[] = [];
const ctx = { store: { applyFix: (p: unknown) => applied.push(p) }, client: {}, notify() {} } as unknown as EditorContext;
const wrap = (el: ReactNode) => renderToStaticMarkup(h(ReactFlowProvider, null, h(Ctx.Provider, { value: ctx }, el)));

/** A layer kind's real summary parts for `params`. */
const parts = (type: string, params: Record<string, number | string> = {}) => layerDef(type)!.summary(withDefaults(layerDef(type)!, params));

function node(data: Partial<LayerData>): string {
  const full: LayerData = { type: 'Conv2D', title: 'conv1', category: 'convolution', summary: parts('Conv2D', { filters: 6, kernel: 5, padding: 'explicit', pad: 2 }), params: 156, inShapes: [[1, 28, 28]], outShape: [6, 28, 28], hasOutput: true, ...data };
  const props = { id: 'conv1', data: full, type: 'layer', selected: false, dragging: false, zIndex: 0, isConnectable: true, positionAbsoluteX: 0, positionAbsoluteY: 0, draggable: true, selectable: true, deletable: true };
  return wrap(h(LayerNode as never, props as never));
}

test('a layer node shows its kind, name, key params and parameter count, with typed ports', () => {
  const html = node({});
  assert.match(html, /class="layer-type">Conv2D</);
  assert.match(html, /class="layer-name">conv1</);
  assert.match(html, /6 · 5x5 · s1 · pad 2/);
  assert.match(html, /156 p</);
  assert.equal((html.match(/port port-image/g) ?? []).length, 2, 'an image input port and an image output port');
  assert.match(html, /title="input 1: N x 1 x 28 x 28"/);
  assert.doesNotMatch(html, /role="alert"/);
});

test('Add shows one numbered port per input, vectors typed as vectors; the head has no output port', () => {
  const add = node({ type: 'Add', title: 'add', category: 'merge', summary: parts('Add', { inputs: 3 }), params: 0, inShapes: [[10], [10], undefined], outShape: [10] });
  assert.equal((add.match(/port-label/g) ?? []).length, 3);
  assert.match(add, /input 3 \(not connected\)/);
  assert.equal((add.match(/port port-vector/g) ?? []).length, 3);
  assert.doesNotMatch(add, /trainable parameters/);
  assert.match(add, /class="layer-summary">3 inputs</);
  const head = node({ type: 'Output', title: 'output', category: 'output', summary: parts('Output'), params: 0, inShapes: [[10]], outShape: [10], hasOutput: false });
  assert.doesNotMatch(head, /type="source"|react-flow__handle-bottom/);
  assert.match(head, /class="layer-summary">softmax cross-entropy</);
  assert.match(node({ type: 'Mystery', summary: [], unknown: true }), /class="layer-summary">unknown layer Mystery</);
});

test('a broken node shows the problem badge and its one-click fix', () => {
  const html = node({ type: 'Dense', title: 'fc1', problem: { nodeId: 'fc1', code: 'rank', message: 'Dense needs a vector input, but gets an image N x 16 x 5 x 5: insert a Flatten before it', fix: { kind: 'insert-before', layer: 'Flatten' } } });
  assert.match(html, /class="badge badge-error" role="alert"/);
  assert.match(html, /insert a Flatten before it/);
  assert.match(html, /<button class="nodrag fix">Insert Flatten<\/button>/);
  const warn = node({ problem: { nodeId: 'x', code: 'dead-end', severity: 'warning', message: 'unused' } });
  assert.match(warn, /badge badge-warning/);
  assert.equal(fixLabel({ code: 'kernel-too-large', message: '', fix: { kind: 'set-param', param: 'padding', value: 'same' } }), 'Set padding to same');
});

test('the palette lists every layer kind under its category', () => {
  const html = wrap(h(Palette, { onAdd() {}, onDrop() {}, searchRef: { current: null } }));
  for (const l of LAYERS) assert.ok(html.includes(`>${l.label}<`), `palette lacks ${l.label}`);
  for (const c of ['input', 'convolution', 'pooling', 'activation', 'dense', 'regularization', 'merge', 'output']) assert.match(html, new RegExp(c, 'i'));
});

test("the Network panel's memory line: the estimate at the document's batch, and a refusal for a model no ONNX file can hold", async () => {
  const { MemoryEstimate } = await import('../../renderer/components/MemoryEstimate.tsx');
  const { parseDocument } = await import('../../engine/graph/document.ts');
  const { inferShapes } = await import('../../engine/graph/infer.ts');
  const fs = await import('node:fs');
  const lenet = parseDocument(fs.readFileSync('examples/lenet5.json', 'utf8'));
  assert.ok(lenet.ok);
  const small = wrap(h(MemoryEstimate, { doc: lenet.doc, analysis: inferShapes(lenet.doc) }));
  assert.match(small, new RegExp(`Training memory ≈ [\\d.]+ MB at batch ${lenet.doc.training.batchSize}`));
  assert.doesNotMatch(small, /memory-refusal/);
  const huge = structuredClone(lenet.doc);
  const input = huge.nodes.find((n) => n.type === 'Input')!;
  input.params = { ...input.params, height: 4096, width: 4096 };
  const html = wrap(h(MemoryEstimate, { doc: huge, analysis: inferShapes(huge) }));
  assert.match(html, /data-testid="memory-refusal"[^>]*>Training will be refused: this network needs about [\d.]+ [GT]B/);
});

test('the inspector shows the new layers\' params: a pool with explicit padding its pad, ceil and countPad; Pad, PReLU and Clip theirs', async () => {
  const { Inspector } = await import('../../renderer/components/Inspector.tsx');
  const { inferShapes } = await import('../../engine/graph/infer.ts');
  const { chain, net } = await import('../fixtures/nets.ts');
  const doc = net('inspect', [
    ['in', 'Input', { height: 9, width: 9, color: 'rgb' }],
    ['pd', 'Pad', { top: 0, bottom: 1, left: 0, right: 1, value: 0.5 }],
    ['mp', 'MaxPool2D', { size: 3, stride: 2, padding: 'explicit', pad: 1, ceil: true }],
    ['ap', 'AvgPool2D', { size: 3, stride: 2, padding: 'explicit', pad: 1, countPad: false }],
    ['pr', 'PReLU'],
    ['k', 'Clip', { min: 0, max: 6 }],
    ['f', 'Flatten'],
    ['out', 'Output'],
  ], chain(['in', 'pd', 'mp', 'ap', 'pr', 'k', 'f', 'out']));
  const analysis = inferShapes(doc);
  const show = (id: string) => wrap(h(Inspector, { state: { doc, selection: { nodes: [id], edges: [] }, path: null, dirty: false, canUndo: false, canRedo: false }, analysis } as never));
  const field = (html: string, name: string) => new RegExp(`id="param-${name}"`).test(html);
  const mp = show('mp');
  for (const p of ['size', 'stride', 'padding', 'pad', 'ceil']) assert.ok(field(mp, p), `MaxPool2D inspector lacks ${p}`);
  assert.match(mp, /id="param-ceil"[^>]*checked=""/);
  assert.ok(field(show('ap'), 'countPad'));
  for (const p of ['top', 'bottom', 'left', 'right', 'value']) assert.ok(field(show('pd'), p), `Pad inspector lacks ${p}`);
  assert.ok(field(show('pr'), 'perChannel'));
  assert.ok(field(show('k'), 'min') && field(show('k'), 'max'));
  // 9 → Pad → 10; 3x3 s2 pad 1 with ceil → 6 (without ceil, 5).
  assert.match(mp, /class="out-shape">N x 3 x 6 x 6</);
});
