// Tensors stored as float_data / int64_data / int32_data (not raw_data), and float/int list
// attributes, with millions of values: decoding must not spread them into a call's arguments
// (`push(...values)` overflows V8's stack above a few hundred thousand).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeModel, decodeTensorProto, encodeModel, type ModelIR } from '../../engine/onnx/model.ts';
import { ProtoWriter } from '../../engine/onnx/proto.ts';

const N = 4_000_000;

test(`a TensorProto with ${N.toLocaleString('en-US')} packed float_data values decodes, every value in place`, () => {
  const values = new Float32Array(N);
  for (let i = 0; i < N; i++) values[i] = (i % 1000) * 0.5 - 250;
  const w = new ProtoWriter().packedVarints(1, [2, N / 2]).varint(2, 1).string(8, 'big');
  w.bytes(4, new Uint8Array(values.buffer));
  const t = decodeTensorProto(w.finish());
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.dims, [2, N / 2]);
  assert.equal(t.data.length, N);
  assert.deepEqual(t.data, values);
});

test('float_data split over several packed fields and single values keeps their order', () => {
  const a = Float32Array.from({ length: 300_000 }, (_, i) => i);
  const b = Float32Array.from({ length: 300_000 }, (_, i) => -i);
  const w = new ProtoWriter().packedVarints(1, [600_001]).varint(2, 1).string(8, 'parts');
  w.bytes(4, new Uint8Array(a.buffer)).float(4, 7.5).bytes(4, new Uint8Array(b.buffer));
  const t = decodeTensorProto(w.finish());
  const want = new Float32Array(600_001);
  want.set(a);
  want[300_000] = 7.5;
  want.set(b, 300_001);
  assert.deepEqual(t.data, want);
});

test('int64_data and int32_data with a million packed values decode', () => {
  const n = 1_000_000;
  const ints = Array.from({ length: n }, (_, i) => (i % 7) - 3);
  const i64 = decodeTensorProto(new ProtoWriter().packedVarints(1, [n]).varint(2, 7).packedVarints(7, ints).finish());
  assert.equal(i64.dtype, 'int64');
  assert.deepEqual(i64.data, BigInt64Array.from(ints, BigInt));
  const i32 = decodeTensorProto(new ProtoWriter().packedVarints(1, [n]).varint(2, 6).packedVarints(5, ints).finish());
  assert.equal(i32.dtype, 'int32');
  assert.deepEqual(i32.data, Int32Array.from(ints));
});

test('float and int list attributes with a million values decode', () => {
  const n = 1_000_000;
  const floats = Array.from({ length: n }, (_, i) => i * 0.25);
  const ints = Array.from({ length: n }, (_, i) => i - 500);
  const m: ModelIR = {
    opset: 17,
    metadata: {},
    graph: {
      name: 'g',
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'], attrs: { big_floats: { floats }, big_ints: { ints } } }],
      initializers: [],
      inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
    },
  };
  const attrs = decodeModel(encodeModel(m)).graph.nodes[0].attrs!;
  assert.deepEqual(attrs.big_floats, { floats });
  assert.deepEqual(attrs.big_ints, { ints });
});
