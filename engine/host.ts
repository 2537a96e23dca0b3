// The engine's request handler, independent of transport: the web bridge (WebSocket) and the
// Electron engine process (MessagePort) both feed it raw messages and send back its replies.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientRequest, EngineError, type ServerResponse } from './protocol.ts';
import { FileAccess } from './web/files.ts';

export interface EngineHost {
  readonly files: FileAccess;
  handle(raw: unknown): Promise<ServerResponse>;
}

// Source: engine/host.ts; bundled: dist/engine/*.mjs. Either way the app's package.json is above.
const VERSION = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'netwright') return pkg.version;
    } catch {
      // not here; look one folder up
    }
  }
  return 'unknown';
})();

export function createHost(opts: { root: string; recentFile?: string }): EngineHost {
  const files = new FileAccess(opts.root, opts.recentFile);
  return {
    files,
    async handle(raw: unknown): Promise<ServerResponse> {
      const id = typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : -1;
      try {
        const parsed = clientRequest.safeParse(raw);
        if (!parsed.success) throw new EngineError('bad-request', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        const m = parsed.data;
        let result: unknown;
        switch (m.method) {
          case 'info':
            result = { version: VERSION, root: files.root, platform: process.platform };
            break;
          case 'listDir':
            result = files.listDir(m.dir);
            break;
          case 'openFile':
            result = files.openFile(m.path);
            break;
          case 'saveFile':
            result = files.saveFile(m.path, m.text, { chosen: m.chosen, overwrite: m.overwrite });
            break;
          case 'recentFiles':
            result = files.recentFiles();
            break;
        }
        return { id: m.id, ok: true, result };
      } catch (e) {
        const code = e instanceof EngineError ? (e.code as 'refused') : 'io';
        return { id, ok: false, code, error: (e as Error).message };
      }
    },
  };
}
