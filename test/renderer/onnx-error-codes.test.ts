// Why an ONNX model is not imported, why a PyTorch export is refused, and the device and memory
// messages: each reason has its own code (engine/graph/error-codes.ts), nested in the node or
// refusal that carries it. Real refusals of the engine: the en text says the engine's message
// word for word, zh-CN says it in Chinese with the same params, the English reason left out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadSource } from '../../engine/export/pytorch/export.ts';
import type { CodedError } from '../../engine/graph/error-codes.ts';
import { importOnnx, ImportError } from '../../engine/graph/from-onnx.ts';
import { estimateMemory, memoryRefusalText } from '../../engine/graph/memory.ts';
import { GraphBuilder } from '../../engine/onnx/builder.ts';
import { encodeModel, floatTensor, type Attr } from '../../engine/onnx/model.ts';
import { EngineError, sessionEvent, type CodedMessage, type EngineText } from '../../engine/protocol.ts';
import { importOnnxJob } from '../../engine/session/onnx-import.ts';
import { Project } from '../../engine/session/project.ts';
import { exportRunPyTorch } from '../../engine/session/pytorch.ts';
import { probeDevices } from '../../engine/train/devices.ts';
import { deviceHint, openSession } from '../../engine/train/ort.ts';
import { memoryLimit } from '../../engine/train/prepare.ts';
import { createI18n } from '../../renderer/i18n/index.ts';
import { engineText } from '../../renderer/i18n/errors.ts';
import { sampleProject, tempDir } from '../fixtures/sample.ts';
import { thrown } from './coded.ts';

const en = createI18n('en', false);
const zh = createI18n('zh-CN', false);
const HAN = /[\u4e00-\u9fff]/;
type Params = EngineText['params'];
/** The en resource's own text for a code (engineText shows English messages as they are, so this reads the resource, nested params as their own en text; `engine.<code>`: a shape problem). */
const enText = (code: string, params: Params): string =>
  en.t(code.startsWith('engine.') ? code : `errors:${code}`, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'object' ? enText(v.code, v.params) : v])));
const zhText = (e: unknown): string => engineText(zh.t, zh, e);

/** Every coded message in `m` (itself, then its coded params): each en text is its message. */
function checkEnglish(m: CodedMessage): void {
  assert.equal(enText(m.code, m.params), m.message, m.code);
  for (const v of Object.values(m.params)) if (typeof v === 'object') checkEnglish(v);
}

function model(build: (g: GraphBuilder, x: string) => string, shape: number[] = [1, 3, 8, 8]): Uint8Array {
  const g = new GraphBuilder();
  g.output(build(g, g.input('x', 'float32', shape)));
  return encodeModel({ graph: g.graph('t'), opset: 13, metadata: {} });
}
const w = (g: GraphBuilder, name: string, dims: number[]) => g.initializer(floatTensor(name, dims, new Array(dims.reduce((a, b) => a * b, 1)).fill(0.1)));
const conv = (g: GraphBuilder, x: string, attrs: Record<string, Attr> = {}) => g.op('Conv', [x, w(g, `w${g.nodes.length}`, [4, 3, 3, 3])], { kernel_shape: { ints: [3, 3] }, ...attrs }, undefined, 'conv');

/** [what, model, the reason's code, its params (some), what the Chinese text must say]. */
const REFUSALS: [string, Uint8Array, string, Params, string[]][] = [
  ['a non-square pooling window', model((g, x) => g.op('MaxPool', [x], { kernel_shape: { ints: [3, 2] } }, undefined, 'pool')), 'onnx-window-square', { h: 3, w: 2 }, ['3x2', '正方形']],
  ['a weight that is not a constant', model((g, x) => g.op('Conv', [x, g.op('Relu', [x])], {}, undefined, 'c')), 'onnx-not-constant', { what: 'weight' }, ['权重', '常量']],
  ['a Reshape that is not a flatten', model((g, x) => g.op('Reshape', [conv(g, x), g.constI64([1, 2, -1])])), 'onnx-reshape', { from: '4,6,6', to: '1,2,-1' }, ['[N, 4,6,6]', '[1,2,-1]', '展平']],
  ['reflect padding', model((g, x) => g.op('Pad', [x, g.constI64([0, 0, 1, 1, 0, 0, 1, 1])], { mode: { s: 'reflect' } })), 'onnx-pad-mode', { mode: 'reflect' }, ['reflect', '常量填充']],
  ['different strides per axis', model((g, x) => conv(g, x, { strides: { ints: [1, 2] } })), 'onnx-hw-differ', { attr: 'strides', values: '1,2' }, ['strides [1,2]', '高度和宽度']],
  ['an auto_pad ONNX does not have', model((g, x) => conv(g, x, { auto_pad: { s: 'SIDEWAYS' } })), 'onnx-auto-pad', { value: 'SIDEWAYS' }, ['SIDEWAYS', 'ONNX 取值']],
  ['dilated pooling', model((g, x) => g.op('MaxPool', [x], { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } })), 'onnx-pool-dilated', {}, ['空洞池化']],
  ['an attribute of the wrong type', model((g, x) => g.op('Flatten', [conv(g, x)], { axis: { s: 'one' } })), 'onnx-attr-type', { attr: 'axis', type: 'int' }, ['axis', '整数']],
  // A layer that does not fit: the shape problem inside, in Chinese as the editor shows it.
  ['groups that do not divide the channels', model((g, x) => g.op('Conv', [x, w(g, 'wg', [4, 1, 3, 3])], { group: { i: 2 } }, undefined, 'gc')), 'onnx-as-layer', { type: 'Conv2D' }, ['输入通道数（3）不能被分组数（2）整除', 'Conv2D 层']],
  ['a Gemm on an image', model((g, x) => g.op('Gemm', [conv(g, x), w(g, 'fc', [5, 144])], { transB: { i: 1 } })), 'onnx-needs-vector', { op: 'Gemm', shape: '4,6,6' }, ['Gemm', '[N, 4,6,6]', '展平']],
];

