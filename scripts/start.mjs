// npm start: the desktop app where Electron can run; otherwise, in one line saying why, the
// same editor in web mode (netwright serve), opened in the browser when there is one.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;

/** Why Electron cannot start here, or null when it can. Never triggers Electron's download. */
export function electronUnavailable(env = process.env, platform = process.platform) {
  if (env.NETWRIGHT_WEB === '1') return 'NETWRIGHT_WEB=1 asks for web mode';
  const pkg = path.join(root, 'node_modules', 'electron');
  if (!fs.existsSync(pkg)) return 'the electron package is not installed';
  const pathTxt = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathTxt) || !fs.existsSync(path.join(pkg, 'dist', fs.readFileSync(pathTxt, 'utf8').trim()))) {
    return "Electron's binary was not downloaded (no network at install time? run `npx install-electron` to fetch it)";
  }
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return null;
}

function run(args) {
  const r = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function rendererBuilt() {
  return fs.existsSync(path.join(root, 'dist', 'renderer', 'index.html'));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const why = electronUnavailable();
  if (!rendererBuilt()) run([path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'engine/web/vite.config.ts', '--logLevel', 'warn']);
  run(['bin/netwright.js', 'sample-data', path.join('.cache', 'sample-shapes')]);
  if (why === null) {
    run(['build/bundle.mjs']);
    const electron = fs.readFileSync(path.join(root, 'node_modules', 'electron', 'path.txt'), 'utf8').trim();
    const child = spawn(path.join(root, 'node_modules', 'electron', 'dist', electron), ['dist/electron/main.cjs', 'examples/sample-shapes.json'], { cwd: root, stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
  } else {
    console.log(`Electron is not available: ${why}. Starting web mode instead.`);
    // The editor opens on the sample project with the sample dataset: press Train at once.
    const sample = ['--doc', path.join('examples', 'sample-shapes.json'), '--data', path.join('.cache', 'sample-shapes')];
    // Debian's shared datasets (dataset-fashion-mnist installs there): offered read-only in the Import dialog.
    const shared = fs.existsSync('/usr/share/datasets') ? ['--datasets', '/usr/share/datasets'] : [];
    const args = ['bin/netwright.js', 'serve', ...sample, ...shared, ...(process.env.NETWRIGHT_NO_OPEN === '1' ? [] : ['--open']), ...process.argv.slice(2)];
    const child = spawn(node, args, { cwd: root, stdio: 'inherit' });
    for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
    child.on('exit', (code) => process.exit(code ?? 0));
  }
}
