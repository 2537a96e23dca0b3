// Worker threads for engine modules. From source (tests, the CLI) a module is a .ts file and the
// thread registers tsx's loader first; in the bundles (build/bundle.mjs) it is a sibling .mjs.
import { Worker } from 'node:worker_threads';

/** The URL of worker module `name` beside `base` (pass import.meta.url). */
export function workerUrl(name: string, base: string): URL {
  return new URL(base.endsWith('.ts') ? `./${name}.ts` : `./${name}.mjs`, base);
}

export function spawnWorker(url: URL, workerData?: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData });
}
