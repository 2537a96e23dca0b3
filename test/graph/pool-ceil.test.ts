// Pooling with explicit padding, ceil mode and count_include_pad: Netwright's output sizes and
// lowering against PyTorch (F.max_pool2d / F.avg_pool2d) over a grid of sizes, windows, strides
// and pads, and ONNX Runtime's own ceil_mode kernels against PyTorch.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import type { LowerContext, Params } from '../../engine/graph/layer.ts';
import { AvgPool2D, MaxPool2D } from '../../engine/graph/layers/pool2d.ts';
import { GraphBuilder } from '../../engine/onnx/builder.ts';
import { encodeModel } from '../../engine/onnx/model.ts';
import { chain, net } from '../fixtures/nets.ts';
import { PYTHON, torchAvailable } from '../torch/torch.ts';

const skip = torchAvailable() ? false : 'PyTorch (Debian python3-torch) is not installed';

interface Case { op: 'MaxPool' | 'AveragePool'; h: number; w: number; k: number; s: number; p: number; ceil: boolean; countPad: boolean }

const SIZES = [[5, 6], [6, 7], [7, 5], [10, 11]];
const cases: Case[] = [];
for (const [h, w] of SIZES) for (const op of ['MaxPool', 'AveragePool'] as const) for (const k of [2, 3]) for (const s of [1, 2, 3]) {
  for (let p = 0; p <= Math.floor(k / 2); p++) for (const ceil of [false, true]) for (const countPad of op === 'MaxPool' ? [true] : [true, false]) cases.push({ op, h, w, k, s, p, ceil, countPad });
}

const params = (c: Case): Params => ({ size: c.k, stride: c.s, padding: c.p ? 'explicit' : 'valid', pad: c.p, ceil: c.ceil, ...(c.op === 'AveragePool' ? { countPad: c.countPad } : {}) });
const input = (h: number, w: number) => Float32Array.from({ length: 2 * h * w }, (_, i) => Math.round(Math.sin(i * 1.7) * 30) / 10);

/** Runs every case of one input size in one ONNX Runtime session: Netwright's lowering and, beside it, ONNX's own ceil_mode node. */
async function runOrt(h: number, w: number, mine: Case[]) {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [1, 2, h, w]);
  const ctx = { g, mode: 'infer' } as LowerContext;
  const outs: { ours: string; native: string }[] = [];
  for (const c of mine) {
    const def = c.op === 'MaxPool' ? MaxPool2D : AvgPool2D;
    const r = def.infer(params(c), [[2, h, w]]);
    if (!('shape' in r)) throw new Error(JSON.stringify(r));
    const ours = g.op('Identity', [def.lower(ctx, params(c), [x], [[2, h, w]], r.shape)]);
    const native = g.op(c.op, [x], {
      kernel_shape: { ints: [c.k, c.k] }, strides: { ints: [c.s, c.s] }, pads: { ints: [c.p, c.p, c.p, c.p] }, ceil_mode: { i: c.ceil ? 1 : 0 },
      ...(c.op === 'AveragePool' ? { count_include_pad: { i: c.countPad ? 1 : 0 } } : {}),
    });
    g.output(ours);
    g.output(native);
    outs.push({ ours, native });
  }
  const session = await ort.InferenceSession.create(encodeModel({ graph: g.graph('pools'), opset: 17, metadata: {} }), { logSeverityLevel: 3 });
  const r = await session.run({ x: new ort.Tensor('float32', input(h, w), [1, 2, h, w]) });
  await session.release();
  return outs.map(({ ours, native }, i) => ({
    ...mine[i],
    ours: Array.from(r[ours].data as Float32Array),
    oursDims: [...r[ours].dims],
    native: Array.from(r[native].data as Float32Array),
    nativeDims: [...r[native].dims],
  }));
}

const PY = `
import json, sys, torch
import torch.nn.functional as F
out = []
for c in json.load(sys.stdin):
    x = torch.tensor(c["x"]).reshape(1, 2, c["h"], c["w"])
    if c["op"] == "MaxPool":
        y = F.max_pool2d(x, c["k"], c["s"], c["p"], ceil_mode=c["ceil"])
    else:
        y = F.avg_pool2d(x, c["k"], c["s"], c["p"], ceil_mode=c["ceil"], count_include_pad=c["countPad"])
    out.append({"dims": list(y.shape), "y": y.flatten().tolist()})
json.dump(out, sys.stdout)
`;

