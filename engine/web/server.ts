// Web mode: serves the built editor and a WebSocket bridge on 127.0.0.1 only. A random token,
// made at launch, must be in the page URL and the socket URL; the socket also checks Origin.
// Every handler that reads a request runs behind guard(): whatever it throws becomes a reply
// (400 for HTTP, closing that one socket) and never reaches the process, where it would end
// the engine and every training run with it. Every socket gets an 'error' listener for the same
// reason. The Host header must name a loopback host and this port, so a page served from
// another name that resolves to 127.0.0.1 (DNS rebinding) gets nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { createHost } from '../host.ts';
import { EngineError, MAX_SOCKET_MESSAGE_BYTES, type ServerResponse } from '../protocol.ts';

export const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'renderer');

/** The names a Host (and Origin) header may use; the server listens on 127.0.0.1 only. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const SECURITY = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export interface ServeOptions {
  port?: number;
  /** Folder the file dialog starts in; files outside it are refused. */
  root?: string;
  /** The built editor (default dist/renderer, or $NETWRIGHT_RENDERER_DIR). */
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
  /** UI language the page starts in (`--lang`, NETWRIGHT_LANG): passed in the page URL as `lang`. */
  lang?: string;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** A request the server refuses; `status` is its HTTP reply. */
class Refused extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Runs one handler; anything it throws goes to `fail` instead of up the stack. A throw inside
 * `fail` itself only ends that connection.
 */
function guard<A extends unknown[]>(handler: (...a: A) => void, fail: (e: Error, ...a: A) => void): (...a: A) => void {
  return (...a: A) => {
    try {
      handler(...a);
    } catch (e) {
      try {
        fail(e instanceof Error ? e : new Error(String(e)), ...a);
      } catch {
        // nothing more to say on this connection
      }
    }
  };
}

function logError(where: string, e: Error): void {
  if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') console.error(`netwright serve: ${where}: ${e.message}`);
}

export async function serve(o: ServeOptions = {}): Promise<WebServer> {
  const dir = path.resolve(o.rendererDir ?? process.env.NETWRIGHT_RENDERER_DIR ?? RENDERER_DIR);
  if (!fs.existsSync(path.join(dir, 'index.html'))) throw new Error(`the editor is not built (${dir}/index.html missing): run npm run build:renderer`);
  const token = o.token ?? crypto.randomBytes(24).toString('base64url');
  const host = createHost({ root: o.root ?? process.cwd(), recentFile: o.recentFile, initialDoc: o.initialDoc, initialData: o.initialData, datasetRoots: o.datasetRoots, threads: o.threads });
  let port = 0;

  /** The request target as origin-form (`/path?query`) with a loopback Host naming this port; throws Refused otherwise. */
  function parseTarget(req: http.IncomingMessage): URL {
    const target = req.url ?? '';
    if (!target.startsWith('/')) throw new Refused(400, 'the request target must be a path');
    const h = (req.headers.host ?? '').toLowerCase();
    if (!LOOPBACK_HOSTS.some((name) => h === `${name}:${port}` || (port === 80 && h === name))) throw new Refused(403, 'the Host header must be 127.0.0.1, localhost or [::1] with this port');
    return new URL(target, `http://127.0.0.1:${port}`);
  }

  /**
   * The file under the editor's folder that a path names, each segment decoded on its own (an
   * encoded / or .. is refused, not resolved). Only the bundle in assets/ is served without the
   * token: the page (index.html, under whatever name) needs it.
   */
  function staticFile(url: URL): string {
    const segments = url.pathname.slice(1).split('/').map((s) => decodeURIComponent(s));
    if (segments.some((s) => s === '.' || s === '..' || /[/\\\0]/.test(s))) throw new Refused(400, 'bad path');
    const isAsset = segments.length === 2 && segments[0] === 'assets' && /^[\w.-]+$/.test(segments[1]) && !/\.html?$/i.test(segments[1]);
    if (!isAsset && !safeEqual(url.searchParams.get('token') ?? '', token)) throw new Refused(403, 'Netwright: open the URL printed by `netwright serve` (it carries the access token).');
    const rel = segments.join('/');
    return path.join(dir, rel === '' ? 'index.html' : rel);
  }

  const server = http.createServer(
    guard(
      (req: http.IncomingMessage, res: http.ServerResponse) => {
        req.on('error', (e) => logError('request', e));
        res.on('error', (e) => logError('response', e));
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new Refused(405, 'GET or HEAD only');
        const file = staticFile(parseTarget(req));
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Refused(404, 'not found');
        res.writeHead(200, {
          ...SECURITY,
          'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws://127.0.0.1:* ; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
        });
        if (req.method === 'HEAD') res.end();
        else fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
      },
      (e, _req, res) => {
        const status = e instanceof Refused ? e.status : 400;
        if (res.headersSent) res.destroy();
        else res.writeHead(status, { ...SECURITY, 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end(`${e instanceof Refused ? e.message : 'bad request'}\n`);
      },
    ),
  );
  // Bytes that are not HTTP (huge or broken headers) never reach a handler: Node's parser
  // answers them (400, 431) itself, as it does when no 'clientError' listener is added.
  server.on('connection', (socket) => socket.on('error', (e) => logError('connection', e)));

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SOCKET_MESSAGE_BYTES });
  wss.on('error', (e) => logError('socket server', e));
  const origins = new Set<string>(); // filled once the port is known
  server.on(
    'upgrade',
    guard(
      (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on('error', (e) => logError('socket', e));
        const url = parseTarget(req);
        const originOk = origins.has(req.headers.origin ?? '');
        if (url.pathname !== '/ws' || !safeEqual(url.searchParams.get('token') ?? '', token) || !originOk) throw new Refused(403, 'forbidden');
        wss.handleUpgrade(req, socket, head, (ws) => bridge(ws));
      },
      (e, _req, socket) => {
        const status = e instanceof Refused ? e.status : 400;
        socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
        socket.destroy();
      },
    ),
  );

  let nextClient = 1;
  function bridge(ws: WebSocket): void {
    const client = `socket-${nextClient++}`;
    // A message over the size limit (or broken framing) ends this connection only: ws has
    // already sent the close frame (1009 for the size) when it reports the error here.
    ws.on('error', (e) => logError('socket', e));
    const send = (m: unknown) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    // Training events go to every open page, coalesced by the host
    // (a page that reconnects reloads every point with trainingStatus).
    const off = host.onEvent(guard(send, (e) => logError('event', e)));
    ws.on('close', () => {
      off();
      // Its jobs have no one to answer any more.
      host.jobs.cancelClient(client);
    });
    ws.on(
      'message',
      guard(
        (data: Buffer, isBinary: boolean) => {
          if (isBinary) throw new EngineError('bad-request', 'expected a text message');
          const raw: unknown = JSON.parse(String(data));
          void host.handle(raw, client).then(
            (r) => send(r),
            (e: Error) => send({ id: -1, ok: false, code: 'io', error: e.message } satisfies ServerResponse),
          );
        },
        (e) => send({ id: -1, ok: false, code: 'bad-request', error: e.message } satisfies ServerResponse),
      ),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logError('server', e));
  port = (server.address() as { port: number }).port;
  for (const name of LOOPBACK_HOSTS) origins.add(`http://${name}:${port}`);
  return {
    url: `http://127.0.0.1:${port}/?token=${token}${o.lang ? `&lang=${encodeURIComponent(o.lang)}` : ''}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        host.training.stop();
        host.jobs.cancelAll();
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
