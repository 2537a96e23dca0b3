// A job flood through the host: N dataset-report requests at once from one client, as a page
// sends them while the user edits. Prints the replies by code, the seconds, and the process's
// RSS (MB) and OS thread count at rest, at their peak, and 3 s after (with a GC).
// Usage: node --expose-gc --import tsx bench/job-flood.ts [N=100]
import fs from 'node:fs';
import path from 'node:path';
import { createHost } from '../engine/host.ts';
import { sampleData, sampleProject, tempDir } from '../test/fixtures/sample.ts';
const N = Number(process.argv[2] ?? 100);
const root = tempDir();
const data = sampleData(6);
const host = createHost({ root, recentFile: path.join(root, 'recent.json'), initialData: data, threads: 1 });
const doc = sampleProject({ valSplit: 0.25 });
const tasks = () => fs.readdirSync('/proc/self/task').length;
const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20);
(globalThis as { gc?: () => void }).gc?.();
const base = { rss: mb(), tasks: tasks() };
let peakRss = 0, peakTasks = 0;
const t = setInterval(() => { peakRss = Math.max(peakRss, mb()); peakTasks = Math.max(peakTasks, tasks()); }, 20);
const t0 = Date.now();
const replies = await Promise.all(Array.from({ length: N }, (_, i) => host.handle({ id: i + 1, method: 'datasetReport', doc, dataDir: data })));
const secs = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 3000));
(globalThis as { gc?: () => void }).gc?.();
clearInterval(t);
const ok = replies.filter((r) => r.ok).length;
const codes: Record<string, number> = {};
for (const r of replies) if (!r.ok) codes[r.code] = (codes[r.code] ?? 0) + 1;
console.log(JSON.stringify({ N, ok, codes, secs, base, peakRss, peakTasks, after: { rss: mb(), tasks: tasks() } }));
process.exit(0);
