// engine/export/pytorch: every layer kind has a PyTorch row or a clear refusal; the exported
// module loaded with a run's weights gives the logits of the run's model.onnx in ONNX Runtime.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import { parseDocument, type NetworkDocument } from '../../engine/graph/document.ts';
import { LAYERS } from '../../engine/graph/registry.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { encodeModel } from '../../engine/onnx/model.ts';
import { ExportRefusal, exportPyTorch, loadSource } from '../../engine/export/pytorch/export.ts';
import { TORCH_LAYERS, torchRow } from '../../engine/export/pytorch/layers.ts';
import { modelSource, pythonName } from '../../engine/export/pytorch/model-py.ts';
import { runTraining } from '../../engine/train/run.ts';
import { ort, sessionOptions } from '../../engine/train/ort.ts';
import { TEMPLATES } from '../../renderer/store/templates.ts';
import { ALL_NETS } from '../fixtures/nets.ts';
import { sampleData, sampleProject } from '../fixtures/sample.ts';
import { tempDir } from '../fixtures/temp.ts';
import { PYTHON, torchAvailable } from '../torch/torch.ts';

const skip = torchAvailable() ? false : 'PyTorch (Debian python3-torch) is not installed';
const TOLERANCE = 1e-4;

const examples = fs.readdirSync('examples').filter((f) => f.endsWith('.json')).map((f): [string, () => NetworkDocument] => [`examples/${f}`, () => {
  const r = parseDocument(fs.readFileSync(path.join('examples', f), 'utf8'));
  if (!r.ok) throw new Error(`${f} does not load`);
  return r.doc;
}]);
const nets: [string, () => NetworkDocument][] = [
  ...examples,
  ...TEMPLATES.map((t): [string, () => NetworkDocument] => [`template ${t.id}`, t.make]),
  ...Object.entries(ALL_NETS).map(([k, make]): [string, () => NetworkDocument] => [`fixture ${k}`, make]),
];

test('every layer kind has a PyTorch row; an unknown kind is refused naming it', () => {
  for (const l of LAYERS) assert.ok(TORCH_LAYERS[l.type] && !('refuse' in TORCH_LAYERS[l.type]), `${l.type} has no PyTorch row`);
  assert.throws(() => torchRow('Capsule'), (e: Error) => e instanceof ExportRefusal && /layer kind Capsule has no PyTorch counterpart/.test(e.message));
  // The fixtures together use every layer kind, so every row is exercised below.
  const used = new Set(Object.values(ALL_NETS).flatMap((make) => make().nodes.map((n) => n.type)));
  for (const l of LAYERS) assert.ok(used.has(l.type), `no fixture net uses ${l.type}`);
});

test('node ids become Python names that cannot clash', () => {
  const taken = new Set<string>();
  assert.deepEqual(['conv-1', '2fc', 'input', 'class', 'conv_1', 'forward', '__init__'].map((id) => pythonName(id, taken)), ['conv_1', 'layer_2fc', 'input_', 'class_', 'conv_1_2', 'forward_', '__init___']);
});

