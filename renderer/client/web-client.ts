// EngineClient over the web bridge's WebSocket (netwright serve). The token comes from the page URL.
import { dirListing, EngineError, engineInfo, openedFile, savedFile, serverResponse, type ClientRequest, type EngineClient } from '../../engine/protocol.ts';
import { z } from 'zod';

type Request = ClientRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

export class WebEngineClient implements EngineClient {
  private ws: WebSocket | null = null;
  private ready: Promise<WebSocket> | null = null;
  private pending = new Map<number, Pending>();
  private next = 1;

  constructor(private readonly url: string) {}

  static fromLocation(loc: Location = window.location): WebEngineClient {
    const token = new URLSearchParams(loc.search).get('token') ?? '';
    return new WebEngineClient(`ws://${loc.host}/ws?token=${encodeURIComponent(token)}`);
  }

  private connect(): Promise<WebSocket> {
    if (this.ready) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.onopen = () => {
        this.ws = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new EngineError('io', 'cannot reach the Netwright engine (is `netwright serve` still running?)'));
      ws.onclose = () => {
        this.ready = null;
        this.ws = null;
        for (const p of this.pending.values()) p.reject(new EngineError('io', 'the connection to the engine closed'));
        this.pending.clear();
      };
      ws.onmessage = (ev) => {
        const r = serverResponse.safeParse(JSON.parse(String(ev.data)));
        if (!r.success) return;
        const p = this.pending.get(r.data.id);
        if (!p) return;
        this.pending.delete(r.data.id);
        if (r.data.ok) p.resolve(r.data.result);
        else p.reject(new EngineError(r.data.code, r.data.error));
      };
    });
    return this.ready;
  }

  private async call<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
    const ws = await this.connect();
    const id = this.next++;
    const result = await new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...req, id }));
    });
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw new EngineError('bad-request', `unexpected reply to ${req.method}`);
    return parsed.data;
  }

  info() {
    return this.call({ method: 'info' }, engineInfo);
  }
  listDir(dir: string) {
    return this.call({ method: 'listDir', dir }, dirListing);
  }
  openFile(path: string) {
    return this.call({ method: 'openFile', path }, openedFile);
  }
  saveFile(path: string, text: string, o: { chosen: boolean; overwrite?: boolean }) {
    return this.call({ method: 'saveFile', path, text, chosen: o.chosen, overwrite: o.overwrite ?? false }, savedFile);
  }
  recentFiles() {
    return this.call({ method: 'recentFiles' }, z.array(z.string()));
  }
}
