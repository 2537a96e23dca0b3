// The one engine client: each method of the table (engine/protocol.ts, METHODS) becomes a call
// that sends `{ id, method, ...params }` over a Transport and checks the reply with the method's
// result schema; the engine's pushed events come back over the same transport. Two transports:
// the web bridge's WebSocket (web-client.ts) and the desktop preload's MessagePort (electron-client.ts).
import { said } from '../../engine/graph/error-codes.ts';
import { callParams, EngineError, METHOD_NAMES, METHODS, serverEvent, serverResponse, type ClientRequest, type EngineClient, type Method, type MethodResult, type ServerEvent } from '../../engine/protocol.ts';

/** Carries messages to and from the engine. */
export interface Transport {
  /** Hands one request to the engine; rejects when it cannot (no connection). */
  send(message: ClientRequest): Promise<void>;
  /**
   * Where the engine's messages (replies and pushed events) go from now on, and what ends the
   * calls in flight when the connection is lost. Opens the connection, where the transport has
   * one, so that events flow; calling it again only does that.
   */
  receive(onMessage: (message: unknown) => void, onLost: (e: EngineError) => void): void;
  close(): void;
}

/** `sent`: handed to the connection (a lost connection ends it; one still waiting to be sent waits for the next). */
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; sent: boolean };

// The table's methods, as instance members (made in the constructor).
export interface RpcClient extends Omit<EngineClient, 'onEvent'> {}

export class RpcClient {
  private pending = new Map<number, Pending>();
  private next = 1;
  private listening = false;
  private listeners = new Set<(e: ServerEvent) => void>();

  constructor(private readonly transport: Transport) {
    for (const m of METHOD_NAMES) (this as unknown as Record<Method, (...a: unknown[]) => unknown>)[m] = (...a: unknown[]) => this.request(m, callParams(m, a));
  }

  /** Calls one method with its params as an object (the named methods pass theirs here). */
  async request<M extends Method>(method: M, params: Record<string, unknown> = {}): Promise<MethodResult<M>> {
    this.listen();
    const id = this.next++;
    const result = await new Promise<unknown>((resolve, reject) => {
      const p: Pending = { resolve, reject, sent: false };
      this.pending.set(id, p);
      this.transport.send({ ...params, id, method } as ClientRequest).then(
        () => void (p.sent = true),
        (e: Error) => (this.pending.delete(id), reject(e)),
      );
    });
    const parsed = METHODS[method].result.safeParse(result);
    if (!parsed.success) throw new EngineError('bad-request', `unexpected reply to ${method}`, said('unexpected-reply', { method }));
    return parsed.data as MethodResult<M>;
  }

  /** Training events pushed by the engine; returns the unsubscribe function. */
  onEvent(listener: (e: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    // Events only flow on an open connection: open it now so none is missed.
    this.listen(true);
    return () => void this.listeners.delete(listener);
  }

  close(): void {
    this.transport.close();
  }

  private listen(again = false): void {
    if (this.listening && !again) return;
    this.listening = true;
    this.transport.receive(
      (m) => this.message(m),
      (e) => {
        for (const [id, p] of this.pending) if (p.sent) (this.pending.delete(id), p.reject(e));
      },
    );
  }

  private message(msg: unknown): void {
    if (msg && typeof msg === 'object' && 'event' in msg) {
      const e = serverEvent.safeParse(msg);
      if (e.success) for (const l of this.listeners) l(e.data);
      return;
    }
    const r = serverResponse.safeParse(msg);
    if (!r.success) return;
    const p = this.pending.get(r.data.id);
    if (!p) return;
    this.pending.delete(r.data.id);
    if (r.data.ok) p.resolve(r.data.result);
    else p.reject(new EngineError(r.data.code, r.data.error, r.data.text));
  }
}
