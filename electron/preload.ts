// The preload: the only bridge between the sandboxed page and the rest of the app. It exposes
// one named method per method of the protocol's table (each posts its request on the
// MessagePort the main process hands it, straight to the engine process, which checks it), the
// engine's messages back, and a few window methods; nothing relays arbitrary channels.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { METHOD_NAMES, type Method } from '../engine/protocol.ts';

let port: MessagePort | null = null;
const waiting: (() => void)[] = [];
const messageListeners = new Set<(m: unknown) => void>();
const lostListeners: (() => void)[] = [];
const engineLostListeners: (() => void)[] = [];

ipcRenderer.on('engine-port', (event) => {
  // Only the main process can send here, and only once per engine (re)start.
  port = event.ports[0];
  // Replies and pushed events alike go to the page's client (renderer/client/rpc.ts), which checks them.
  port.onmessage = (m: MessageEvent) => {
    for (const l of messageListeners) l(m.data);
  };
  port.start();
  for (const w of waiting.splice(0)) w();
});

ipcRenderer.on('engine-lost', () => {
  port = null;
  for (const l of lostListeners) l();
  for (const l of engineLostListeners) l();
});

/** Posts one request to the engine process (which checks it against the method table) once a port is there. */
async function post(method: Method, message: unknown): Promise<void> {
  if (!port) await new Promise<void>((r) => waiting.push(r));
  port!.postMessage({ ...(message && typeof message === 'object' ? message : {}), method });
}

/** One named method per method of the table (engine/protocol.ts, METHODS): the method name is never the page's to choose. */
const methods = Object.fromEntries(METHOD_NAMES.map((m) => [m, (message: unknown) => post(m, message)])) as Record<Method, (message: unknown) => Promise<void>>;

contextBridge.exposeInMainWorld('netwright', {
  engine: {
    ...methods,
    /** Every message from the engine: replies (by request id) and pushed training events. */
    onMessage: (cb: (m: unknown) => void) => void messageListeners.add(cb),
    /** The engine process stopped: calls in flight will get no reply. */
    onLost: (cb: () => void) => void engineLostListeners.push(cb),
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
