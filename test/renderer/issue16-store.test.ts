// Store logic behind issue 16's fixes: insert between layers, copies to free space, the Runs rows
// following the current run live, Train blocked by the dataset report, what training counts, and
// the Train view reset when another document opens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EditorStore, NODE_BOX, trainedTotals } from '../../renderer/store/editor-store.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';
import { datasetBlocker, runRows, TrainStore } from '../../renderer/store/train-store.ts';
import type { DatasetReportResult, RunSummary } from '../../engine/protocol.ts';

const lenet = () => TEMPLATES.find((t) => t.id === 'lenet5')!.make();

test('insert after a layer with one successor: wired between them, the rest one row down, one undo step', () => {
  const s = new EditorStore(lenet());
  const before = s.doc;
  const id = s.insertAfter('conv1', 'BatchNorm')!;
  const edges = s.doc.edges.map((e) => `${e.source}>${e.target}`);
  assert.ok(edges.includes(`conv1>${id}`) && edges.includes(`${id}>relu1`));
  assert.ok(!edges.includes('conv1>relu1'));
  assert.equal(s.doc.edges.length, before.edges.length + 1, 'one more connection: a chain, no dangling branch');
  assert.equal(s.analysis().ok, true, JSON.stringify(s.analysis().problems));
  const y = (n: string) => s.node(n)!.position.y;
  assert.ok(y(id) > y('conv1') && y('relu1') > y(id), 'new layer between, successor below it');
  assert.equal(y('output') - before.nodes.find((n) => n.id === 'output')!.position.y, 90, 'everything below moved one row');
  assert.deepEqual(s.getState().selection.nodes, [id]);
  s.undo();
  assert.equal(s.doc, before);
});

test('insert after the last layer or a branch point: below or beside, covering no layer', () => {
  const s = new EditorStore(lenet());
  s.remove(['output']);
  const id = s.insertAfter('fc3', 'Output')!;
  assert.ok(s.doc.edges.some((e) => e.source === 'fc3' && e.target === id));
  assert.equal(s.analysis().ok, true);
  // relu1 feeding two layers: a new one after it goes beside, not on top of pool1.
  const t = new EditorStore(lenet());
  t.insertAfter('relu1', 'Dropout');
  const branch = t.insertAfter('relu1', 'ReLU')!;
  const p = t.node(branch)!.position;
  for (const n of t.doc.nodes) if (n.id !== branch) assert.ok(Math.abs(n.position.x - p.x) >= NODE_BOX.width || Math.abs(n.position.y - p.y) >= NODE_BOX.height, `${branch} covers ${n.id}`);
});

test('duplicate and paste go to free space: no copy overlaps another layer', () => {
  const s = new EditorStore(lenet());
  for (const sel of [['conv1'], ['conv1', 'relu1', 'pool1'], ['fc1']]) {
    s.select({ nodes: sel, edges: [] });
    const ids = s.paste(s.copySelection()!);
    const copies = new Set(ids);
    for (const c of s.doc.nodes.filter((n) => copies.has(n.id))) {
      for (const o of s.doc.nodes.filter((n) => !copies.has(n.id))) {
        const apart = Math.abs(c.position.x - o.position.x) >= NODE_BOX.width || Math.abs(c.position.y - o.position.y) >= NODE_BOX.height;
        assert.ok(apart, `${c.id} at ${JSON.stringify(c.position)} covers ${o.id} at ${JSON.stringify(o.position)}`);
      }
    }
  }
  // An explicit offset is still honoured.
  s.select({ nodes: ['conv1'], edges: [] });
  const [x] = s.paste(s.copySelection()!, { x: 5, y: 7 });
  assert.deepEqual(s.node(x)!.position, { x: 85, y: 137 });
});

const summary = (runId: string, o: Partial<RunSummary> = {}): RunSummary => ({
  runId, name: 'net', dataDir: '/d/shapes', startedAt: '2026-01-01T00:00:00.000Z', status: 'running', settings: {}, epochs: 0, steps: 0,
  final: null, best: null, hasModel: false, title: null, docPath: null, error: null, canContinue: false, ...o,
});
const epoch = (n: number) => ({ type: 'epoch' as const, step: n * 10, epoch: n, loss: 1 / n, accuracy: 0.5, valLoss: 1, valAccuracy: 0.4 + n / 100, samplesPerSec: 100, seconds: 1 });

