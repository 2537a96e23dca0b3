// The corpus of broken documents: each file must produce exactly the error listed for it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';

const dir = 'test/corpus/documents';
const expected: Record<string, { stage: 'load' | 'analyse'; code: string; message: string }> = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));

test('every corpus file has an expected error', () => {
  const files = fs.readdirSync(dir).filter((f) => f !== 'expected.json');
  assert.deepEqual(files.sort(), Object.keys(expected).sort());
});

for (const [file, want] of Object.entries(expected)) {
  test(`broken document ${file}: ${want.code}`, () => {
    const r = parseDocument(fs.readFileSync(path.join(dir, file), 'utf8'));
    const problems = want.stage === 'load' ? (assert.equal(r.ok, false), r.problems) : (assert.ok(r.ok, JSON.stringify(r.problems)), inferShapes(r.doc).problems);
    const p = problems.find((x) => x.code === want.code);
    assert.ok(p, `expected ${want.code}, got ${JSON.stringify(problems)}`);
    assert.ok(p.message.includes(want.message), `"${p.message}" should contain "${want.message}"`);
  });
}

test('defaults are filled in and the examples round-trip through JSON unchanged', () => {
  for (const f of fs.readdirSync('examples')) {
    const text = fs.readFileSync(path.join('examples', f), 'utf8');
    const r = parseDocument(text);
    assert.ok(r.ok, f);
    assert.deepEqual(JSON.parse(JSON.stringify(r.doc)), JSON.parse(text), f);
  }
});
