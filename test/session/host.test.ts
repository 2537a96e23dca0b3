// The engine's training, evaluation and export methods through the transport-free host, as the
// web bridge and the Electron engine process call them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createHost } from '../../engine/host.ts';
import type { ServerEvent, ServerResponse } from '../../engine/protocol.ts';
import { writeSampleDataset } from '../../engine/data/sample.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const root = tempDir();
const data = sampleData(12);
const host = createHost({ root, recentFile: path.join(root, 'recent.json'), initialData: data, threads: 1 });
const events: ServerEvent[] = [];
host.onEvent((e) => events.push(e));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let nextId = 1;
async function call<T = unknown>(req: Record<string, unknown>): Promise<T> {
  const r: ServerResponse = await host.handle({ ...req, id: nextId++ });
  if (!r.ok) throw new Error(`${req.method}: ${r.code}: ${r.error}`);
  return r.result as T;
}
const waitFor = async (pred: () => boolean, what: string, ms = 60_000) => {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
const of = (runId: string) => events.filter((e) => e.runId === runId).map((e) => e.event);

let finishedRun = '';

test('start, pause, resume: steps arrive in batches, none lost, and the run continues at the same step', async () => {
  // Six epochs: steps run up to 16 to a session run, and pause lands between runs (two an epoch here).
  const doc = sampleProject({ epochs: 6, batchSize: 8, valSplit: 0.25, schedule: { kind: 'cosine', warmupSteps: 3, stepEpochs: 10, gamma: 0.1, minFactor: 0 } });
  const { runId, outDir } = await call<{ runId: string; outDir: string }>({ method: 'startTraining', doc, dataDir: data, docPath: null });
  assert.equal(path.dirname(outDir), path.join(fs.realpathSync(root), 'runs'));
  await assert.rejects(call({ method: 'startTraining', doc, dataDir: data }), /already/);
  await waitFor(() => of(runId).some((e) => e.type === 'steps'), 'the first steps');
  await call({ method: 'pauseTraining' });
  await waitFor(() => of(runId).some((e) => e.type === 'paused'), 'paused');
  const paused = of(runId).find((e) => e.type === 'paused')!;
  assert.equal((await call<{ state: string }>({ method: 'trainingStatus' })).state, 'paused');
  const before = of(runId).length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(of(runId).length, before, 'nothing happens while paused');
  await call({ method: 'resumeTraining' });
  await host.training.finished;

  const ev = of(runId);
  const points = ev.flatMap((e) => (e.type === 'steps' ? e.points : []));
  const started = ev.find((e) => e.type === 'started')!;
  assert.ok(started.type === 'started');
  assert.equal(points.length, started.totalSteps);
  assert.deepEqual(points.map((p) => p.step), points.map((_, i) => i + 1), 'every step, in order, once');
  assert.ok(paused.type === 'paused');
  assert.equal(ev.find((e) => e.type === 'resumed')?.type === 'resumed' && (ev.find((e) => e.type === 'resumed') as { step: number }).step, paused.step);
  assert.ok(ev.filter((e) => e.type === 'steps').length < points.length, 'steps are coalesced');
  // The schedule: warm-up to the base rate, then a cosine down to 0.
  assert.ok(Math.abs(points[0].lr - 0.003 / 3) < 1e-9 && Math.abs(points[2].lr - 0.003) < 1e-9, `${points[0].lr} ${points[2].lr}`);
  assert.ok(points.at(-1)!.lr < points[3].lr);
  const done = ev.at(-1)!;
  assert.ok(done.type === 'done' && done.reason === 'finished' && done.best, JSON.stringify(done));
  for (const f of ['model.onnx', 'best.onnx', 'metrics.csv', 'run.json']) assert.ok(fs.existsSync(path.join(outDir, f)), f);

  const runs = await call<{ runId: string; status: string; epochs: number; final: { valAccuracy: number } }[]>({ method: 'listRuns' });
  const r = runs.find((x) => x.runId === runId)!;
  assert.equal(r.status, 'finished');
  assert.equal(r.epochs, 6);
  const curves = await call<{ steps: unknown[]; epochs: unknown[] }>({ method: 'runCurves', runId });
  assert.equal(curves.steps.length, points.length);
  assert.equal(curves.epochs.length, 6);
  const status = await call<{ state: string; points: unknown[] }>({ method: 'trainingStatus' });
  assert.equal(status.state, 'idle');
  assert.equal(status.points.length, points.length);
  finishedRun = runId;
});

test('devices: CPU available; a GPU device that cannot load trains on CPU and says why in a warning', async () => {
  const devices = await call<{ device: string; available: boolean; reason?: string }[]>({ method: 'devices' });
  assert.deepEqual(devices[0], { device: 'cpu', label: 'CPU', available: true });
  const cuda = devices.find((d) => d.device === 'cuda')!;
  if (cuda.available) return;
  const { runId } = await call<{ runId: string }>({ method: 'startTraining', doc: sampleProject({ epochs: 1, batchSize: 8 }), dataDir: data, maxSteps: 2, device: 'cuda' });
  await host.training.finished;
  const ev = of(runId);
  const started = ev.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started' && started.device === 'cpu');
  assert.ok(ev.some((e) => e.type === 'log' && e.level === 'warn' && /^cuda is not available/.test(e.message)), JSON.stringify(ev.filter((e) => e.type === 'log')));
  const runs = await call<{ runId: string; settings: { device: string } }[]>({ method: 'listRuns' });
  assert.equal(runs.find((r) => r.runId === runId)!.settings.device, 'cuda');
});

test('stop keeps the last finished epoch (model.onnx) and the best one (best.onnx)', async () => {
  const doc = sampleProject({ epochs: 50, batchSize: 8, valSplit: 0.25 });
  const { runId, outDir } = await call<{ runId: string; outDir: string }>({ method: 'startTraining', doc, dataDir: data });
  await waitFor(() => of(runId).some((e) => e.type === 'epoch'), 'the first epoch');
  await call({ method: 'stopTraining' });
  await host.training.finished;
  const done = of(runId).at(-1)!;
  assert.ok(done.type === 'done' && done.reason === 'stopped', JSON.stringify(done));
  assert.ok(fs.existsSync(path.join(outDir, 'model.onnx')) && fs.existsSync(path.join(outDir, 'best.onnx')));
  const runs = await call<{ runId: string; status: string }[]>({ method: 'listRuns' });
  assert.equal(runs.find((x) => x.runId === runId)!.status, 'stopped');
});

test('evaluate: confusion matrix, per-class P/R/F1, the images of every cell, most confident mistakes first', async () => {
  const r = await call<{ count: number; confusion: number[][]; perClass: { precision: number; recall: number; f1: number }[]; cells: string[][][]; mistakes: { confidence: number; label: number; predicted: number }[]; accuracy: number }>({ method: 'evaluate', runId: finishedRun });
  assert.equal(r.count, 12);
  assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), r.count);
  r.confusion.forEach((row, t) => row.forEach((v, p) => assert.equal(r.cells[t][p].length, v)));
  for (const c of r.perClass) assert.ok(Math.abs(c.f1 - (c.precision + c.recall ? (2 * c.precision * c.recall) / (c.precision + c.recall) : 0)) < 1e-12);
  assert.equal(r.mistakes.length, r.count - r.confusion.reduce((s, row, i) => s + row[i], 0));
  for (let i = 1; i < r.mistakes.length; i++) assert.ok(r.mistakes[i - 1].confidence >= r.mistakes[i].confidence);
  for (const m of r.mistakes) assert.notEqual(m.label, m.predicted);
  const thumbs = await call<{ images: { url: string | null }[] }>({ method: 'images', dataDir: data, paths: [r.cells[0].flat()[0] ?? 'circle/0000.png'] });
  assert.match(thumbs.images[0].url!, /^data:image\/png;base64,/);
});

