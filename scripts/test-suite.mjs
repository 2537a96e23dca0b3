// The test suites. `npm test` (CI) runs every test/**/*.test.ts; this picks the subsets:
//   npm run test:unit   the pure tests: no browser, no PyTorch, no training runs or app builds;
//                       about 100 s of CPU in all (212 tests), for the edit-test loop
//   npm run test:e2e    the editor in Debian's chromium (test/e2e)
//   node scripts/test-suite.mjs unit --list   prints the files instead of running them
// Any other arguments go to node --test (e.g. --test-name-pattern=schedule).
//
// A test file is a unit test unless
//   - it lives in a folder of whole-system tests: test/e2e (chromium), test/electron (bundles
//     and packages the desktop app), test/torch and test/export (PyTorch oracles), test/train
//     (training runs), test/bench (the bench's PyTorch twins);
//   - it calls the PyTorch oracle: it mentions torchAvailable or torchSkip (test/torch/torch.ts,
//     test/onnx/import-helpers.ts), so a new PyTorch test drops out of the unit suite by itself;
//   - it is one of the SLOW files below (over ~15 s each on a 2-core machine).
// The top-level test/*.test.ts spawn the CLI and stay out too.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WHOLE_SYSTEM = ['test/e2e', 'test/electron', 'test/torch', 'test/export', 'test/train', 'test/bench'];
const SLOW = [
  'test/session/host.test.ts', // the engine host with real training runs
  'test/session/jobs.test.ts', // the job queue's worker threads
  'test/session/import.test.ts', // imports Fashion-MNIST
  'test/web/test-hook.test.ts', // builds both editor bundles with vite
];
const PYTORCH = /\btorch(Available|Skip)\b/;

/** Every test file under test/, sorted as `npm test` runs them. */
export function allTests() {
  return fs.readdirSync(path.join(root, 'test'), { recursive: true })
    .map((f) => path.posix.join('test', String(f).split(path.sep).join('/')))
    .filter((f) => f.endsWith('.test.ts'))
    .sort();
}

export function suite(name) {
  const all = allTests();
  if (name === 'e2e') return all.filter((f) => f.startsWith('test/e2e/'));
  if (name === 'unit') {
    return all.filter((f) =>
      path.posix.dirname(f) !== 'test' &&
      !WHOLE_SYSTEM.some((d) => f.startsWith(`${d}/`)) &&
      !SLOW.includes(f) &&
      !PYTORCH.test(fs.readFileSync(path.join(root, f), 'utf8')));
  }
  if (name === 'all') return all;
  throw new Error(`unknown suite ${name}: unit, e2e or all`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [name = 'unit', ...rest] = process.argv.slice(2);
  const files = suite(name);
  if (rest.includes('--list')) {
    console.log(files.join('\n'));
    process.exit(0);
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...rest, ...files], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
