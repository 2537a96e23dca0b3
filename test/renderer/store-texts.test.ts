// The texts the renderer's stores hold show in the UI's language: the templates (label, help,
// document name), the run's log lines (the engine's warnings with their code, a divergence) and
// why Train is blocked by the dataset. zh-CN must not show the English; English shows the
// engine's and the store's own words.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { LoadedDataset } from '../../engine/data/cache.ts';
import type { FolderScan } from '../../engine/data/scan.ts';
import { skipReason } from '../../engine/graph/error-codes.ts';
import type { DatasetReportResult, ServerEvent } from '../../engine/protocol.ts';
import { probeDevices } from '../../engine/train/devices.ts';
import { LossWatch } from '../../engine/train/divergence.ts';
import { openSession } from '../../engine/train/ort.ts';
import { writeDatasetFiles } from '../../engine/train/outputs.ts';
import { documentOrThrow } from '../../engine/train/prepare.ts';
import type { TrainEvent } from '../../engine/train/messages.ts';
import { encodeModel } from '../../engine/onnx/model.ts';
import { createI18n } from '../../renderer/i18n/index.ts';
import { engineText } from '../../renderer/i18n/errors.ts';
import { blockText, logText } from '../../renderer/i18n/train.ts';
import { datasetBlock, TrainStore, type LogLine } from '../../renderer/store/train-store.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';
import { tempDir } from '../fixtures/sample.ts';

const en = createI18n('en', false);
const zh = createI18n('zh-CN', false);
const HAN = /[\u4e00-\u9fff]/;
/** Names that read the same in Chinese: networks, layers, formats. */
const NAMES = /LeNet|VGG|ResNet|RGB|Dense|Flatten|Add/g;

test('every template has a label, help and document name in both languages, zh-CN in Chinese', () => {
  for (const { id, make } of TEMPLATES) {
    for (const part of ['label', 'help', 'name']) {
      const key = `template.${id}.${part}`;
      assert.ok(en.exists(key) && zh.exists(key), `${key} is missing`);
      const text = zh.t(key);
      assert.ok(!/[A-Za-z]{2,}/.test(text.replace(NAMES, '')), `zh-CN ${key} has English: ${text}`);
      if (id !== 'lenet5' || part === 'help') assert.match(text, HAN, `zh-CN ${key}: ${text}`);
    }
    assert.equal(make(zh.t(`template.${id}.name`)).name, zh.t(`template.${id}.name`), `${id}: the document takes the name it is given`);
    assert.equal(make().name, en.t(`template.${id}.name`), `${id}: the English name is the default`);
  }
});

/** The run's log as the store keeps it, from events the engine emits. */
function logOf(events: TrainEvent[]): LogLine[] {
  const s = new TrainStore();
  s.beginRun('r1');
  for (const event of events) s.handle({ runId: 'r1', event } as ServerEvent);
  return s.getState().logs;
}