test('model.py mirrors the document: attributes are node ids, forward in order, Add and Concat as expressions', () => {
  const src = modelSource(ALL_NETS.branch());
  assert.match(src.text, /self\.c1 = nn\.Conv2d\(1, 4, kernel_size=3, padding=1\)/);
  assert.match(src.text, /self\.bn = nn\.BatchNorm1d\(8\)/);
  assert.match(src.text, /x = self\.c2\(g1\)\n +x = x \+ c1  # add\n/);
  assert.match(src.text, /torch\.cat\(\[x, g1\], dim=1\)/);
  assert.ok(!/self\.add\b/.test(src.text), 'Add is an expression, not a module');
});

test('a document with problems is refused with them', () => {
  const doc = ALL_NETS.conv();
  doc.edges = doc.edges.filter((e) => e.target !== 'fc');
  assert.throws(() => modelSource(doc), (e: Error) => e instanceof ExportRefusal && /the network has problems/.test(e.message));
});

/** Random weights (and BatchNorm statistics that are not the defaults), as a trained run would have. */
function trainedValues(doc: NetworkDocument, seed: number): Map<string, Float32Array> {
  const f = lowerForward(doc, 'infer', 'inputs');
  const values = initialValues(f, seed);
  const rng = new Rng(seed + 1);
  for (const [k, v] of values) {
    if (/running_var$/.test(k)) for (let i = 0; i < v.length; i++) v[i] = rng.uniform(0.5, 1.5);
    else if (/(running_mean|\.B|beta|gamma)$/.test(k)) for (let i = 0; i < v.length; i++) v[i] += 0.2 * rng.normal();
  }
  return values;
}

function runDirFor(doc: NetworkDocument, values: Map<string, Float32Array>): string {
  const dir = tempDir('nw-run-');
  const classes = lowerForward(doc, 'infer', 'inputs').classes;
  const names = Array.from({ length: classes }, (_, i) => `c${i}`);
  fs.writeFileSync(path.join(dir, 'model.onnx'), encodeModel(buildInferenceModel(doc, values, { classNames: names, extra: { 'netwright.document': JSON.stringify(doc) } })));
  return dir;
}

interface Case { name: string; runDir: string; exportDir: string; className: string; x: Float32Array; shape: number[]; ortLogits: Float32Array }

async function prepare(name: string, runDir: string, n = 5): Promise<Case> {
  const src = loadSource(runDir);
  const exportDir = tempDir('nw-torch-');
  const r = exportPyTorch(src, exportDir);
  assert.ok(r.weights && fs.existsSync(r.weights), `${name}: no weights.pt`);
  const a = lowerForward(src.doc, 'infer', 'inputs').analysis;
  const shape = [n, ...a.shapes.get(a.inputId!)!];
  const rng = new Rng(5);
  const x = Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rng.uniform(-0.5, 1.5));
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(runDir, 'model.onnx')), sessionOptions('cpu', 1));
  const out = await session.run({ input: new ort.Tensor('float32', x, shape) });
  await session.release();
  return { name, runDir, exportDir, className: r.className, x, shape, ortLogits: out.logits.data as Float32Array };
}

test('the exported module with a run\'s weights gives the run\'s ONNX logits (every example, template and fixture net)', { skip }, async () => {
  const cases: Case[] = [];
  for (const [name, make] of nets) {
    const doc = make();
    cases.push(await prepare(name, runDirFor(doc, trainedValues(doc, 3))));
  }
  // And one real run: the sample project trained for a few steps (its best.onnx).
  const data = sampleData(8);
  const out = tempDir('nw-run-');
  await runTraining({ doc: sampleProject({ epochs: 1, batchSize: 8, valSplit: 0.25 }), dataDir: data, outDir: out, threads: 1 }, () => {}, () => false);
  cases.push(await prepare('a real run of examples/sample-shapes.json', out));

  const jobs = cases.map((c, i) => {
    const input = path.join(c.exportDir, `x${i}.f32`);
    fs.writeFileSync(input, c.x);
    return { dir: c.exportDir, className: c.className, input, shape: c.shape, output: path.join(c.exportDir, `y${i}.f32`) };
  });
  const r = spawnSync(PYTHON, ['test/export/torch_logits.py'], { input: JSON.stringify(jobs), encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  assert.equal(r.status, 0, r.stderr);
  cases.forEach((c, i) => {
    const buf = fs.readFileSync(jobs[i].output);
    const torchLogits = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    assert.equal(torchLogits.length, c.ortLogits.length, c.name);
    let diff = 0;
    let scale = 0;
    for (let k = 0; k < torchLogits.length; k++) {
      diff = Math.max(diff, Math.abs(torchLogits[k] - c.ortLogits[k]));
      scale = Math.max(scale, Math.abs(c.ortLogits[k]));
    }
    console.log(`  ${c.name}: max |PyTorch - ONNX Runtime| = ${diff.toExponential(2)} (logits up to ${scale.toFixed(2)})`);
    assert.ok(diff < TOLERANCE, `${c.name}: logits differ by ${diff} (tolerance ${TOLERANCE})`);
  });
});
