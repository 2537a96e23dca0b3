// Every problem code the engine can emit has a text in each UI language, and renders with the
// params the engine sends; the engine emits no code that is missing from the one list.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PROBLEM_CODES } from '../../engine/graph/problem-codes.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { parseDocument } from '../../engine/graph/document.ts';
import { createI18n, LANGUAGES, RESOURCES } from '../../renderer/i18n/index.ts';
import { problemText } from '../../renderer/i18n/problems.ts';

const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));

test('every problem code has a translation in every language', () => {
  for (const l of LANGUAGES) {
    const engine = (RESOURCES[l].common as { engine?: Record<string, string> }).engine ?? {};
    for (const c of PROBLEM_CODES) assert.ok(typeof engine[c] === 'string' && engine[c].length > 0, `${l}: engine.${c} is missing`);
    for (const k of Object.keys(engine)) assert.ok((PROBLEM_CODES as readonly string[]).includes(k), `${l}: engine.${k} is not a code the engine emits`);
  }
});

test('the engine emits only codes from PROBLEM_CODES', () => {
  const sources = [...files('engine/graph'), 'engine/data/report.ts'];
  const seen = new Set<string>();
  for (const f of sources) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\bcode: '([a-z-]+)'/g)) seen.add(m[1]);
    for (const m of text.matchAll(/\bwarn\('([a-z-]+)'/g)) seen.add(m[1]);
  }
  assert.ok(seen.size > 20, `found ${seen.size} codes`);
  for (const c of seen) assert.ok((PROBLEM_CODES as readonly string[]).includes(c), `${c} is emitted but not in PROBLEM_CODES`);
  for (const c of PROBLEM_CODES) assert.ok(seen.has(c), `${c} is listed but never emitted`);
});

test('real problems render in Chinese with their params, English matches the engine message', () => {
  const en = createI18n('en', false);
  const zh = createI18n('zh-CN', false);
  const r = parseDocument(JSON.stringify({
    format: 'netwright', version: 1, name: 'x',
    nodes: [
      { id: 'in', type: 'Input', position: { x: 0, y: 0 }, params: { height: 28, width: 28, color: 'grayscale' } },
      { id: 'fc', type: 'Dense', position: { x: 0, y: 0 }, params: { units: 10 } },
      { id: 'out', type: 'Output', position: { x: 0, y: 0 }, params: {} },
    ],
    edges: [{ id: 'e1', source: 'in', target: 'fc', targetPort: 0 }, { id: 'e2', source: 'fc', target: 'out', targetPort: 0 }],
  }));
  assert.ok(r.ok, JSON.stringify(r.problems));
  const problems = inferShapes(r.doc).problems;
  const rank = problems.find((p) => p.code === 'rank');
  assert.ok(rank, JSON.stringify(problems));
  assert.equal(problemText(en.t, en, rank), rank.message, 'English text = the engine message');
  const zhText = problemText(zh.t, zh, rank);
  assert.match(zhText, /Flatten/);
  assert.match(zhText, /[\u4e00-\u9fff]/);
  assert.ok(zhText.includes('N x 1 x 28 x 28'), zhText);
  // Unknown code: the engine's English message.
  assert.equal(problemText(zh.t, zh, { code: 'never-heard', params: {}, message: 'as is' }), 'as is');
});