test('predict: top-k, feature maps of every convolution, first-layer filters', async () => {
  const r = await call<{ top: { probability: number }[]; featureMaps: { nodeId: string; maps: { shape: number[]; channels: number; data: string } }[]; filters: { shape: number[]; values: number[] }; input: string }>({
    method: 'predict', runId: finishedRun, image: { path: 'circle/0000.png' }, top: 3,
  });
  assert.equal(r.top.length, 3);
  assert.ok(r.top[0].probability >= r.top[1].probability);
  assert.deepEqual(r.featureMaps.map((f) => f.nodeId), ['conv1', 'conv2', 'conv3']);
  assert.deepEqual(r.featureMaps[0].maps.shape, [16, 32, 32]);
  assert.equal(Buffer.from(r.featureMaps[0].maps.data, 'base64').length, 16 * 32 * 32);
  assert.deepEqual(r.filters.shape, [16, 3, 3, 3]);
  assert.equal(r.filters.values.length, 16 * 27);
  assert.match(r.input, /^data:image\/png;base64,/);
  // Bytes of a picked file work the same way.
  const bytes = fs.readFileSync(path.join(data, 'square', '0001.png')).toString('base64');
  const r2 = await call<{ top: unknown[] }>({ method: 'predict', runId: finishedRun, image: { data: bytes } });
  assert.equal(r2.top.length, 4);
});

