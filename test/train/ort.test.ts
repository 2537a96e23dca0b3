import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import { GraphBuilder } from '../../engine/onnx/builder.ts';
import { encodeModel, OPSET } from '../../engine/onnx/model.ts';
import { inferenceOptions, openRunner, openSession, openStepSession, ort } from '../../engine/train/ort.ts';
import { ALL_NETS } from '../fixtures/nets.ts';

test('a GPU provider that cannot load falls back to CPU and says why', async (t) => {
  const doc = ALL_NETS.pool();
  const model = encodeModel(buildInferenceModel(doc, initialValues(lowerForward(doc, 'train'), 1), { classNames: [] }));
  // This machine has no CUDA provider files; where one does, there is nothing to fall back from.
  const s = await openSession(model, 'cuda');
  if (s.device === 'cuda') return t.skip('the CUDA provider loaded on this machine');
  assert.equal(s.device, 'cpu');
  assert.match(s.fallback?.message ?? '', /^cuda is not available \(CUDA needs an NVIDIA GPU.*; training on CPU instead$/);
  const out = await s.session.run({ input: new (await import('onnxruntime-node')).Tensor('float32', new Float32Array(110), [1, 1, 11, 10]) });
  assert.deepEqual(out.probs.dims, [1, 4]);
  await s.session.release();
});

test('training steps run straight through the native binding, with the same results as the public session', async () => {
  const doc = ALL_NETS.pool();
  const model = encodeModel(buildInferenceModel(doc, initialValues(lowerForward(doc, 'train'), 1), { classNames: [] }));
  const direct = await openStepSession(model, 1);
  // If an onnxruntime-node update moves its binding, steps fall back to the public API and get slower: say so here.
  assert.equal(direct.direct, true, 'onnxruntime-node/dist/binding.js is not usable');
  const pub = await openSession(model, 'cpu', 1);
  const x = Float32Array.from({ length: 3 * 110 }, (_, i) => Math.sin(i));
  const input = new ort.Tensor('float32', x, [3, 1, 11, 10]);
  const out = new ort.Tensor('float32', new Float32Array(12), [3, 4]);
  const ret = direct.run({ input }, { probs: out });
  assert.equal(ret, undefined, 'runs at once, no promise');
  const ref = await pub.session.run({ input });
  assert.deepEqual(out.data, ref.probs.data);
  await direct.release();
  await pub.session.release();
});

test('scorers run on CPU through the native binding too, and a GPU that cannot load falls back to it with the reason', async (t) => {
  const doc = ALL_NETS.pool();
  const model = encodeModel(buildInferenceModel(doc, initialValues(lowerForward(doc, 'train'), 1), { classNames: [] }));
  const cpu = await openRunner(model, 'cpu', 1);
  assert.equal(cpu.runner.direct, true);
  assert.equal(cpu.device, 'cpu');
  const input = new ort.Tensor('float32', Float32Array.from({ length: 2 * 110 }, (_, i) => Math.cos(i)), [2, 1, 11, 10]);
  const a = new ort.Tensor('float32', new Float32Array(8), [2, 4]);
  await cpu.runner.run({ input }, { probs: a });
  const pub = await openSession(model, 'cpu', 1);
  assert.deepEqual(a.data, (await pub.session.run({ input })).probs.data);
  const gpu = await openRunner(model, 'cuda', 1);
  if (gpu.device === 'cuda') return t.skip('the CUDA provider loaded on this machine');
  assert.equal(gpu.runner.direct, true);
  assert.match(gpu.fallback?.message ?? '', /^cuda is not available/);
  const b = new ort.Tensor('float32', new Float32Array(8), [2, 4]);
  await gpu.runner.run({ input }, { probs: b });
  assert.deepEqual(b.data, a.data);
  await Promise.all([cpu.runner.release(), gpu.runner.release(), pub.session.release()]);
});

test('inference runners do not spin their threads: an open runner idles at no CPU', async () => {
  // Every inference session (validation, eval, Try it, cached features) comes from openRunner
  // with inferenceOptions. ONNX Runtime's spinning threads keep a core busy between runs
  // (STACK.md: 1.14 cores idle); an app holding a Try-it session open must not.
  const o = inferenceOptions('cpu', 2) as { extra: { session: { intra_op: { allow_spinning: string } } } };
  assert.equal(o.extra.session.intra_op.allow_spinning, '0');
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [256, 256]);
  g.output(g.op('MatMul', [x, x], {}, [256, 256], 'y'));
  const model = encodeModel({ graph: g.graph('matmul'), opset: OPSET, metadata: {} });
  const t = new ort.Tensor('float32', new Float32Array(256 * 256).fill(1), [256, 256]);
  const y = new ort.Tensor('float32', new Float32Array(256 * 256), [256, 256]);
  const idleCpuMs = async (s: { run(f: Record<string, ort.Tensor>, o: Record<string, ort.Tensor>): unknown }) => {
    for (let i = 0; i < 20; i++) await s.run({ x: t }, { y });
    await new Promise((r) => setTimeout(r, 20));
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 500));
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };
  const { runner } = await openRunner(model, 'cpu', 2);
  const idle = await idleCpuMs(runner);
  assert.equal(y.data[0], 256);
  // The same session spinning, for the record (how much it burns depends on the machine's load).
  const spinning = await openStepSession(model, 2, true);
  const spun = await idleCpuMs(spinning);
  assert.ok(idle < 12, `an idle inference runner used ${idle.toFixed(1)} ms of CPU in 500 ms (spinning: ${spun.toFixed(1)} ms)`);
  await Promise.all([runner.release(), spinning.release()]);
});
