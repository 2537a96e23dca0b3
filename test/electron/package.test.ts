// The packaged app's file list, from a real electron-builder run. Electron's binary cannot be
// downloaded here, so a stand-in executable plays the unpacked Electron; fuses (which patch
// that binary) are left out of this run and checked in the configuration instead.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ensureRendererBuilt } from '../../engine/web/build.ts';

const require = createRequire(import.meta.url);

test('electron-builder packs the bundles, unpacks only this platform\'s native binaries from the ASAR', { skip: process.platform !== 'linux' ? 'packs a Linux app' : false }, async () => {
  await ensureRendererBuilt();
  const b = spawnSync(process.execPath, ['build/bundle.mjs'], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-pack-'));
  const fake = path.join(tmp, 'electron-dist');
  fs.mkdirSync(fake);
  fs.writeFileSync(path.join(fake, 'electron'), '#!/bin/sh\n', { mode: 0o755 });
  const configFile = path.join(tmp, 'config.cjs');
  fs.writeFileSync(
    configFile,
    `const c = require(${JSON.stringify(path.resolve('build/electron-builder.config.cjs'))});
     const { electronFuses, ...rest } = c;
     module.exports = { ...rest, npmRebuild: false, electronDist: ${JSON.stringify(fake)}, electronVersion: '45.5.0',
       directories: { ...c.directories, output: ${JSON.stringify(path.join(tmp, 'out'))} }, linux: { ...c.linux, target: ['dir'] } };`,
  );
  const r = spawnSync(process.execPath, [require.resolve('electron-builder/cli.js'), '--config', configFile, '--linux', 'dir', '--publish', 'never'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const resources = path.join(tmp, 'out', 'linux-unpacked', 'resources');
  const asar = require('@electron/asar');
  const packed: string[] = asar.listPackage(path.join(resources, 'app.asar'));
  for (const f of ['/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/dist/engine/electron-host.mjs', '/dist/engine/run-worker.mjs', '/dist/renderer/index.html', '/package.json']) assert.ok(packed.includes(f), f);
  assert.ok(!packed.some((f) => f.endsWith('.map') || f.startsWith('/.cache') || f.startsWith('/runs') || f.startsWith('/test') || f.startsWith('/node_modules/typescript')), 'no source maps, caches, runs, tests or compilers');
  const unpacked = (spawnSync('find', [path.join(resources, 'app.asar.unpacked'), '-type', 'f'], { encoding: 'utf8' }).stdout.trim().split('\n')).map((f) => path.relative(resources, f));
  const natives = unpacked.filter((f) => /\.(node|so(\.\d+)*|dll|dylib)$/.test(f));
  assert.ok(natives.some((f) => f.endsWith('onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node')), natives.join('\n'));
  assert.ok(natives.some((f) => f.endsWith('onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1')));
  assert.ok(natives.some((f) => /@img\/sharp-linux-x64\/lib\/sharp-linux-x64-[\d.]+\.node$/.test(f)));
  assert.deepEqual(natives.filter((f) => /\/(win32|darwin)\//.test(f) || /\.(dll|dylib)$/.test(f)), [], 'no other operating system\'s binaries');
  fs.rmSync(tmp, { recursive: true, force: true });
});
