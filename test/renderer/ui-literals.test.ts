// No English text is written straight into the renderer's components: JSX text, a string child
// (`{'…'}`) and the text attributes (title, placeholder, aria-label, alt, label) must come from a
// translation key (common.json and friends). Names and code that stay as they are in every
// language are listed below. Every component is checked, the Learn panel (components/learn/) too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

/** Texts that are the same in every language: product, optimizer names, shell commands. */
const ALLOWED = new Set(['Netwright', 'SGD', 'Adam', 'AdamW', 'Nesterov', 'python train.py --data DIR', 'torchrun --nproc_per_node N train.py --data DIR']);
const TEXT_ATTRS = /^(title|placeholder|aria-label|aria|alt|label)$/;
const WORDS = /[A-Za-z]{2,}/;

const files = (d: string): string[] =>
  fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(d, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.tsx') ? [p] : [];
  });

/** 'file:line: text' for every raw text literal a user would see. */
export function rawTexts(file: string, source: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const out: string[] = [];
  const hit = (n: ts.Node, text: string) => {
    const t = text.trim().replace(/\s+/g, ' ');
    if (WORDS.test(t) && !ALLOWED.has(t)) out.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${t}`);
  };
  const visit = (n: ts.Node) => {
    if (ts.isJsxText(n)) hit(n, n.text);
    else if (ts.isJsxAttribute(n) && TEXT_ATTRS.test(n.name.getText()) && n.initializer) {
      const v = n.initializer;
      if (ts.isStringLiteral(v)) hit(v, v.text);
      else if (ts.isJsxExpression(v) && v.expression && (ts.isStringLiteral(v.expression) || ts.isNoSubstitutionTemplateLiteral(v.expression))) hit(v, v.expression.text);
    } else if (ts.isJsxExpression(n) && !ts.isJsxAttribute(n.parent) && n.expression && (ts.isStringLiteral(n.expression) || ts.isNoSubstitutionTemplateLiteral(n.expression))) hit(n, n.expression.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

test('the renderer components hold no raw English text', () => {
  const all = files('renderer');
  assert.ok(all.length > 15, `found ${all.length} components`);
  assert.ok(all.some((f) => f.includes(path.join('components', 'learn'))), 'the Learn panel is scanned');
  assert.deepEqual(all.flatMap((f) => rawTexts(f, fs.readFileSync(f, 'utf8'))), []);
});

test('the scan finds text, string children and text attributes, and lets keys and allowed names through', () => {
  const src = `export const A = () => (
    <div title="Open file" aria-label={t('x')}>
      Hello there
      {'Save all'}
      <Field aria="batch size" label={'Name'} className="not text" />
      <b>{t('ok')}</b> <span>Netwright</span> <i>· 3</i>
    </div>
  );`;
  assert.deepEqual(rawTexts('x.tsx', src), ['x.tsx:2: Open file', 'x.tsx:3: Hello there', 'x.tsx:4: Save all', 'x.tsx:5: batch size', 'x.tsx:5: Name']);
});