test('the current run\'s row follows it live: epochs while running, error and reason when it fails', () => {
  const t = new TrainStore();
  t.setRuns([summary('old', { status: 'finished', epochs: 5 })]);
  t.beginRun('r1');
  // Not listed yet: shown on top anyway.
  assert.deepEqual(runRows(t.getState()).map((r) => r.runId), ['r1', 'old']);
  t.setRuns([summary('r1'), summary('old', { status: 'finished', epochs: 5 })]);
  t.handle({ runId: 'r1', event: { type: 'started', device: 'cpu', classNames: ['a', 'b'], trainCount: 80, valCount: 10, stepsPerEpoch: 10, totalSteps: 800 } });
  t.handle({ runId: 'r1', event: { type: 'steps', points: Array.from({ length: 162 }, (_, i) => ({ step: i + 1, epoch: 1 + Math.floor(i / 10), loss: 1, accuracy: 0.5, samplesPerSec: 100, lr: 0.01 })) } });
  for (let e = 1; e <= 16; e++) t.handle({ runId: 'r1', event: epoch(e) });
  const row = runRows(t.getState())[0];
  assert.equal(row.runId, 'r1');
  assert.equal(row.epochs, 16);
  assert.equal(row.steps, 162);
  assert.equal(row.status, 'running');
  assert.equal(row.final?.valAccuracy, epoch(16).valAccuracy);

  const u = new TrainStore();
  u.setRuns([summary('bad')]);
  u.beginRun('bad');
  u.handle({ runId: 'bad', event: { type: 'error', message: 'only one class (a): a classifier needs at least two class folders' } });
  const bad = runRows(u.getState())[0];
  assert.equal(bad.status, 'error');
  assert.match(bad.error ?? '', /at least two class folders/);
  // Once run.json says how it ended, the listed row wins.
  u.setRuns([summary('bad', { status: 'error', error: 'from run.json' })]);
  assert.equal(runRows(u.getState())[0].error, 'from run.json');
});

const report = (classes: string[], train: number, val = 0): DatasetReportResult => ({
  root: '/d/x', layout: 'class-folders', classNames: classes, classes: classes.map((name, label) => ({ name, label, train, val })),
  totals: { train: train * classes.length, val: val * classes.length, skipped: 0 }, skippedByReason: {}, skipped: [], duplicates: [], leakage: [],
  warnings: classes.length === 1 ? [`only one class (${classes[0]}): a classifier needs at least two class folders`] : [], samples: [],
});

test('Train is blocked with the dataset report\'s reason: no folder, no images, one class, a report error', () => {
  assert.match(datasetBlocker({ dataDir: null, report: null, reportError: null })!, /Choose a dataset folder/);
  assert.match(datasetBlocker({ dataDir: '/d/x', report: null, reportError: 'Found no class folders in /d/x' })!, /no class folders/);
  assert.match(datasetBlocker({ dataDir: '/d/x', report: report(['a', 'b'], 0), reportError: null })!, /No usable images/);
  assert.match(datasetBlocker({ dataDir: '/d/x', report: report(['a'], 5), reportError: null })!, /at least two class folders/);
  assert.equal(datasetBlocker({ dataDir: '/d/x', report: report(['a', 'b', 'c'], 5, 1), reportError: null }), null);
});

test('the parameter total counts only what training uses; an unconnected branch is counted apart', () => {
  const s = new EditorStore(lenet());
  const full = trainedTotals(s.analysis());
  assert.equal(full.params, 61706);
  assert.equal(full.unused.params, 0);
  const d = s.addNode('Dense', { x: 400, y: 800 });
  s.setParam(d, 'units', 10);
  s.connect('flatten', d);
  const a = s.analysis();
  assert.equal(a.ok, true);
  const t = trainedTotals(a);
  assert.equal(t.params, 61706);
  assert.equal(t.unused.params, 400 * 10 + 10);
  assert.deepEqual(t.unused.layers, [d]);
  assert.equal(a.totals.params, 61706 + 4010, 'the analysis total (every layer) is what was shown before');
});

test('opening another document clears the last run from the Train view, never a run still going', () => {
  const t = new TrainStore();
  t.beginRun('r1');
  t.handle({ runId: 'r1', event: { type: 'steps', points: [{ step: 1, epoch: 1, loss: 1, accuracy: 0.5, samplesPerSec: 1, lr: 0.1 }] } });
  t.resetForDocument();
  assert.equal(t.getState().runId, 'r1', 'running: kept');
  t.handle({ runId: 'r1', event: { type: 'done', reason: 'finished', step: 800, epoch: 800, outDir: '/x', files: [], best: null } });
  t.resetForDocument();
  const s = t.getState();
  assert.equal(s.runId, null);
  assert.equal(s.done, null);
  assert.equal(s.series.step.length, 0);
  assert.equal(s.epochs.length, 0);
});
