// Builds the editor when dist/renderer is missing or older than its sources (used by the e2e tests).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(repo, 'dist', 'renderer', 'index.html');

function newest(dir: string): number {
  let t = 0;
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    t = Math.max(t, d.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

export async function ensureRendererBuilt(): Promise<void> {
  const src = Math.max(newest(path.join(repo, 'renderer')), newest(path.join(repo, 'engine', 'graph')), fs.statSync(path.join(repo, 'engine', 'protocol.ts')).mtimeMs);
  if (fs.existsSync(OUT) && fs.statSync(OUT).mtimeMs >= src) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(repo, 'engine', 'web', 'vite.config.ts') });
}
