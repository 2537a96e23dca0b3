// Entry of the engine's own process under Electron (utilityProcess.fork). The main process
// hands it one end of a MessageChannel per window load; every message on it goes through the
// same validated handler as web mode, and a malformed one gets an error reply, never a crash.
import fs from 'node:fs';
import { createHost, type EngineHost } from './host.ts';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown; ports: MessagePortLike[] }) => void): void;
}
interface MessagePortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) throw new Error('electron-host must run in an Electron utility process');

let host: EngineHost | null = null;
let ports = 0;
parentPort.on('message', (e) => {
  const msg = e.data as { type?: string; root?: string; path?: string };
  // The main process grants a document the user opened through the OS (see FileAccess.grant).
  if (msg?.type === 'grant' && typeof msg.path === 'string') {
    try {
      host?.files.grant(msg.path);
    } catch {
      // the file vanished; opening it will say so
    }
    return;
  }
  const port = e.ports[0];
  if (msg?.type !== 'connect' || !port || typeof msg.root !== 'string') return;
  // Debian's shared datasets, where present, are readable (never written) like a chosen dataset.
  host ??= createHost({ root: msg.root, datasetRoots: fs.existsSync('/usr/share/datasets') ? ['/usr/share/datasets'] : [] });
  const h = host;
  // Each window's port is one job client: its newer requests supersede its older ones, and
  // closing it cancels its jobs (as each web-mode socket does).
  const client = `port-${++ports}`;
  port.on('message', (m) => void h.handle(m.data, client).then((r) => port.postMessage(r)));
  // Training events go to this window's port until the window reloads or closes.
  const off = h.onEvent((ev) => port.postMessage(ev));
  port.on('close', () => {
    off();
    h.jobs.cancelClient(client);
  });
  port.start();
});
