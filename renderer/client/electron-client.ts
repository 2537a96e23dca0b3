// The desktop app's transport: the preload (electron/preload.ts) exposes one named method per
// method of the table, each posting its request on the MessagePort to the engine process, and
// hands back every message from the engine (replies and events) to onMessage.
import { said } from '../../engine/graph/error-codes.ts';
import { EngineError, type ClientRequest, type Method } from '../../engine/protocol.ts';
import { RpcClient, type Transport } from './rpc.ts';

/** What the preload exposes as window.netwright.engine. */
export type PreloadEngine = { [M in Method]: (message: ClientRequest) => Promise<void> } & {
  onMessage(cb: (message: unknown) => void): void;
  onLost(cb: () => void): void;
};

/** The preload's API, when this page runs inside the desktop app. */
export function desktopEngine(): PreloadEngine | null {
  const api = (window as unknown as { netwright?: { engine?: PreloadEngine } }).netwright;
  return api?.engine ?? null;
}

export class PreloadTransport implements Transport {
  private subscribed = false;
  private onMessage: (m: unknown) => void = () => {};
  private onLost: (e: EngineError) => void = () => {};

  constructor(private readonly api: PreloadEngine) {}

  async send(message: ClientRequest): Promise<void> {
    const post = this.api[message.method];
    if (typeof post !== 'function') throw new EngineError('bad-request', `the desktop app has no method ${message.method}`, said('no-desktop-method', { method: message.method }));
    await post(message);
  }

  receive(onMessage: (m: unknown) => void, onLost: (e: EngineError) => void): void {
    this.onMessage = onMessage;
    this.onLost = onLost;
    if (this.subscribed) return;
    this.subscribed = true;
    this.api.onMessage((m) => this.onMessage(m));
    this.api.onLost(() => this.onLost(new EngineError('io', 'the engine stopped; it is restarting', said('engine-restarting'))));
  }

  close(): void {}
}

/** The editor's client inside the desktop app. */
export const electronEngineClient = (api: PreloadEngine): RpcClient => new RpcClient(new PreloadTransport(api));