test('pool output sizes, explicit padding, ceil mode and count_include_pad match PyTorch; so do ONNX Runtime ceil_mode kernels', { skip }, async () => {
  const results = [];
  for (const [h, w] of SIZES) results.push(...(await runOrt(h, w, cases.filter((c) => c.h === h && c.w === w))));
  const py = spawnSync(PYTHON, ['-c', PY], { input: JSON.stringify(results.map((r) => ({ ...r, x: Array.from(input(r.h, r.w)) }))), maxBuffer: 64 << 20 });
  assert.equal(py.status, 0, py.stderr.toString());
  const ref: { dims: number[]; y: number[] }[] = JSON.parse(py.stdout.toString());
  let corrected = 0;
  results.forEach((r, i) => {
    const at = `${r.op} ${r.h}x${r.w} k${r.k} s${r.s} pad ${r.p}${r.ceil ? ' ceil' : ''}${r.countPad ? '' : ' pixels only'}`;
    const def = r.op === 'MaxPool' ? MaxPool2D : AvgPool2D;
    const inferred = def.infer(params(r), [[2, r.h, r.w]]);
    assert.ok('shape' in inferred);
    assert.deepEqual([1, ...inferred.shape], ref[i].dims, `${at}: shape rule`);
    assert.deepEqual(r.oursDims, ref[i].dims, `${at}: lowered shape`);
    assert.deepEqual(r.nativeDims, ref[i].dims, `${at}: ONNX Runtime ceil_mode shape`);
    const worst = (a: number[]) => a.reduce((m, v, j) => Math.max(m, Math.abs(v - ref[i].y[j])), 0);
    assert.ok(worst(r.ours) < 1e-5, `${at}: Netwright's lowering differs from PyTorch by ${worst(r.ours)}`);
    assert.ok(worst(r.native) < 1e-5, `${at}: ONNX Runtime's ceil_mode node differs from PyTorch by ${worst(r.native)}`);
    // PyTorch's rule: a last window starting past the input and left padding is dropped.
    if (r.ceil && Math.ceil((r.h + 2 * r.p - r.k) / r.s) + 1 !== inferred.shape[1]) corrected++;
  });
  assert.ok(corrected > 0, 'the grid covers the dropped last window');
  console.log(`  ${results.length} pooling cases, ${corrected} where PyTorch drops ceil mode's last window`);
});

test("a ceil-mode pool before Flatten and Dense loads and runs in ONNX Runtime (its shape inference skips PyTorch's last-window rule)", async () => {
  // 5x5, 2x2 stride 2, pad 1, ceil: PyTorch and ONNX Runtime's kernel give 3x3; ONNX Runtime's
  // shape inference says 4x4, so a Dense sized for 3x3 fails to load if the node says ceil_mode.
  const doc = net('ceil', [
    ['in', 'Input', { height: 5, width: 5, color: 'grayscale' }],
    ['p', 'MaxPool2D', { size: 2, stride: 2, padding: 'explicit', pad: 1, ceil: true }],
    ['a', 'AvgPool2D', { size: 2, stride: 1, padding: 'valid', ceil: true }],
    ['f', 'Flatten'],
    ['fc', 'Dense', { units: 2 }],
    ['out', 'Output', { loss: 'cross_entropy' }],
  ], chain(['in', 'p', 'a', 'f', 'fc', 'out']));
  const f = lowerForward(doc, 'train');
  const model = buildInferenceModel(doc, initialValues(f, 1), { classNames: ['a', 'b'] });
  assert.ok(model.graph.nodes.every((n) => !(n.attrs?.ceil_mode as { i: number } | undefined)?.i), 'ceil mode is lowered as padding');
  const session = await ort.InferenceSession.create(encodeModel(model));
  const r = await session.run({ input: new ort.Tensor('float32', new Float32Array(2 * 25).fill(0.5), [2, 1, 5, 5]) });
  assert.deepEqual([...r.logits.dims], [2, 2]);
  await session.release();
});
