// The Electron main process: windows, menus, dialogs and the engine process, nothing else.
// The engine (ONNX Runtime, sharp, training) runs in a utility process; the page talks to it
// over a MessagePort, so a training run can never freeze a window.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, MessageChannelMain, net, protocol, session, shell, utilityProcess, type MenuItemConstructorOptions, type UtilityProcess } from 'electron';
import { allowPermission, APP_ORIGIN, APP_SCHEME, appUrlToFile, checkIpc, CONTENT_SECURITY_POLICY, isAppUrl, isExternalLink, ipcSchemas, webPreferences, type IpcChannel } from './security.ts';
import { pickLanguage } from '../renderer/i18n/index.ts';
import { menuTemplate } from './menu.ts';

// Bundled layout (build/bundle.mjs): dist/electron/main.cjs, preload.cjs, dist/engine/electron-host.mjs, dist/renderer/.
const DIST = path.resolve(__dirname, '..');
const RENDERER_DIR = path.join(DIST, 'renderer');
const ENGINE_ENTRY = path.join(DIST, 'engine', 'electron-host.mjs');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

let win: BrowserWindow | null = null;
let engine: UtilityProcess | null = null;
let dirty = false;
let quitting = false;
/** The page has loaded (its preload listens for the engine port from then on). */
let pageReady = false;
const stateFile = () => path.join(app.getPath('userData'), 'window-state.json');

function projectArg(argv: string[]): string | undefined {
  return argv.slice(1).find((a) => /\.(json|netwright)$/i.test(a) && fs.existsSync(a));
}

/** A document the user gave the OS (command line, double-click, native dialog) may be opened even outside the engine's root. */
function grant(file: string): void {
  engine?.postMessage({ type: 'grant', path: path.resolve(file) });
}

/** Opens a document named on a command line (this instance's or a second one's), if any. */
function openFromArgs(argv: string[]): void {
  const file = projectArg(argv);
  if (!file || !win) return;
  grant(file);
  win.webContents.send('menu-command', { command: 'open-path', path: path.resolve(file) });
}

function startEngine(): void {
  engine = utilityProcess.fork(ENGINE_ENTRY, [], { serviceName: 'Netwright engine', stdio: 'inherit' });
  engine.on('exit', (code) => {
    engine = null;
    if (quitting) return;
    // The engine died: tell the page (its document lives there, untouched), then restart.
    win?.webContents.send('engine-lost', { code });
    setTimeout(startEngine, 500);
  });
  connectEngine();
}

function connectEngine(): void {
  if (!engine || !win || !pageReady) return;
  const { port1, port2 } = new MessageChannelMain();
  engine.postMessage({ type: 'connect', root: app.getPath('documents') }, [port1]);
  win.webContents.postMessage('engine-port', null, [port2]);
}

function loadState(): Electron.Rectangle | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
    if ([s.x, s.y, s.width, s.height].every(Number.isFinite)) return s;
  } catch {
    // first start, or an unreadable state file: use the defaults
  }
  return undefined;
}

function createWindow(): void {
  const bounds = loadState();
  win = new BrowserWindow({
    width: bounds?.width ?? 1400,
    height: bounds?.height ?? 900,
    x: bounds?.x,
    y: bounds?.y,
    title: 'Netwright',
    show: false,
    webPreferences: webPreferences(path.join(__dirname, 'preload.cjs')),
  });
  win.once('ready-to-show', () => win?.show());
  win.webContents.on('did-start-loading', () => (pageReady = false));
  win.webContents.on('did-finish-load', () => {
    pageReady = true;
    connectEngine();
    openFromArgs(process.argv);
  });
  win.on('close', (e) => {
    if (win) fs.writeFileSync(stateFile(), JSON.stringify(win.getNormalBounds()));
    if (!dirty || !win) return;
    const choice = dialog.showMessageBoxSync(win, {
      type: 'warning',
      buttons: ['Cancel', 'Close without saving'],
      defaultId: 0,
      cancelId: 0,
      message: 'This network has unsaved changes.',
      detail: 'Save it first (File > Save), or close and lose the changes.',
    });
    if (choice === 0) {
      e.preventDefault();
      quitting = false;
    }
  });
  win.on('closed', () => (win = null));
  // The page's language: NETWRIGHT_LANG when set (explicit), else the system locale (below the user's saved choice).
  const lang = process.env.NETWRIGHT_LANG ? `&lang=${encodeURIComponent(process.env.NETWRIGHT_LANG)}` : '';
  void win.loadURL(`${APP_ORIGIN}/index.html?electron=1&locale=${encodeURIComponent(app.getLocale())}${lang}`);
}

function handle<C extends IpcChannel>(channel: C, fn: (value: import('zod').infer<(typeof ipcSchemas)[C]>) => unknown): void {
  ipcMain.handle(channel, (event, payload) => {
    const frame = event.senderFrame;
    const check = checkIpc(channel, frame ? { url: frame.url, isMainFrame: frame === event.sender.mainFrame } : null, payload);
    if (!check.ok) {
      console.warn(`refused IPC: ${check.reason}`);
      throw new Error('refused');
    }
    return fn(check.value);
  });
}

app.on('second-instance', (_e, argv) => {
  if (!win) return;
  if (win.isMinimized()) win.restore();
  win.focus();
  openFromArgs(argv);
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-navigate', (ev, url) => {
    if (!isAppUrl(url)) ev.preventDefault();
  });
  contents.on('will-attach-webview', (ev) => ev.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

app.on('before-quit', () => (quitting = true));
app.on('window-all-closed', () => app.quit());

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, permission, cb) => cb(allowPermission(permission)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => allowPermission(permission));
  protocol.handle(APP_SCHEME, async (req) => {
    const file = appUrlToFile(req.url, RENDERER_DIR, path.sep);
    if (!file || !fs.existsSync(file)) return new Response('not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });

  handle('window:set-dirty', ({ dirty: d, title }) => {
    dirty = d;
    win?.setTitle(`${d ? '• ' : ''}${title} — Netwright`);
    win?.setDocumentEdited(d);
  });
  handle('dialog:open-project', async () => {
    if (!win) return null;
    const r = await dialog.showOpenDialog(win, { properties: ['openFile'], filters: [{ name: 'Netwright network', extensions: ['json', 'netwright'] }] });
    if (!r.canceled && r.filePaths[0]) {
      app.addRecentDocument(r.filePaths[0]);
      grant(r.filePaths[0]);
    }
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  handle('dialog:save-project', async ({ suggestedName }) => {
    if (!win) return null;
    const r = await dialog.showSaveDialog(win, { defaultPath: suggestedName, filters: [{ name: 'Netwright network', extensions: ['json'] }] });
    if (!r.canceled && r.filePath) {
      app.addRecentDocument(r.filePath);
      grant(r.filePath);
    }
    return r.canceled ? null : (r.filePath ?? null);
  });
  handle('shell:open-external', ({ url }) => shell.openExternal(url));

  const send = (command: string) => win?.webContents.send('menu-command', { command });
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(process.platform, send, pickLanguage(app.getLocale()) ?? 'en') as MenuItemConstructorOptions[]));
  createWindow();
  startEngine();
});
