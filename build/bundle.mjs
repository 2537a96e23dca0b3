// Bundles what the desktop app loads: the Electron main process and preload (CommonJS, as
// sandboxed preloads must be), and the engine process with its worker threads (training, decode, prefetch, jobs; ESM).
// Native modules (onnxruntime-node, sharp) stay external: electron-builder unpacks them from the ASAR.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ? path.resolve(process.argv[2]) : path.join(root, 'dist');
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
const native = ['onnxruntime-node', 'sharp'];

export async function bundle(dir = out) {
  await Promise.all([
    build({ ...common, entryPoints: ['electron/main.ts'], outfile: path.join(dir, 'electron', 'main.cjs'), format: 'cjs', external: ['electron'] }),
    build({ ...common, entryPoints: ['electron/preload.ts'], outfile: path.join(dir, 'electron', 'preload.cjs'), format: 'cjs', external: ['electron'] }),
    ...['electron-host', 'train/run-worker', 'data/decode-worker', 'data/prefetch-worker', 'train/replica-worker', 'session/job-worker'].map((entry) =>
      build({
        ...common,
        entryPoints: [`engine/${entry}.ts`],
        outfile: path.join(dir, 'engine', `${path.basename(entry)}.mjs`),
        format: 'esm',
        external: native,
        // Bundled CommonJS dependencies call require(); give ESM output one.
        banner: { js: "import { createRequire as __nwRequire } from 'node:module'; const require = __nwRequire(import.meta.url);" },
      }),
    ),
  ]);
  return dir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = await bundle();
  console.log(`bundled the desktop app into ${path.relative(root, dir) || '.'}`);
}
