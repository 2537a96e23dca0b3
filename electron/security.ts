// The desktop shell's security rules as plain data and pure functions (Electron's checklist),
// so tests can check them without an Electron binary. main.ts applies them.
import { z } from 'zod';

/** The app is served from this privileged scheme, never file:// (which would grant the whole disk). */
export const APP_SCHEME = 'netwright';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

export function webPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Only the app's own pages may be loaded in the window. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** Links the user clicks open in the system browser, and only web links do. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Maps an app URL to a file under the renderer folder; null for anything that escapes it. */
export function appUrlToFile(url: string, rendererDir: string, sep = '/'): string | null {
  if (!isAppUrl(url)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..' || p.includes('\\') || p.includes('\0'))) return null;
  return [rendererDir.replace(/[\\/]+$/, ''), ...parts].join(sep);
}

// ---- IPC between the window and the main process (window-level things only; engine traffic
// goes over a MessagePort straight to the engine process) ----

export const ipcSchemas = {
  /** The renderer reports unsaved changes, so closing the window can ask first. */
  'window:set-dirty': z.object({ dirty: z.boolean(), title: z.string().max(300) }),
  /** Native open dialog; returns the chosen path or null. */
  'dialog:open-project': z.object({}).strict(),
  /** Native save dialog; returns the chosen path or null. */
  'dialog:save-project': z.object({ suggestedName: z.string().max(255) }),
  /** Open a web link in the system browser. */
  'shell:open-external': z.object({ url: z.string().url().refine(isExternalLink, 'only http(s) links') }),
} as const;

export type IpcChannel = keyof typeof ipcSchemas;

export type IpcCheck<C extends IpcChannel> = { ok: true; value: z.infer<(typeof ipcSchemas)[C]> } | { ok: false; reason: string };

/**
 * Every message from a window is checked here: a known channel, sent by the app's own main
 * frame (not an iframe, not another origin), with a payload that matches its schema.
 */
export function checkIpc<C extends IpcChannel>(channel: C, sender: { url: string; isMainFrame: boolean } | null, payload: unknown): IpcCheck<C> {
  if (!Object.hasOwn(ipcSchemas, channel)) return { ok: false, reason: `unknown channel ${String(channel)}` };
  if (!sender || !sender.isMainFrame || !isAppUrl(sender.url)) return { ok: false, reason: `sender ${sender?.url ?? 'unknown'} is not the app's main frame` };
  const r = ipcSchemas[channel].safeParse(payload);
  if (!r.success) return { ok: false, reason: `${channel}: ${r.error.issues.map((i) => `${i.path.join('.') || 'payload'} ${i.message}`).join('; ')}` };
  return { ok: true, value: r.data as z.infer<(typeof ipcSchemas)[C]> };
}

/** Every permission request (camera, notifications, geolocation, …) is refused. */
export const allowPermission = (_permission: string): boolean => false;