for (const [what, bytes, code, params, said] of REFUSALS) {
  test(`an import refused for ${what}: onnx-node with the reason ${code}, in Chinese`, () => {
    const e = thrown(() => importOnnx(bytes), 'the model was imported');
    assert.ok(e instanceof ImportError, String(e));
    assert.equal(e.text?.code, 'onnx-node', e.message);
    const detail = e.text!.params.detail as CodedMessage;
    assert.equal(typeof detail, 'object', `${e.message}: the reason has no code`);
    assert.equal(detail.code, code, e.message);
    for (const [k, v] of Object.entries(params)) assert.equal(detail.params[k], v, `${code}.${k}`);
    checkEnglish({ ...e.text!, message: e.message });
    assert.equal(engineText(en.t, en, e), e.message);
    const s = zhText(e);
    assert.match(s, /^节点 \d+“.+”（.+）：/, s);
    assert.ok(!s.includes(detail.message), `${s} still says the English reason`);
    for (const part of said) assert.ok(s.includes(part), `${s} lacks ${part}`);
  });
}

test('a graph input the import refuses has its own code, no node around it', () => {
  const e = thrown<ImportError>(() => importOnnx(model((g, x) => g.op('Relu', [x]), [1, 3, 'H' as unknown as number, 8])), 'imported');
  assert.equal(e.text?.code, 'onnx-input-size');
  checkEnglish({ ...e.text!, message: e.message });
  assert.match(zhText(e), /^输入 x 的形状是 \[1,3,H,8\]：高度和宽度必须是固定尺寸$/);
});

test('a file that is not a readable model: onnx-unreadable with the reason coded', () => {
  const unproduced = encodeModel({
    opset: 13,
    metadata: {},
    graph: { name: 'g', nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }], outputs: [{ name: 'z', dtype: 'float32', shape: [1, 3, 8, 8] }], initializers: [] },
  });
  const cases: [Uint8Array, string, RegExp][] = [
    [new Uint8Array(0), 'onnx-read-empty', /^不是可读取的 ONNX 模型：model：文件是空的$/],
    [unproduced, 'onnx-read-never', /^不是可读取的 ONNX 模型：model\.graph\.output：输出 "z" 从未被产生$/],
  ];
  for (const [bytes, code, zhWant] of cases) {
    const e = thrown<ImportError>(() => importOnnx(bytes), 'imported');
    assert.equal(e.text?.code, 'onnx-unreadable');
    const detail = e.text!.params.detail as CodedMessage;
    assert.equal(detail.code, 'onnx-read-at', e.message);
    assert.equal((detail.params.reason as CodedMessage).code, code);
    checkEnglish({ ...e.text!, message: e.message });
    assert.match(zhText(e), zhWant);
  }
});