test('the run\'s warnings show in Chinese: dataset warnings, skipped files, a device fallback, a divergence', async () => {
  const events: TrainEvent[] = [];
  // The dataset files of a run with an imbalanced class and one skipped file (engine/train/outputs.ts).
  const dir = tempDir();
  try {
    const labels = [...Array(12).fill(0), 1];
    const split = { labels, hashes: labels.map((_, i) => `h${i}`), paths: labels.map((l, i) => `/d/${l ? 'b' : 'a'}/${i}.png`), count: labels.length };
    const empty = { labels: [], hashes: [], paths: [], count: 0 };
    const scan = { root: '/d', layout: 'class-folders', classNames: ['a', 'b'], train: [], val: [] } as unknown as FolderScan;
    const data = { train: split, val: empty, skipped: [{ path: '/d/a/x.png', reason: skipReason('empty-file') }] } as unknown as LoadedDataset;
    writeDatasetFiles(dir, scan, data, (e) => events.push(e));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(events.filter((e) => e.type === 'log' && e.level === 'warn').length, 2, JSON.stringify(events));
  // A GPU asked for where there is none (this machine has no CUDA): the step falls back to CPU.
  const tiny = encodeModel({ opset: 17, metadata: {}, graph: { name: 'g', nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', dtype: 'float32', shape: [1] }], outputs: [{ name: 'y', dtype: 'float32', shape: [1] }], initializers: [] } });
  const opened = await openSession(tiny, 'cuda');
  await opened.session.release();
  if (opened.fallback) {
    const { message, ...text } = opened.fallback;
    events.push({ type: 'log', level: 'warn', message, text });
  }
  // A divergence (engine/train/divergence.ts), and an info line (never shown, so never coded).
  const watch = new LossWatch(5, 0.1);
  for (let step = 1; step <= 20; step++) assert.equal(watch.check(step, 1), null);
  const diverged = watch.check(21, 1e6);
  assert.ok(diverged, 'the loss spike is caught');
  events.push(diverged);
  events.push({ type: 'log', level: 'info', message: 'reading 13 images (2 classes)' });

  const logs = logOf(events);
  const warns = logs.filter((l) => l.level === 'warn');
  assert.ok(warns.length >= 3, JSON.stringify(logs));
  for (const l of warns) {
    const text = logText(zh.t, zh, l);
    assert.match(text, HAN, `zh-CN log line: ${text}`);
    assert.ok(!text.includes(l.message), `zh-CN shows the English: ${text}`);
    if (!l.diverged) assert.equal(logText(en.t, en, l), l.message, 'English shows the engine\'s own line');
  }
  assert.ok(warns.some((l) => l.diverged), 'a divergence is in the log');
  assert.ok(warns.some((l) => /class imbalance/.test(l.message)) && warns.some((l) => /^skipped 1 file/.test(l.message)));
  assert.equal(logText(zh.t, zh, logs.at(-1)!), 'reading 13 images (2 classes)');
});

test('every warning the engine logs carries a code (the Train view shows them)', () => {
  const files = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(d, e.name)) : e.name.endsWith('.ts') ? [path.join(d, e.name)] : []));
  const bare: string[] = [];
  for (const f of files('engine')) {
    fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      if (/type: 'log', level: 'warn'/.test(line) && !/\btext\b/.test(line)) bare.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bare, []);
});

test('a GPU that cannot train says why in Chinese; a network with problems is refused in Chinese', async () => {
  for (const d of (await probeDevices()).filter((x) => !x.available)) {
    assert.ok(d.reasonText, `${d.device} has no reasonText`);
    const text = engineText(zh.t, zh, { message: d.reason!, text: d.reasonText });
    assert.match(text, HAN, text);
    assert.equal(engineText(en.t, en, { message: d.reason!, text: d.reasonText }), d.reason);
    assert.ok(zh.exists(`train.deviceLabel.${d.device}`));
  }
  const doc = { format: 'netwright', version: 1, name: 'x', nodes: [{ id: 'in', type: 'Input', params: { height: 8, width: 8, color: 'grayscale' }, position: { x: 0, y: 0 } }, { id: 'd', type: 'Dense', params: { units: 0 }, position: { x: 0, y: 0 } }], edges: [] };
  const e = (() => {
    try {
      documentOrThrow(doc);
    } catch (err) {
      return err;
    }
    return null;
  })();
  assert.ok(e instanceof Error, 'the document is refused');
  const text = engineText(zh.t, zh, e);
  assert.match(text, HAN, text);
  assert.ok(!/[A-Za-z]{4,} [A-Za-z]{4,} [A-Za-z]{4,}/.test(text.replace(/\[[^\]]*\]/g, '')), `no English sentence in: ${text}`);
});

test('why Train is blocked shows in Chinese; English is the store\'s own text', () => {
  const report = (classes: string[], train: number, val = 0): DatasetReportResult => ({
    root: '/d/x', layout: 'class-folders', classNames: classes, classes: classes.map((name, label) => ({ name, label, train, val })),
    totals: { train: train * classes.length, val: val * classes.length, skipped: 0 }, skippedByReason: {}, skipped: [], duplicates: [], leakage: [],
    warnings: classes.length < 2 ? ['only one class (a): a classifier needs at least two class folders'] : [], samples: [],
  });
  const cases = [
    { dataDir: null, report: null, reportError: null },
    { dataDir: '/d/x', report: report(['a', 'b'], 0), reportError: null },
    { dataDir: '/d/x', report: report(['a'], 5), reportError: null },
    { dataDir: '/d/x', report: report(['a', 'b'], 0, 3), reportError: null },
  ];
  const codes = new Set<string>();
  for (const c of cases) {
    const block = datasetBlock(c)!;
    codes.add(block.code);
    const text = blockText(zh.t, zh, block);
    assert.match(text, HAN, `${block.code}: ${text}`);
    assert.ok(!text.includes(block.message), `${block.code} shows the English`);
    if (block.code !== 'one-class') assert.equal(blockText(en.t, en, block), block.message, block.code);
  }
  assert.deepEqual([...codes].sort(), ['no-folder', 'no-images', 'no-train', 'one-class']);
  // A report error shows through engineText: its code in Chinese.
  const block = datasetBlock({ dataDir: '/d/x', report: null, reportError: 'Found no class folders in /d/x: expected …' })!;
  assert.match(blockText(zh.t, zh, block, { code: 'dataset-no-classes', params: { root: '/d/x', example: '/d/x/cat/1.png' } }), HAN);
  assert.equal(blockText(zh.t, zh, block, null), block.message);
});
