// Builds the editor (renderer/) into dist/renderer: `vite build --config engine/web/vite.config.ts`.
// __NETWRIGHT_TEST_HOOK__ is off here, so the page exposes no test hook; the e2e tests build their
// own bundle with it on (engine/web/build.ts, dist/renderer-test).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default defineConfig({
  root: path.join(repo, 'renderer'),
  base: './',
  plugins: [react()],
  define: { __NETWRIGHT_TEST_HOOK__: 'false' },
  logLevel: 'warn',
  build: {
    outDir: path.join(repo, 'dist', 'renderer'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
