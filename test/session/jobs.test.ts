// engine/session/jobs.ts through the host: a flood of job requests never runs more worker
// threads than the per-kind bound, every request settles (a result, or 'superseded' when a newer
// one from the same client replaced it), the newest gets a real result, and the threads end.
// Threads are counted on node:worker_threads itself, not by the runner's own counters.
import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { after, test } from 'node:test';
import workerThreads from 'node:worker_threads';
import { createHost } from '../../engine/host.ts';
import type { ServerResponse } from '../../engine/protocol.ts';
import { JOB_LIMITS, JobRunner } from '../../engine/session/jobs.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

// Every Worker the engine starts, by job kind, while it is alive (constructed, not yet exited).
const live = new Map<string, number>();
const peak = new Map<string, number>();
let started = 0;
const Original = workerThreads.Worker;
class CountedWorker extends Original {
  constructor(...a: ConstructorParameters<typeof Original>) {
    super(...a);
    const kind = String((a[1]?.workerData as { kind?: string } | undefined)?.kind);
    started++;
    live.set(kind, (live.get(kind) ?? 0) + 1);
    peak.set(kind, Math.max(peak.get(kind) ?? 0, live.get(kind)!));
    this.once('exit', () => live.set(kind, live.get(kind)! - 1));
  }
}
workerThreads.Worker = CountedWorker;
syncBuiltinESMExports();
after(() => {
  workerThreads.Worker = Original;
  syncBuiltinESMExports();
});

const root = tempDir();
const data = sampleData(6);
const host = createHost({ root, recentFile: path.join(root, 'recent.json'), initialData: data, threads: 1 });
const totalLive = () => [...live.values()].reduce((a, b) => a + b, 0);
const waitFor = async (pred: () => boolean, what: string, ms = 30_000) => {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('80 report and preview requests at once from 4 pages: at most the bound of threads per kind, all settle, the newest of each page gets its result', async () => {
  const doc = sampleProject({ valSplit: 0.25 });
  const clients = ['page-a', 'page-b', 'page-c', 'page-d'];
  const sent: { client: string; method: string; reply: Promise<ServerResponse> }[] = [];
  for (let i = 0; i < 80; i++) {
    const client = clients[i % clients.length];
    const method = i % 8 < 4 ? 'datasetReport' : 'augmentPreview';
    sent.push({ client, method, reply: host.handle({ id: i + 1, method, doc, dataDir: data, count: 2, variants: 1 }, client) });
  }
  const replies = await Promise.all(sent.map((s) => s.reply));
  for (const kind of ['datasetReport', 'augmentPreview'] as const) {
    assert.ok((peak.get(kind) ?? 0) <= JOB_LIMITS[kind].running, `${kind}: ${peak.get(kind)} threads at once, bound ${JOB_LIMITS[kind].running}`);
  }
  const superseded = replies.filter((r) => !r.ok && r.code === 'superseded').length;
  const results = replies.filter((r) => r.ok).length;
  assert.equal(superseded + results, 80, JSON.stringify(replies.filter((r) => !r.ok && r.code !== 'superseded').slice(0, 3)));
  // The last request of each page and kind is never superseded.
  for (const c of clients) {
    for (const m of ['datasetReport', 'augmentPreview']) {
      const last = sent.map((s, i) => ({ ...s, r: replies[i] })).filter((s) => s.client === c && s.method === m).at(-1)!;
      assert.ok(last.r.ok, `${c} ${m}: ${JSON.stringify(last.r).slice(0, 200)}`);
    }
  }
  const report = replies.find((r, i) => r.ok && sent[i].method === 'datasetReport');
  assert.deepEqual((report as { result: { classNames: string[] } }).result.classNames, ['circle', 'cross', 'square', 'triangle']);
  assert.ok(started < 40, `superseded requests that never started need no thread: ${started} threads for 80 requests`);
  await waitFor(() => totalLive() === 0, 'every worker thread to exit');
  assert.equal(host.jobs.threads, 0);
  assert.equal(host.jobs.running, 0);
  console.log(`80 requests: ${results} results, ${superseded} superseded, ${started} threads started, at most ${JSON.stringify(Object.fromEntries(peak))} at once`);
});

test('kinds that are not newest-wins queue up to their bound and refuse beyond it; cancelling a client ends its threads', async () => {
  const runner = new JobRunner({ root: host.files.root, dataDirs: [data] }, { ...JOB_LIMITS, datasetReport: { running: 1, waiting: 3, newestWins: false } });
  peak.clear();
  const doc = sampleProject({ valSplit: 0.25 });
  const all = Array.from({ length: 10 }, () => runner.run('datasetReport', doc, data).then((r) => ({ ok: true, r }), (e: { code: string }) => ({ ok: false, code: e.code })));
  const settled = await Promise.all(all);
  assert.equal(settled.filter((s) => s.ok).length, 4, 'one running and three waiting');
  assert.deepEqual(settled.filter((s) => !s.ok).map((s) => (s as { code: string }).code), Array(6).fill('refused'));
  assert.equal(peak.get('datasetReport'), 1);

  const pending = [runner.runFor('x', 'datasetReport', doc, data), runner.runFor('x', 'datasetReport', doc, data), runner.runFor('y', 'datasetReport', doc, data)];
  await waitFor(() => (live.get('datasetReport') ?? 0) === 1, 'the first to start');
  runner.cancelClient('x');
  const [a, b, c] = await Promise.allSettled(pending);
  assert.ok(a.status === 'rejected' && b.status === 'rejected' && /cancelled/.test(String(a.reason.message)), `${a.status} ${b.status}`);
  assert.ok(c.status === 'fulfilled', 'the other client is untouched');
  await waitFor(() => totalLive() === 0, 'every worker thread to exit');
});
