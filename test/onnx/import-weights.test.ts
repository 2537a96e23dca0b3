// An imported document's weights file is where training, export and validate start; a weight
// whose shape no longer fits the document is a clear error; the Input's mean/std reach the
// training run's model metadata (what predict, eval and Try it apply).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { importIdx } from '../../engine/data/idx.ts';
import { lowerForward } from '../../engine/graph/compile.ts';
import { decodeModel } from '../../engine/onnx/model.ts';
import { decodeSafetensors, encodeSafetensors } from '../../engine/onnx/safetensors.ts';
import { importOnnxFile } from '../../engine/session/onnx-import.ts';
import { startTraining } from '../../engine/train/run-client.ts';
import { startValues } from '../../engine/train/weights.ts';
import { tempDir } from '../fixtures/temp.ts';
import { torchModels, torchSkip } from './import-helpers.ts';

const skip = torchSkip;
const FASHION = '/usr/share/datasets/fashion-mnist';

test('safetensors: written and read back exactly, offsets checked', () => {
  const t = new Map([['a.W', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }], ['b.B', { shape: [1], data: Float32Array.of(Math.PI) }]]);
  const bytes = encodeSafetensors(t, { format: 'x' });
  const back = decodeSafetensors(bytes);
  assert.deepEqual([...back.tensors.get('a.W')!.data], [1, 2, 3, 4, 5, -6.5]);
  assert.equal(back.tensors.get('b.B')!.data[0], Math.fround(Math.PI));
  assert.equal(back.metadata.format, 'x');
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0, 'data 8-byte aligned');
  assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4)), /do not hold shape/);
});

test('safetensors: readable by Python safetensors/numpy layout (header + little-endian float32)', { skip: spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0 ? false : 'numpy missing' }, () => {
  const dir = tempDir();
  const f = path.join(dir, 'w.safetensors');
  fs.writeFileSync(f, encodeSafetensors(new Map([['x.W', { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }]])));
  const py = 'import json,struct,sys,numpy as np\nb=open(sys.argv[1],"rb").read()\nn=struct.unpack("<Q",b[:8])[0]\nh=json.loads(b[8:8+n])\ns,e=h["x.W"]["data_offsets"]\nprint(np.frombuffer(b[8+n+s:8+n+e],dtype="<f4").reshape(h["x.W"]["shape"]).sum())';
  assert.equal(execFileSync('/usr/bin/python3', ['-c', py, f], { encoding: 'utf8' }).trim(), '10.0');
});

test('training and export start from the imported weights; a changed layer is refused by name', { skip }, async () => {
  const dir = tempDir('nw-iw-');
  const docPath = path.join(dir, 'lenet.json');
  importOnnxFile(torchModels(['lenet:11'])['lenet:11'], docPath, { mean: [0.286], std: [0.353] });
  const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));
  const file = decodeSafetensors(fs.readFileSync(path.join(dir, doc.weights))).tensors;
  const values = startValues(doc, lowerForward(doc, 'infer', 'inputs'), 1, dir);
  for (const [k, t] of file) assert.deepEqual(values.get(k), t.data, k);

  // Training: init.onnx holds the file's values, model.onnx records the Input's mean/std.
  const data = path.join(dir, 'data');
  await importIdx(path.join(FASHION, 't10k-images-idx3-ubyte.gz'), path.join(FASHION, 't10k-labels-idx1-ubyte.gz'), data, { limit: 120 });
  const outDir = path.join(dir, 'run');
  const h = startTraining({ doc: { ...doc, weights: path.join(dir, doc.weights), training: { ...doc.training, batchSize: 16, epochs: 1 } }, dataDir: data, outDir, threads: 1, maxSteps: 1 }, () => {});
  const end = await h.finished;
  assert.notEqual(end.type, 'error', JSON.stringify(end));
  const init = decodeModel(fs.readFileSync(path.join(outDir, 'init.onnx')));
  for (const t of init.graph.initializers) if (file.has(t.name)) assert.deepEqual(t.data, file.get(t.name)!.data, t.name);
  const model = decodeModel(fs.readFileSync(path.join(outDir, 'model.onnx')));
  assert.deepEqual(JSON.parse(model.metadata['netwright.mean']).map((x: number) => x.toFixed(3)), ['0.286']);
  assert.deepEqual(JSON.parse(model.metadata['netwright.std']).map((x: number) => x.toFixed(3)), ['0.353']);

  // `netwright export <run-dir>`: the run's model (its document from the metadata), checked the same way.
  const ex = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli.ts', 'export', outDir, '--out', path.join(dir, 'run.onnx'), '--json'], { encoding: 'utf8' });
  assert.equal(ex.status, 0, ex.stderr);
  const res = JSON.parse(ex.stdout);
  assert.ok(res.ok && res.maxAbsDiff <= 1e-4, ex.stdout);
  assert.equal(res.metadata['netwright.mean'], model.metadata['netwright.mean']);

  // A layer changed after the import: its weight no longer fits, named in the error.
  const fc = doc.nodes.find((n: { type: string }) => n.type === 'Dense');
  fc.params.units = 77;
  const edited = path.join(dir, 'edited.json');
  fs.writeFileSync(edited, JSON.stringify(doc));
  assert.throws(() => startValues(doc, lowerForward(doc, 'infer', 'inputs'), 1, dir), new RegExp(`${fc.id}\\.W has shape \\[120,400\\] in the weights file but the document needs \\[77,400\\]`));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'engine/cli.ts', 'validate', edited], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /does not fit the network/);
});
