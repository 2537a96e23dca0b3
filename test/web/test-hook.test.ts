// The production page ships no test hook: `window.__netwright` (the stores, the canvas and the
// engine client, for playwright) exists only in the e2e tests' bundle (dist/renderer-test).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ensureRendererBuilt } from '../../engine/web/build.ts';

const text = (dir: string) =>
  fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.(js|html|css)$/.test(d.name))
    .map((d) => fs.readFileSync(path.join(d.parentPath, d.name), 'utf8'))
    .join('\n');

test('the production bundle has no __netwright hook; the e2e test bundle has it', { timeout: 300_000 }, async () => {
  const prod = text(await ensureRendererBuilt());
  assert.ok(prod.includes('react-flow'), 'the production bundle holds the editor');
  assert.ok(!prod.includes('__netwright'), 'dist/renderer contains __netwright');
  assert.ok(!prod.includes('__NETWRIGHT_TEST_HOOK__'), 'the flag is replaced at build time');
  // The same check on the test bundle must find it, or the check above proves nothing.
  assert.ok(text(await ensureRendererBuilt({ test: true })).includes('__netwright'), 'dist/renderer-test exposes __netwright');
});
