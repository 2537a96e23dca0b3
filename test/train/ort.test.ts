import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import { encodeModel } from '../../engine/onnx/model.ts';
import { openRunner, openSession, openStepSession, ort } from '../../engine/train/ort.ts';
import { ALL_NETS } from '../fixtures/nets.ts';

test('a GPU provider that cannot load falls back to CPU and says why', async (t) => {
  const doc = ALL_NETS.pool();
  const model = encodeModel(buildInferenceModel(doc, initialValues(lowerForward(doc, 'train'), 1), { classNames: [] }));
  // This machine has no CUDA provider files; where one does, there is nothing to fall back from.
  const s = await openSession(model, 'cuda');
  if (s.device === 'cuda') return t.skip('the CUDA provider loaded on this machine');
  assert.equal(s.device, 'cpu');
  assert.match(s.fallback ?? '', /^cuda is not available \(CUDA needs an NVIDIA GPU.*; training on CPU instead$/);
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
  assert.match(gpu.fallback ?? '', /^cuda is not available/);
  const b = new ort.Tensor('float32', new Float32Array(8), [2, 4]);
  await gpu.runner.run({ input }, { probs: b });
  assert.deepEqual(b.data, a.data);
  await Promise.all([cpu.runner.release(), gpu.runner.release(), pub.session.release()]);
});
