// The preload's engine API is generated from the method table: exactly one named method per
// method of METHODS (plus the message and lost listeners), each posting its own method name on
// the engine's MessagePort whatever the page puts in the message; the window API is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'esbuild';
import { METHOD_NAMES } from '../../engine/protocol.ts';

/** Bundles electron/preload.ts as build/bundle.mjs does and runs it with a stand-in electron module. */
async function loadPreload() {
  const out = await build({ entryPoints: ['electron/preload.ts'], bundle: true, platform: 'node', format: 'cjs', external: ['electron'], write: false, logLevel: 'silent' });
  const exposed: Record<string, Record<string, Record<string, unknown>>> = {};
  const listeners = new Map<string, (e: unknown) => void>();
  const electron = {
    contextBridge: { exposeInMainWorld: (k: string, v: never) => void (exposed[k] = v) },
    ipcRenderer: { on: (ch: string, fn: (e: unknown) => void) => void listeners.set(ch, fn), invoke: async () => null },
    webUtils: { getPathForFile: () => '' },
  };
  const mod = { exports: {} };
  new Function('require', 'module', 'exports', out.outputFiles[0].text)((name: string) => {
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  }, mod, mod.exports);
  return { api: exposed.netwright, listeners };
}

test('the preload exposes one method per method of the table, and no other', async () => {
  const { api, listeners } = await loadPreload();
  assert.deepEqual(Object.keys(api.engine).sort(), [...METHOD_NAMES, 'onMessage', 'onLost'].sort());
  assert.deepEqual(Object.keys(api.window).sort(), ['onEngineLost', 'onMenuCommand', 'openExternal', 'openProjectDialog', 'pathForFile', 'saveProjectDialog', 'setDirty']);

  const posted: Record<string, unknown>[] = [];
  const port = { onmessage: null as ((m: { data: unknown }) => void) | null, start() {}, postMessage: (m: Record<string, unknown>) => void posted.push(m) };
  // A call made before the engine's port arrives waits for it.
  const early = (api.engine.info as (m: unknown) => Promise<void>)({ id: 1, method: 'info' });
  listeners.get('engine-port')!({ ports: [port] });
  await early;
  for (const [i, m] of METHOD_NAMES.entries()) await (api.engine[m] as (m: unknown) => Promise<void>)({ id: i + 2, method: 'eval', x: 1 });
  assert.deepEqual(posted.map((p) => p.method), ['info', ...METHOD_NAMES], 'each named method posts its own name');
  assert.deepEqual(posted[1], { id: 2, method: METHOD_NAMES[0], x: 1 });

  // What the engine sends back reaches the page's listener; a lost engine is reported.
  const got: unknown[] = [];
  (api.engine.onMessage as (cb: (m: unknown) => void) => void)((m) => got.push(m));
  let lost = 0;
  (api.engine.onLost as (cb: () => void) => void)(() => lost++);
  port.onmessage!({ data: { id: 2, ok: true, result: {} } });
  listeners.get('engine-lost')!({});
  assert.deepEqual(got, [{ id: 2, ok: true, result: {} }]);
  assert.equal(lost, 1);
});
