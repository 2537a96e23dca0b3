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
    const ev = m.data as { runId?: unknown; event?: unknown };
    if (ev && typeof ev === 'object' && 'event' in ev && typeof ev.runId === 'string') {
      for (const l of eventListeners) l({ runId: ev.runId, event: ev.event });
      return;
    }
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
const eventListeners = new Set<(e: { runId: string; event: unknown }) => void>();
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
    listDir: (dir: string, files?: string) => call('listDir', { dir: String(dir), files: files === 'onnx' ? 'onnx' : 'documents' }),
    importOnnx: (path: string, opts?: { out?: string | null; preset?: string; mean?: number[]; std?: number[]; overwrite?: boolean }) =>
      call('importOnnx', {
        path: String(path), out: typeof opts?.out === 'string' ? opts.out : null, preset: opts?.preset === 'imagenet' ? 'imagenet' : 'none', overwrite: !!opts?.overwrite,
        ...(opts?.mean ? { mean: Array.from(opts.mean, Number) } : {}), ...(opts?.std ? { std: Array.from(opts.std, Number) } : {}),
      }),
    openFile: (path: string) => call('openFile', { path: String(path) }),
    saveFile: (path: string, text: string, opts: { chosen: boolean; overwrite?: boolean }) =>
      call('saveFile', { path: String(path), text: String(text), chosen: !!opts?.chosen, overwrite: !!opts?.overwrite }),
    recentFiles: () => call('recentFiles'),
    backupDocument: (text: string, path: string | null) => call('backupDocument', { text: String(text), path: typeof path === 'string' ? path : null }),
    recoverBackup: () => call('recoverBackup'),
    clearBackup: () => call('clearBackup'),
    initialProject: () => call('initialProject'),
    datasetReport: (doc: unknown, dataDir: string) => call('datasetReport', { doc, dataDir: String(dataDir) }),
    images: (dataDir: string, paths: string[], size?: number) => call('images', { dataDir: String(dataDir), paths: Array.from(paths ?? [], String), size: Number(size ?? 96) }),
    augmentPreview: (doc: unknown, dataDir: string, opts?: { count?: number; variants?: number }) =>
      call('augmentPreview', { doc, dataDir: String(dataDir), count: Number(opts?.count ?? 6), variants: Number(opts?.variants ?? 4) }),
    importIdx: (sourceDir: string, outDir: string, opts?: { classes?: string; limit?: number }) =>
      call('importIdx', {
        sourceDir: String(sourceDir), outDir: String(outDir), classes: opts?.classes === 'fashion-mnist' ? 'fashion-mnist' : 'numbers',
        ...(opts?.limit ? { limit: Number(opts.limit) } : {}),
      }),
    devices: () => call('devices'),
    startTraining: (doc: unknown, dataDir: string, opts?: { docPath?: string | null; maxSteps?: number; device?: string; allowLarge?: boolean }) =>
      call('startTraining', {
        doc, dataDir: String(dataDir), docPath: typeof opts?.docPath === 'string' ? opts.docPath : null, device: String(opts?.device ?? 'cpu'), allowLarge: opts?.allowLarge === true,
        ...(opts?.maxSteps ? { maxSteps: Number(opts.maxSteps) } : {}),
      }),
    continueTraining: (runId: string, opts?: { epochs?: number; device?: string; allowLarge?: boolean }) =>
      call('continueTraining', {
        runId: String(runId), allowLarge: opts?.allowLarge === true,
        ...(opts?.epochs ? { epochs: Number(opts.epochs) } : {}),
        ...(opts?.device ? { device: String(opts.device) } : {}),
      }),
    pauseTraining: () => call('pauseTraining'),
    resumeTraining: () => call('resumeTraining'),
    stopTraining: () => call('stopTraining'),
    trainingStatus: () => call('trainingStatus'),
    listRuns: () => call('listRuns'),
    runCurves: (runId: string) => call('runCurves', { runId: String(runId) }),
    renameRun: (runId: string, title: string) => call('renameRun', { runId: String(runId), title: String(title) }),
    evaluate: (runId: string, model?: string) => call('evaluate', { runId: String(runId), model: model === 'last' ? 'last' : 'best' }),
    predict: (runId: string, image: { path?: string; data?: string }, opts?: { model?: string; top?: number }) =>
      call('predict', {
        runId: String(runId),
        image: typeof image?.path === 'string' ? { path: image.path } : { data: String(image?.data ?? '') },
        model: opts?.model === 'last' ? 'last' : 'best',
        top: Number(opts?.top ?? 5),
      }),
    exportModel: (runId: string, model?: string) => call('exportModel', { runId: String(runId), model: model === 'last' ? 'last' : 'best' }),
    exportPyTorch: (runId: string, model?: string) => call('exportPyTorch', { runId: String(runId), model: model === 'last' ? 'last' : 'best' }),
    predictFolder: (runId: string, dataDir: string, opts?: { model?: string; top?: number }) =>
      call('predictFolder', { runId: String(runId), dataDir: String(dataDir), model: opts?.model === 'last' ? 'last' : 'best', top: Number(opts?.top ?? 3) }),
    gradientCheck: (doc: unknown, dataDir: string | null) => call('gradientCheck', { doc, dataDir: typeof dataDir === 'string' ? dataDir : null }),
    // learn panel
    learnLayer: (doc: unknown, dataDir: string, nodeId: string, o?: { docPath?: string | null; runId?: string | null; sample?: number; filter?: number; unit?: number; channel?: number }) =>
      call('learnLayer', {
        doc, dataDir: String(dataDir), nodeId: String(nodeId), docPath: typeof o?.docPath === 'string' ? o.docPath : null, runId: typeof o?.runId === 'string' ? o.runId : null,
        sample: Number(o?.sample ?? 0), filter: Number(o?.filter ?? 0), unit: Number(o?.unit ?? 0), channel: Number(o?.channel ?? 0),
      }),
    learnNudge: (doc: unknown, dataDir: string, param: string, index: number, o?: { docPath?: string | null; runId?: string | null; eps?: number }) =>
      call('learnNudge', {
        doc, dataDir: String(dataDir), param: String(param), index: Number(index), eps: Number(o?.eps ?? 3e-3),
        docPath: typeof o?.docPath === 'string' ? o.docPath : null, runId: typeof o?.runId === 'string' ? o.runId : null,
      }),
    learnBatches: (doc: unknown, dataDir: string, o?: { docPath?: string | null; runId?: string | null; sizes?: number[]; steps?: number }) =>
      call('learnBatches', {
        doc, dataDir: String(dataDir), sizes: Array.from(o?.sizes ?? [32, 64, 128], Number), steps: Number(o?.steps ?? 6),
        docPath: typeof o?.docPath === 'string' ? o.docPath : null, runId: typeof o?.runId === 'string' ? o.runId : null,
      }),
    // end learn panel
    /** Training events pushed by the engine; returns the unsubscribe function. */
    onEvent: (cb: (e: { runId: string; event: unknown }) => void) => {
      eventListeners.add(cb);
      return () => void eventListeners.delete(cb);
    },
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
