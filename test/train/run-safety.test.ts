// Runs are never lost or mixed up, and a model that cannot fit is refused before any image is
// read: the memory estimate against a hand count, the refusal of a 3.3-trillion-parameter net,
// the memory limit and its override, a new run into a used folder, and resume extending a run
// (bit for bit the straight run of the new length).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseDocument, type NetworkDocument } from '../../engine/graph/document.ts';
import { estimateMemory, floatArray } from '../../engine/graph/memory.ts';
import type { TrainEvent, TrainRequest } from '../../engine/train/messages.ts';
import { decodeModel } from '../../engine/onnx/model.ts';
import { readCheckpoint } from '../../engine/train/checkpoint.ts';
import { runTraining } from '../../engine/train/run.ts';
import { startTraining } from '../../engine/train/trainer.ts';
import { sampleData, sampleProject, tempDir } from '../fixtures/sample.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/netwright.js', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });

/** Input h x w (gray or RGB) -> Flatten -> Dense hidden -> ReLU -> Dense classes -> Output. */
function mlp(h: number, w: number, color: 'grayscale' | 'rgb', hidden: number, classes: number, training: Record<string, unknown> = {}): NetworkDocument {
  const at = { x: 0, y: 0 };
  const r = parseDocument({
    format: 'netwright', version: 1, name: 'mlp',
    nodes: [
      { id: 'in', type: 'Input', params: { height: h, width: w, color }, position: at },
      { id: 'flat', type: 'Flatten', params: {}, position: at },
      { id: 'fc1', type: 'Dense', params: { units: hidden }, position: at },
      { id: 'relu', type: 'ReLU', params: {}, position: at },
      { id: 'fc2', type: 'Dense', params: { units: classes }, position: at },
      { id: 'out', type: 'Output', params: {}, position: at },
    ],
    edges: [['in', 'flat'], ['flat', 'fc1'], ['fc1', 'relu'], ['relu', 'fc2'], ['fc2', 'out']].map(([source, target], i) => ({ id: `e${i}`, source, target })),
    training,
  });
  assert.ok(r.ok, JSON.stringify(r.problems));
  return r.doc;
}

test('the memory estimate matches a hand count for a small net (Adam, SGD with and without momentum)', () => {
  // Input 1x4x4 -> Flatten -> Dense 8 -> ReLU -> Dense 3 -> Output, batch 10.
  // Parameters: 16*8 + 8 = 136 and 8*3 + 3 = 27: 163, 4 bytes each.
  // Forward activations per image: input 16 + Dense 8 + ReLU 8 + Dense 3 = 35 (Flatten and Output
  // are views); backward: the same without the input, 19.
  const params = 16 * 8 + 8 + (8 * 3 + 3);
  const forward = 10 * (16 + 8 + 8 + 3) * 4;
  const backward = 10 * (8 + 8 + 3) * 4;
  for (const [training, slots] of [[{ optimizer: 'adam' }, 2], [{ optimizer: 'adamw' }, 2], [{ optimizer: 'sgd', momentum: 0.9 }, 1], [{ optimizer: 'sgd', momentum: 0 }, 0]] as const) {
    const m = estimateMemory(mlp(4, 4, 'grayscale', 8, 3, { ...training, batchSize: 10 }));
    assert.equal(m.params, params);
    assert.equal(m.weights, params * 4);
    assert.equal(m.gradients, params * 4);
    assert.equal(m.optimizerState, slots * params * 4, JSON.stringify(training));
    assert.deepEqual(m.activations, { forward, backward });
    assert.equal(m.total, params * 4 * (2 + slots) + forward + backward);
  }
  // The batch size scales the activations only.
  const m64 = estimateMemory(mlp(4, 4, 'grayscale', 8, 3, { optimizer: 'adam', batchSize: 10 }), { batchSize: 64 });
  assert.equal(m64.activations.forward, (forward / 10) * 64);
  assert.equal(m64.weights, params * 4);
});

test('floatArray refuses an absurd length with a message instead of "Invalid typed array length"', () => {
  assert.equal(floatArray(5, 'x').length, 5);
  assert.throws(() => floatArray(3.3e12, 'the weight fc1.W'), /the weight fc1\.W would need 3,300,000,000,000 values, more than one array can hold/);
  assert.throws(() => floatArray(NaN, 'x'), /x would need NaN values/);
});