test('export: the written file reloads in ONNX Runtime and matches the engine on validation images', async () => {
  const r = await call<{ path: string; ok: boolean; maxAbsDiff: number; compared: number; metadata: Record<string, string> }>({ method: 'exportModel', runId: finishedRun });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.compared, 12);
  assert.ok(r.maxAbsDiff <= 1e-4);
  assert.equal(r.metadata['netwright.class_names'], JSON.stringify(['circle', 'cross', 'square', 'triangle']));
  assert.equal(r.metadata['netwright.scaling'], 'x/255');
  const s = await ort.InferenceSession.create(r.path);
  const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(3 * 32 * 32), [1, 3, 32, 32]) });
  assert.equal(out.probs.dims[1], 4);
});

test('export PyTorch: model.py, train.py, weights.pt and README in <root>/exports/<run>-pytorch', async () => {
  const r = await call<{ outDir: string; files: string[]; className: string; weights: boolean }>({ method: 'exportPyTorch', runId: finishedRun });
  assert.equal(r.outDir, path.join(fs.realpathSync(root), 'exports', `${finishedRun}-pytorch`));
  assert.deepEqual([...r.files].sort(), ['README.md', 'model.py', 'network.json', 'train.py', 'weights.pt']);
  assert.ok(r.weights);
  assert.match(fs.readFileSync(path.join(r.outDir, 'model.py'), 'utf8'), new RegExp(`class ${r.className}\\(nn\\.Module\\)`));
});

test('predict a folder: a CSV in <root>/predictions with one row per file and a summary', async () => {
  fs.writeFileSync(path.join(data, 'circle', 'zz-broken.png'), 'broken');
  const r = await call<{ csv: string; files: number; classified: number; labelled: number; correct: number; rows: { path: string; trueClass: string | null; error: string | null }[] }>({ method: 'predictFolder', runId: finishedRun, dataDir: data, top: 2 });
  fs.rmSync(path.join(data, 'circle', 'zz-broken.png'));
  assert.equal(path.dirname(r.csv), path.join(fs.realpathSync(root), 'predictions'));
  assert.equal(r.files, 4 * 12 + 1);
  assert.equal(r.classified, 4 * 12);
  assert.equal(r.labelled, 4 * 12);
  assert.ok(r.correct >= 0 && r.correct <= r.labelled);
  assert.equal(r.rows.find((x) => x.path === path.join('circle', 'zz-broken.png'))!.error, 'not an image');
  assert.equal(fs.readFileSync(r.csv, 'utf8').trim().split('\n').length, 1 + 4 * 12 + 1);
  await assert.rejects(call({ method: 'predictFolder', runId: finishedRun, dataDir: '/etc' }), /outside the project/);
});

test('gradient check: finite differences agree with autodiff for every parameter of the sample network', async () => {
  const r = await call<{ rows: { layer: string; ok: boolean; relError: number }[]; source: string }>({ method: 'gradientCheck', doc: sampleProject(), dataDir: data });
  assert.equal(r.rows.length, 8);
  assert.ok(r.rows.every((x) => x.ok), JSON.stringify(r.rows));
  assert.match(r.source, /4 images/);
});

