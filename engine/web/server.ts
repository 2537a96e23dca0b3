// Web mode: serves the built editor and a WebSocket bridge on 127.0.0.1 only. A random token,
// made at launch, must be in the page URL and the socket URL; the socket also checks Origin.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { createHost } from '../host.ts';
import { EngineError, type ServerResponse } from '../protocol.ts';

export const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'renderer');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export interface ServeOptions {
  port?: number;
  /** Folder the file dialog starts in; files outside it are refused. */
  root?: string;
  rendererDir?: string;
  token?: string;
  recentFile?: string;
  /** Network document the editor opens first (inside root). */
  initialDoc?: string;
  /** Dataset folder the Train view starts with. */
  initialData?: string;
  /** Read-only shared dataset folders. */
  datasetRoots?: string[];
  /** ONNX Runtime threads for training runs. */
  threads?: number;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export async function serve(o: ServeOptions = {}): Promise<WebServer> {
  const dir = o.rendererDir ?? RENDERER_DIR;
  if (!fs.existsSync(path.join(dir, 'index.html'))) throw new Error(`the editor is not built (${dir}/index.html missing): run npm run build:renderer`);
  const token = o.token ?? crypto.randomBytes(24).toString('base64url');
  const host = createHost({ root: o.root ?? process.cwd(), recentFile: o.recentFile, initialDoc: o.initialDoc, initialData: o.initialData, datasetRoots: o.datasetRoots, threads: o.threads });
  let port = 0;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const security = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, security).end();
      return;
    }
    // The page itself needs the token; the static bundle it loads holds no secrets.
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '/index.html') {
      if (!safeEqual(url.searchParams.get('token') ?? '', token)) {
        res.writeHead(403, { ...security, 'Content-Type': 'text/plain; charset=utf-8' }).end('Netwright: open the URL printed by `netwright serve` (it carries the access token).\n');
        return;
      }
      rel = '/index.html';
    }
    const file = path.join(dir, path.normalize(rel));
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, security).end();
      return;
    }
    res.writeHead(200, {
      ...security,
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws://127.0.0.1:* ; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 32 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const originOk = req.headers.origin === `http://127.0.0.1:${port}` || req.headers.origin === `http://localhost:${port}`;
    if (url.pathname !== '/ws' || !safeEqual(url.searchParams.get('token') ?? '', token) || !originOk) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => bridge(ws));
  });

  function bridge(ws: WebSocket): void {
    // Training events go to every open page, coalesced by the host
    // (a page that reconnects reloads every point with trainingStatus).
    const off = host.onEvent((e) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(e));
    });
    ws.on('close', off);
    ws.on('message', (data, isBinary) => {
      let raw: unknown;
      try {
        if (isBinary) throw new EngineError('bad-request', 'expected a text message');
        raw = JSON.parse(String(data));
      } catch (e) {
        const r: ServerResponse = { id: -1, ok: false, code: 'bad-request', error: (e as Error).message };
        ws.send(JSON.stringify(r));
        return;
      }
      void host.handle(raw).then((r) => ws.send(JSON.stringify(r)));
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        host.training.stop();
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