test('Input 4096x4096 RGB into Dense 65536 (3.3 trillion parameters) is refused in under a second, before any image is read', async () => {
  const doc = mlp(4096, 4096, 'rgb', 65536, 4);
  const cache = tempDir();
  doc.training.data = { ...doc.training.data!, cacheDir: cache } as never;
  const data = sampleData(4);
  const out = path.join(tempDir(), 'run');
  const events: TrainEvent[] = [];
  const t0 = performance.now();
  await assert.rejects(runTraining({ doc, dataDir: data, outDir: out }, (e) => events.push(e), () => false), (e: Error) => {
    assert.match(e.message, /this network needs about 39\.\d TB for training at batch 64 \(weights 13\.2 TB, gradients 13\.2 TB, SGD with momentum state 13\.2 TB/);
    assert.match(e.message, /more than the [\d.]+ [MGT]B allowed \(75% of this machine's/);
    return true;
  });
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `refused after ${ms.toFixed(0)} ms`);
  assert.ok(!events.some((e) => e.type === 'log' && /reading \d+ images/.test(e.message)), 'no image was read');
  assert.deepEqual(fs.readdirSync(cache), [], 'nothing decoded into the cache');
  assert.ok(!fs.existsSync(out), 'no run folder written');
  // --allow-large does not get past the 2 GiB an ONNX file holds.
  await assert.rejects(runTraining({ doc, dataDir: data, outDir: out, allowLarge: true }, () => {}, () => false), /its weights alone \(3,298,535,[\d,]+ parameters\) are more than the 2 GiB an ONNX model file holds/);
  // The CLI: validate shows the figure, train refuses it and writes nothing.
  const file = path.join(tempDir(), 'huge.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  const v = cli('validate', file);
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /memory: about 39\.\d TB for training at batch 64 .*; limit [\d.]+ [MGT]B \(75% of this machine's [\d.]+ [MGT]B\)/);
  assert.match(v.stderr, /warning: training will be refused/);
  const cliOut = path.join(tempDir(), 'cli-run');
  const t = cli('train', file, '--data', data, '--out', cliOut);
  assert.equal(t.status, 1);
  assert.match(t.stderr, /netwright: this network needs about 39\.\d TB/);
  assert.ok(!fs.existsSync(cliOut), 'the CLI wrote no run folder');
});

test('the memory limit (NETWRIGHT_MEMORY_LIMIT here) refuses a run; --allow-large / allowLarge trains it anyway', async () => {
  const data = sampleData(4);
  const doc = mlp(8, 8, 'grayscale', 16, 4, { batchSize: 8, epochs: 1, valSplit: 0 });
  const need = estimateMemory(doc).total;
  process.env.NETWRIGHT_MEMORY_LIMIT = String(need - 1);
  try {
    await assert.rejects(runTraining({ doc, dataDir: data, outDir: tempDir(), threads: 1 }, () => {}, () => false), /needs about [\d.]+ kB .*, more than the [\d.]+ kB allowed \(NETWRIGHT_MEMORY_LIMIT\); make the batch or the layers smaller, or pass --allow-large/);
    const logs: string[] = [];
    await runTraining({ doc, dataDir: data, outDir: tempDir(), threads: 1, maxSteps: 1, allowLarge: true }, (e) => e.type === 'log' && logs.push(e.message), () => false);
    assert.ok(logs.some((m) => /exceeded: allowed by --allow-large/.test(m)), logs.join('\n'));
    const file = path.join(tempDir(), 'net.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const r = cli('train', file, '--data', data, '--out', path.join(tempDir(), 'a'), '--max-steps', '1', '--threads', '1');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /allowed \(NETWRIGHT_MEMORY_LIMIT\)/);
    const ok = cli('train', file, '--data', data, '--out', path.join(tempDir(), 'b'), '--max-steps', '1', '--threads', '1', '--allow-large');
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    delete process.env.NETWRIGHT_MEMORY_LIMIT;
  }
});

test('a new run never writes into a folder that holds a run (or anything else): CLI and engine', async () => {
  const data = sampleData(4);
  const dir = tempDir();
  const first = cli('train', 'examples/sample-shapes.json', '--data', data, '--out', dir, '--epochs', '1', '--batch', '16', '--threads', '1');
  assert.equal(first.status, 0, first.stderr);
  const before = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
  const again = cli('train', 'examples/sample-shapes.json', '--data', data, '--out', dir, '--epochs', '2', '--threads', '1');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a run \(.*checkpoint\.nwck.*model\.onnx.*run\.json\); a new run never replaces one: choose another output folder, or continue that run with netwright train --resume/);
  for (const [f, bytes] of Object.entries(before)) assert.ok(bytes.equals(fs.readFileSync(path.join(dir, f))), `${f} unchanged`);
  assert.deepEqual(fs.readdirSync(dir).sort(), Object.keys(before).sort());
  // Some other folder with files in it.
  const other = tempDir();
  fs.writeFileSync(path.join(other, 'notes.txt'), 'mine');
  const o = cli('train', 'examples/sample-shapes.json', '--data', data, '--out', other, '--threads', '1');
  assert.equal(o.status, 1);
  assert.match(o.stderr, /is not empty \(notes\.txt\)/);
  // The engine itself (what the app's session and the CLI both go through).
  await assert.rejects(runTraining({ doc: sampleProject(), dataDir: data, outDir: dir }, () => {}, () => false), /already holds a run/);
  for (const [f, bytes] of Object.entries(before)) assert.ok(bytes.equals(fs.readFileSync(path.join(dir, f))), `${f} unchanged`);
});

// ---- resume extends a run ----

const tiny = (schedule: Record<string, unknown>) => mlp(8, 8, 'grayscale', 16, 4, { optimizer: 'adam', lr: 0.01, batchSize: 8, valSplit: 0.25, seed: 5, schedule, data: { augment: { hflip: true, translate: 0.1 } } });

async function train(req: Partial<TrainRequest> & { outDir: string; doc: unknown }) {
  const events: TrainEvent[] = [];
  const h = startTraining({ dataDir: extendData(), threads: 1, ...req }, (e) => events.push(e));
  const end = await h.finished;
  return { end, events, logs: events.flatMap((e) => (e.type === 'log' ? [e.message] : [])) };
}
let extendDataDir: string | undefined;
const extendData = () => (extendDataDir ??= sampleData(6));

function assertSameWeights(a: string, b: string) {
  const ca = readCheckpoint(path.join(a, 'checkpoint.nwck'));
  const cb = readCheckpoint(path.join(b, 'checkpoint.nwck'));
  assert.equal(cb.header.step, ca.header.step);
  assert.equal(cb.header.epoch, ca.header.epoch);
  for (const [k, v] of ca.values) assert.ok(Buffer.from(v.buffer).equals(Buffer.from(cb.values.get(k)!.buffer)), `${k} differs`);
  // Everything the checkpoint holds but the metrics rows' throughput column (a timing).
  const strip = (h: typeof ca.header) => ({ ...h, metrics: h.metrics?.split('\n').map((r) => r.split(',').slice(0, 6).join(',')) });
  assert.deepEqual(strip(cb.header), strip(ca.header));
  assert.ok(fs.readFileSync(path.join(a, 'model.onnx')).equals(fs.readFileSync(path.join(b, 'model.onnx'))), 'model.onnx differs');
  // best.onnx: the same weights; when it is epoch 1's, its embedded document says the epochs the
  // run had when it was written (1 in the extended run, 2 in the straight one).
  const weights = (f: string) => decodeModel(fs.readFileSync(f)).graph.initializers.map((t) => [t.name, Buffer.from((t.data as Float32Array).buffer).toString('base64')]);
  assert.deepEqual(weights(path.join(b, 'best.onnx')), weights(path.join(a, 'best.onnx')));
}

for (const schedule of [{ kind: 'constant' }, { kind: 'step', stepEpochs: 1, gamma: 0.5, warmupSteps: 2 }]) {
  test(`resume --epochs extends a finished run: 1 epoch, then resumed to 2 = 2 epochs straight, bit for bit (${schedule.kind} schedule)`, async () => {
    const straight = tempDir();
    const s = await train({ doc: { ...tiny(schedule), training: { ...tiny(schedule).training, epochs: 2 } }, outDir: straight });
    assert.equal(s.end.type, 'done', JSON.stringify(s.end));
    const dir = tempDir();
    const one = await train({ doc: { ...tiny(schedule), training: { ...tiny(schedule).training, epochs: 1 } }, outDir: dir });
    assert.ok(one.end.type === 'done' && one.end.reason === 'finished');
    const more = await train({ doc: undefined, outDir: dir, resume: true, epochs: 2 });
    assert.ok(more.end.type === 'done' && more.end.reason === 'finished' && more.end.epoch === 2, JSON.stringify(more.end));
    assert.ok(s.end.type === 'done' && more.end.step === s.end.step);
    assert.ok(more.logs.some((m) => m === 'extending the run from 1 to 2 epochs'), more.logs.join('\n'));
    assert.ok(!more.logs.some((m) => /schedule is recomputed/.test(m)));
    assertSameWeights(straight, dir);
  });
}

test('extending a cosine run says how the schedule is recomputed; fewer epochs than done is refused', async () => {
  const dir = tempDir();
  const cos = { kind: 'cosine', warmupSteps: 1 };
  await train({ doc: { ...tiny(cos), training: { ...tiny(cos).training, epochs: 1 } }, outDir: dir });
  const r = await train({ doc: undefined, outDir: dir, resume: true, epochs: 3 });
  assert.ok(r.end.type === 'done' && r.end.epoch === 3);
  assert.ok(r.logs.some((m) => /^the cosine schedule is recomputed over 3 epochs: from step \d+ on, the rate follows the curve of a 3-epoch run/.test(m)), r.logs.join('\n'));
  const back = await train({ doc: undefined, outDir: dir, resume: true, epochs: 2 });
  assert.ok(back.end.type === 'error' && /the run has 3 epoch\(s\) finished; resume with --epochs 3 or more/.test(back.end.message), JSON.stringify(back.end));
});

test('netwright train --resume DIR --epochs N extends from the command line; flags that cannot apply are refused', () => {
  const dir = tempDir();
  const file = path.join(tempDir(), 'net.json');
  fs.writeFileSync(file, JSON.stringify({ ...tiny({ kind: 'constant' }), training: { ...tiny({ kind: 'constant' }).training, epochs: 1 } }));
  const data = extendData();
  assert.equal(cli('train', file, '--data', data, '--out', dir, '--threads', '1').status, 0);
  const steps = readCheckpoint(path.join(dir, 'checkpoint.nwck')).header.step;
  for (const [flag, value, why] of [['--batch', '4', /--batch 4 \(the run has 8\)/], ['--lr', '0.1', /--lr 0\.1 \(the run has 0\.01\)/], ['--seed', '9', /--seed 9/], ['--optimizer', 'sgd', /--optimizer sgd \(the run has adam\)/], ['--data', tempDir(), /--data .* \(the run trains on /], ['--out', tempDir(), /a resumed run stays in/]] as const) {
    const r = cli('train', '--resume', dir, '--epochs', '2', flag, value);
    assert.equal(r.status, 1, `${flag} ${value}`);
    assert.match(r.stderr, /a resumed run keeps its network, data and settings; these cannot apply/);
    assert.match(r.stderr, why);
  }
  // Repeating the run's own value is no change.
  const ok = cli('train', '--resume', dir, '--epochs', '2', '--batch', '8', '--threads', '1');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /extending the run from 1 to 2 epochs/);
  assert.match(ok.stdout, new RegExp(`done after ${2 * steps} steps`));
  const rec = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  assert.equal(rec.status, 'finished');
  assert.equal(rec.epochs, 2);
  assert.equal(rec.settings.epochs, 2);
  // Resuming a finished run without --epochs trains nothing and says how to go on.
  const idle = cli('train', '--resume', dir, '--threads', '1');
  assert.equal(idle.status, 0, idle.stderr);
  assert.match(idle.stderr, /the run has finished its 2 epoch\(s\); to train on, resume with --epochs 3 or more/);
  assert.match(idle.stdout, new RegExp(`done after ${2 * steps} steps`));
});