test('evaluate runs on its own thread: an info request sent while it runs is answered before it finishes', async () => {
  // A run of the finished model over a larger split: the same folder layout, 600 images, half held out.
  // Inside the project: a run's dataset folder is checked like any other (run-folders.test.ts).
  const big = path.join(root, 'big-data');
  writeSampleDataset(big, 150, 9);
  const runs = path.join(fs.realpathSync(root), 'runs');
  fs.cpSync(path.join(runs, finishedRun), path.join(runs, 'big'), { recursive: true });
  const record = JSON.parse(fs.readFileSync(path.join(runs, 'big', 'run.json'), 'utf8'));
  record.dataDir = fs.realpathSync(big);
  record.doc.training.valSplit = 0.5;
  fs.writeFileSync(path.join(runs, 'big', 'run.json'), JSON.stringify(record));
  const order: string[] = [];
  const evaluating = host.handle({ id: 900, method: 'evaluate', runId: 'big' }).then((r) => (order.push('evaluate'), r));
  assert.equal(host.jobs.running, 1, 'the evaluate is on a worker thread');
  const info = await host.handle({ id: 901, method: 'info' }).then((r) => (order.push('info'), r));
  assert.ok(info.ok);
  const ev = await evaluating;
  assert.ok(ev.ok, JSON.stringify(ev));
  assert.equal((ev.result as { count: number }).count, 300);
  assert.deepEqual(order, ['info', 'evaluate']);
  assert.equal(host.jobs.running, 0);
  // Errors keep their codes across the thread border.
  const missing = await host.handle({ id: 902, method: 'evaluate', runId: 'no-such-run' });
  assert.ok(!missing.ok && missing.code === 'not-found', JSON.stringify(missing));
  fs.rmSync(big, { recursive: true, force: true });
});

test('augmentation previews: the run\'s own batch code, seeded; without augmentation the images come back unchanged', async () => {
  const base = sampleProject({ valSplit: 0.25 });
  const withAug = { ...base, training: { ...base.training, data: { ...base.training.data, augment: { hflip: true, cropPadding: 4, translate: 0, brightness: 0.3, contrast: 0.3 } } } };
  type Preview = { augmenting: boolean; samples: { path: string; label: number; original: string; augmented: string[] }[] };
  const a = await call<Preview>({ method: 'augmentPreview', doc: withAug, dataDir: data, count: 4, variants: 3 });
  assert.equal(a.augmenting, true);
  assert.deepEqual(a.samples.map((x) => x.label), [0, 1, 2, 3], 'one image per class in turn');
  for (const x of a.samples) {
    assert.equal(x.augmented.length, 3);
    assert.match(x.original, /^data:image\/png;base64,/);
    assert.ok(x.augmented.some((u) => u !== x.original), 'augmentation changes the image');
  }
  assert.deepEqual(await call<Preview>({ method: 'augmentPreview', doc: withAug, dataDir: data, count: 4, variants: 3 }), a, 'seeded: the same previews twice');
  const plain = await call<Preview>({ method: 'augmentPreview', doc: base, dataDir: data, count: 2, variants: 2 });
  assert.equal(plain.augmenting, false);
  for (const x of plain.samples) assert.deepEqual(x.augmented, [x.original, x.original]);
});

test('dataset report and files: only inside the project or the folder given at launch', async () => {
  const rep = await call<{ classNames: string[]; totals: { train: number; val: number }; samples: string[][] }>({ method: 'datasetReport', doc: sampleProject({ valSplit: 0.25 }), dataDir: data });
  assert.deepEqual(rep.classNames, ['circle', 'cross', 'square', 'triangle']);
  assert.equal(rep.totals.train + rep.totals.val, 48);
  assert.equal(rep.samples[0].length, 8);
  const outside = tempDir();
  const r = await host.handle({ id: 1, method: 'datasetReport', doc: sampleProject(), dataDir: outside });
  assert.ok(!r.ok && r.code === 'refused');
  const img = await call<{ images: { url: string | null; error?: string }[] }>({ method: 'images', dataDir: data, paths: ['../../etc/passwd', 'circle/../../x.png'] });
  assert.ok(img.images.every((i) => i.url === null && i.error));
  const bad = await host.handle({ id: 2, method: 'evaluate', runId: '../x' });
  assert.ok(!bad.ok && bad.code === 'bad-request');
  fs.rmSync(outside, { recursive: true, force: true });
});
