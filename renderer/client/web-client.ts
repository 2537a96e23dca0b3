// The web bridge's transport (netwright serve): one WebSocket, opened when first needed and
// again after it closes. The token comes from the page URL.
import { said } from '../../engine/graph/error-codes.ts';
import { EngineError, MAX_SOCKET_MESSAGE_BYTES, type ClientRequest } from '../../engine/protocol.ts';
import { RpcClient, type Transport } from './rpc.ts';

export class WebSocketTransport implements Transport {
  private ready: Promise<WebSocket> | null = null;
  private ws: WebSocket | null = null;
  private onMessage: (m: unknown) => void = () => {};
  private onLost: (e: EngineError) => void = () => {};

  constructor(private readonly url: string) {}

  static fromLocation(loc: Location = window.location): WebSocketTransport {
    const token = new URLSearchParams(loc.search).get('token') ?? '';
    return new WebSocketTransport(`ws://${loc.host}/ws?token=${encodeURIComponent(token)}`);
  }

  receive(onMessage: (m: unknown) => void, onLost: (e: EngineError) => void): void {
    this.onMessage = onMessage;
    this.onLost = onLost;
    void this.connect().catch(() => undefined);
  }

  async send(message: ClientRequest): Promise<void> {
    const ws = await this.connect();
    const text = JSON.stringify(message);
    // The engine closes a connection that sends more (and every call on it would fail): say so instead.
    const bytes = text.length * 3 > MAX_SOCKET_MESSAGE_BYTES ? new TextEncoder().encode(text).length : text.length;
    if (bytes > MAX_SOCKET_MESSAGE_BYTES) {
      const mb = (bytes / 2 ** 20).toFixed(1);
      const max = MAX_SOCKET_MESSAGE_BYTES / 2 ** 20;
      throw new EngineError('refused', `${message.method}: the request is ${mb} MB; the engine takes messages up to ${max} MB`, said('request-too-large', { method: message.method, mb, max }));
    }
    ws.send(text);
  }

  close(): void {
    this.ws?.close();
  }

  private connect(): Promise<WebSocket> {
    if (this.ready) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.onopen = () => {
        this.ws = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new EngineError('io', 'cannot reach the Netwright engine (is `netwright serve` still running?)', said('engine-unreachable')));
      ws.onclose = () => {
        const opened = this.ws === ws;
        this.ready = null;
        this.ws = null;
        // A socket that never opened carried no call: those waiting on it fail with 'cannot reach'.
        if (opened) this.onLost(new EngineError('io', 'the connection to the engine closed', said('engine-closed')));
      };
      ws.onmessage = (ev) => this.onMessage(JSON.parse(String(ev.data)));
    });
    return this.ready;
  }
}

/** The editor's client in a browser page served by `netwright serve`. */
export const webEngineClient = (loc: Location = window.location): RpcClient => new RpcClient(WebSocketTransport.fromLocation(loc));
