// The preload: the only bridge between the sandboxed page and the rest of the app. It exposes
// EngineClient's named methods (over the MessagePort the main process hands it, straight to
// the engine process) and a few window methods; nothing relays arbitrary channels.
import { contextBridge, ipcRenderer, webUtils } from 'electron';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

let port: MessagePort | null = null;
const waiting: (() => void)[] = [];
const pending = new Map<number, Pending>();
let nextId = 1;

ipcRenderer.on('engine-port', (event) => {
  // Only the main process can send here, and only once per engine (re)start.
  port = event.ports[0];
  port.onmessage = (m: MessageEvent) => {
    const r = m.data as { id?: number; ok?: boolean; result?: unknown; code?: string; error?: string };
    if (typeof r?.id !== 'number') return;
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok) p.resolve(r.result);
    else p.reject(Object.assign(new Error(r.error ?? 'engine error'), { code: r.code ?? 'io' }));
  };
  port.start();
  for (const w of waiting.splice(0)) w();
});

const lostListeners: (() => void)[] = [];
ipcRenderer.on('engine-lost', () => {
  port = null;
  for (const l of lostListeners) l();
  for (const p of pending.values()) p.reject(Object.assign(new Error('the engine stopped; it is restarting'), { code: 'io' }));
  pending.clear();
});

async function call(method: string, args: Record<string, unknown> = {}): Promise<unknown> {
  if (!port) await new Promise<void>((r) => waiting.push(r));
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    port!.postMessage({ id, method, ...args });
  });
}

contextBridge.exposeInMainWorld('netwright', {
  engine: {
    info: () => call('info'),
    listDir: (dir: string) => call('listDir', { dir: String(dir) }),
    openFile: (path: string) => call('openFile', { path: String(path) }),
    saveFile: (path: string, text: string, opts: { chosen: boolean; overwrite?: boolean }) =>
      call('saveFile', { path: String(path), text: String(text), chosen: !!opts?.chosen, overwrite: !!opts?.overwrite }),
    recentFiles: () => call('recentFiles'),
  },
  window: {
    setDirty: (dirty: boolean, title: string) => ipcRenderer.invoke('window:set-dirty', { dirty: !!dirty, title: String(title) }),
    openProjectDialog: () => ipcRenderer.invoke('dialog:open-project', {}),
    saveProjectDialog: (suggestedName: string) => ipcRenderer.invoke('dialog:save-project', { suggestedName: String(suggestedName) }),
    openExternal: (url: string) => ipcRenderer.invoke('shell:open-external', { url: String(url) }),
    /** Menu items and files opened from outside (command line, second instance). */
    onMenuCommand: (cb: (m: { command: string; path?: string }) => void) => {
      ipcRenderer.on('menu-command', (_e, m: { command?: unknown; path?: unknown }) => cb({ command: String(m?.command), path: typeof m?.path === 'string' ? m.path : undefined }));
    },
    onEngineLost: (cb: () => void) => void lostListeners.push(cb),
    /** The path of a file dropped on the window (sandboxed pages cannot see paths otherwise). */
    pathForFile: (file: File) => webUtils.getPathForFile(file),
  },
});
