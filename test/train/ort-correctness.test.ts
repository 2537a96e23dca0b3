// ONNX Runtime's graph rewrites must not change what a graph computes. Pad_Fusion (on at every
// optimization level) folds a zero Pad into a following MaxPool, whose own padding is -inf: over a
// window of negative values the ONNX answer is 0 (the pad), the fused one the window's maximum.
// Every session the engine opens goes through sessionOptions, which turns that rewrite off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphBuilder } from '../../engine/onnx/builder.ts';
import { encodeModel, OPSET } from '../../engine/onnx/model.ts';
import { ort, sessionOptions } from '../../engine/train/ort.ts';

test("a zero Pad before a MaxPool pads with zeros in the engine's sessions", async () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', [1, 1, 3, 3]);
  const p = g.op('Pad', [x, g.constI64([0, 0, 0, 0, 0, 0, 1, 1]), g.constF([0])], { mode: { s: 'constant' } }, [1, 1, 4, 4]);
  g.output(g.op('MaxPool', [p], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, [1, 1, 2, 2], 'y'));
  const model = encodeModel({ graph: g.graph('pad-maxpool'), opset: OPSET, metadata: {} });
  const feeds = { x: new ort.Tensor('float32', Float32Array.from([-1, -2, -3, -4, -5, -6, -7, -8, -9]), [1, 1, 3, 3]) };
  const s = await ort.InferenceSession.create(model, sessionOptions('cpu', 1));
  const y = Array.from((await s.run(feeds)).y.data as Float32Array);
  await s.release();
  // Windows: {-1,-2,-4,-5} -> -1; the other three each hold a padded 0.
  assert.deepEqual(y, [-1, 0, 0, 0]);
});
