// Builds the editor when its bundle is missing or older than its sources: the production
// bundle (dist/renderer, what `netwright serve` and the desktop app load) or, for the e2e tests
// and the browser benches, a test bundle in its own folder (dist/renderer-test) built with
// __NETWRIGHT_TEST_HOOK__ on, so the page exposes `window.__netwright` (its stores, the canvas, the
// engine client) to playwright. The production bundle never contains that hook.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PRODUCTION_DIR = path.join(repo, 'dist', 'renderer');
export const TEST_DIR = path.join(repo, 'dist', 'renderer-test');

function newest(dir: string): number {
  let t = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    t = Math.max(t, d.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Builds dist/renderer (or with `test`, dist/renderer-test) if stale; returns the folder. */
export async function ensureRendererBuilt(o: { test?: boolean } = {}): Promise<string> {
  const dir = o.test ? TEST_DIR : PRODUCTION_DIR;
  const out = path.join(dir, 'index.html');
  const config = path.join(repo, 'engine', 'web', 'vite.config.ts');
  const src = Math.max(newest(path.join(repo, 'renderer')), newest(path.join(repo, 'engine', 'graph')), ...[path.join(repo, 'engine', 'protocol.ts'), config, fileURLToPath(import.meta.url)].map((f) => fs.statSync(f).mtimeMs));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= src) return dir;
  const { build } = await import('vite');
  // Inline settings override the config file's (outDir, and the define the page tests).
  await build({ configFile: config, ...(o.test ? { define: { __NETWRIGHT_TEST_HOOK__: 'true' }, build: { outDir: TEST_DIR } } : {}) });
  return dir;
}