test('File > Import ONNX…: the reason reaches the editor inside onnx-import and onnx-node', () => {
  const root = tempDir();
  try {
    const src = path.join(root, 'square.onnx');
    fs.writeFileSync(src, REFUSALS[0][1]);
    const e = thrown<EngineError>(() => importOnnxJob(new Project(root), src, path.join(root, 'square.json'), {}), 'imported');
    assert.ok(e instanceof EngineError);
    assert.equal(e.text?.code, 'onnx-import');
    const reason = e.text!.params.reason as CodedMessage;
    assert.equal(reason.code, 'onnx-node');
    assert.equal((reason.params.detail as CodedMessage).code, 'onnx-window-square');
    checkEnglish({ ...e.text!, message: e.message });
    assert.match(zhText(e), /^无法导入 square\.onnx：节点 0“[^”]+”（MaxPool）：窗口 3x2 不是正方形；/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('Export > PyTorch refused: export-refused with the reason coded', () => {
  const root = tempDir();
  try {
    const run = path.join(root, 'runs', 'r1');
    fs.mkdirSync(run, { recursive: true });
    fs.writeFileSync(path.join(run, 'run.json'), JSON.stringify({ runId: 'r1', doc: sampleProject() }));
    // A model.onnx without its document (netwright.document): nothing to write model.py from.
    fs.writeFileSync(path.join(run, 'model.onnx'), model((g, x) => g.op('Relu', [x])));
    const e = thrown<EngineError>(() => exportRunPyTorch(new Project(root), 'r1', 'last'), 'exported');
    assert.ok(e instanceof EngineError && e.code === 'refused', String(e));
    assert.equal(e.text?.code, 'export-refused');
    const detail = e.text!.params.detail as CodedMessage;
    assert.equal(detail.code, 'export-no-document');
    checkEnglish({ ...e.text!, message: e.message });
    const s = zhText(e);
    assert.match(s, /^无法导出：.*model\.onnx 没有带上它的网络文档（netwright\.document）/, s);

    // A folder with no model in it: which files were looked for, in Chinese too.
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    const e2 = thrown<CodedError>(() => loadSource(empty), 'loaded');
    assert.deepEqual(e2.text, { code: 'export-no-model', params: { file: empty, which: 'best' } });
    checkEnglish({ ...e2.text!, message: e2.message });
    assert.equal(zhText(e2), `${empty} 中没有 best.onnx 或 model.onnx：它是 Netwright 的运行文件夹吗？`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the memory refusal says where its limit comes from in the UI language', () => {
  const m = estimateMemory(sampleProject());
  const here = memoryRefusalText(m, m.total / 2);
  assert.ok(here);
  assert.equal((here.params.where as CodedMessage).code, 'memory-where-machine');
  checkEnglish(here);
  assert.match(here.message, /allowed on this machine;/);
  assert.ok(zhText(here).includes('（本机）'), zhText(here));
  const before = process.env.NETWRIGHT_MEMORY_LIMIT;
  try {
    delete process.env.NETWRIGHT_MEMORY_LIMIT;
    const share = memoryLimit().where;
    assert.equal(share.code, 'memory-where-share');
    checkEnglish(share);
    assert.match(zhText(share), /^（本机 .+ 内存的 75%）$/);
    process.env.NETWRIGHT_MEMORY_LIMIT = '1000';
    const limit = memoryLimit();
    const r = memoryRefusalText(m, limit.bytes, false, limit.where);
    assert.ok(r);
    checkEnglish(r);
    assert.ok(r.message.includes('allowed (NETWRIGHT_MEMORY_LIMIT);'), r.message);
    assert.ok(zhText(r).includes('（NETWRIGHT_MEMORY_LIMIT）'), zhText(r));
  } finally {
    if (before === undefined) delete process.env.NETWRIGHT_MEMORY_LIMIT;
    else process.env.NETWRIGHT_MEMORY_LIMIT = before;
  }
});

test('a GPU provider that is missing, and the CPU fallback, are coded', async (t) => {
  for (const d of ['cuda', 'dml', 'coreml'] as const) {
    checkEnglish(deviceHint(d));
    assert.match(zhText(deviceHint(d)), HAN);
  }
  for (const d of (await probeDevices()).filter((x) => !x.available)) {
    assert.ok(d.reasonText, `${d.device}: the reason has no code`);
    checkEnglish({ ...d.reasonText, message: d.reason! });
    assert.match(zhText({ message: d.reason!, text: d.reasonText }), HAN);
  }
  const s = await openSession(model((g, x) => g.op('Relu', [x])), 'cuda');
  await s.session.release();
  if (s.device === 'cuda') return t.skip('the CUDA provider loaded on this machine');
  assert.equal(s.fallback?.code, 'device-fallback');
  checkEnglish(s.fallback!);
  assert.match(zhText(s.fallback), /^cuda 不可用（CUDA 需要 NVIDIA GPU.*）；改在 CPU 上训练$/);
  // The run's 'log' event (train/prepare.ts) keeps the code across the border, as the Train view shows it.
  const ev = sessionEvent.parse(JSON.parse(JSON.stringify({ type: 'log', level: 'warn', message: s.fallback!.message, text: s.fallback })));
  assert.ok(ev.type === 'log' && ev.text?.code === 'device-fallback', JSON.stringify(ev));
  assert.equal(zhText(ev), zhText(s.fallback));
});
