// Shared by the ONNX import tests: models exported by Debian's PyTorch (cached under .cache/ by
// the export script's hash), and the round trip import -> export -> ONNX Runtime on both files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { inferShapes } from '../../engine/graph/infer.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { decodeModel } from '../../engine/onnx/model.ts';
import type { ImportOptions } from '../../engine/graph/from-onnx.ts';
import { exportDocument } from '../../engine/session/export.ts';
import { importOnnxFile } from '../../engine/session/onnx-import.ts';
import { tempDir } from '../fixtures/temp.ts';

export const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

export const torchSkip: false | string =
  fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { stdio: 'ignore' }).status === 0 ? false : 'PyTorch/torchvision/onnx (Debian python3-torch, python3-torchvision, python3-onnx) are not installed';

/** `name:opset` -> the exported file, made once per version of torch-models.py. */
export function torchModels(specs: string[]): Record<string, string> {
  const script = path.join(here, 'torch-models.py');
  const hash = crypto.createHash('sha256').update(fs.readFileSync(script)).digest('hex').slice(0, 16);
  const dir = path.join(root, '.cache', 'onnx-import', hash);
  const file = (s: string) => path.join(dir, `${s.replace(':', '-op')}.onnx`);
  const missing = specs.filter((s) => !fs.existsSync(file(s)));
  if (missing.length) {
    const r = spawnSync(PYTHON, [script, dir, ...missing], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  return Object.fromEntries(specs.map((s) => [s, file(s)]));
}

/** The graphs of legacy-graphs.py (older exporters' shapes), made once per version of the script. */
export function legacyGraphs(): string {
  const script = path.join(here, 'legacy-graphs.py');
  const hash = crypto.createHash('sha256').update(fs.readFileSync(script)).digest('hex').slice(0, 16);
  const dir = path.join(root, '.cache', 'onnx-legacy', hash);
  if (!fs.existsSync(path.join(dir, 'refused-lrn.onnx'))) {
    const r = spawnSync(PYTHON, [script, dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  return dir;
}

export interface RoundTrip {
  docPath: string;
  exported: string;
  params: number;
  open: boolean;
  maxAbsDiff: number;
  /** Against PyTorch's own output on its fixed input (the .io.bin beside a torch-models.py file). */
  torchDiff?: number;
  /** The export's own check (reloaded file against the engine's graph). */
  exportCheck: number;
}

/** Import `onnxFile`, export the document back, and run both files on the same input. */
export async function roundTrip(onnxFile: string, opts: ImportOptions & { input?: Float32Array; inputShape?: number[] } = {}): Promise<RoundTrip> {
  const dir = tempDir('nw-import-');
  const docPath = path.join(dir, 'net.json');
  const { result } = importOnnxFile(onnxFile, docPath, opts);
  const loaded = JSON.parse(fs.readFileSync(docPath, 'utf8'));
  const exported = path.join(dir, 'back.onnx');
  const check = await exportDocument(loaded, exported, { docDir: dir });
  assert.ok(check.ok, `the export's own check failed: ${JSON.stringify({ ...check, metadata: undefined })}`);
  const src = decodeModel(fs.readFileSync(onnxFile));
  const gin = src.graph.inputs.find((i) => !src.graph.initializers.some((t) => t.name === i.name))!;
  const shape = opts.inputShape ?? gin.shape.map((d) => (typeof d === 'number' ? d : 2));
  let x = opts.input;
  if (!x) {
    const rng = new Rng(3);
    x = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  }
  const a = await run(onnxFile, { [gin.name]: new ort.Tensor('float32', x, shape) }, src.graph.outputs[0].name);
  const b = await run(exported, { input: new ort.Tensor('float32', x, shape) }, result.open ? 'output' : result.compare);
  assert.equal(a.length, b.length, 'output sizes differ');
  let maxAbsDiff = 0;
  for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i] - b[i]));
  if (a.some((v, i) => Number.isNaN(v) !== Number.isNaN(b[i]))) maxAbsDiff = Infinity;
  let torchDiff: number | undefined;
  const io = onnxFile.replace(/\.onnx$/, '.io.bin');
  if (fs.existsSync(io)) {
    const buf = fs.readFileSync(io);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const n = shape.reduce((p, q) => p * q, 1);
    const y = await run(exported, { input: new ort.Tensor('float32', all.slice(0, n), shape) }, result.open ? 'output' : result.compare);
    const want = all.subarray(n);
    assert.equal(y.length, want.length, 'output size differs from PyTorch');
    torchDiff = 0;
    for (let i = 0; i < y.length; i++) torchDiff = Math.max(torchDiff, Math.abs(y[i] - want[i]));
  }
  return { docPath, exported, params: inferShapes(loaded).totals.params, open: result.open, maxAbsDiff, torchDiff, exportCheck: check.maxAbsDiff };
}

export async function run(file: string, feeds: Record<string, ort.Tensor>, output: string): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file);
  try {
    return (await s.run(feeds))[output].data as Float32Array;
  } finally {
    await s.release();
  }
}
