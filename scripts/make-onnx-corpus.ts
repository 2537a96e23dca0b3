// Writes test/corpus/onnx/: malformed ONNX models, each with the error the reader must give
// (expected.json). Run once when adding a case: node --import tsx scripts/make-onnx-corpus.ts
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../engine/graph/rng.ts';
import { encodeModel, floatTensor, type ModelIR } from '../engine/onnx/model.ts';
import { ProtoWriter } from '../engine/onnx/proto.ts';

const dir = 'test/corpus/onnx';
const base = (): ModelIR => ({
  opset: 17,
  metadata: {},
  graph: {
    name: 'tiny',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 2] }],
    initializers: [floatTensor('w', [2, 2], [1, 2, 3, 4])],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'w'], outputs: ['h'] },
      { op: 'Relu', inputs: ['h'], outputs: ['y'] },
    ],
  },
});

/** The tiny model with one more initializer `t`, written field by field (our encoder never writes such tensors). */
function withRawInitializer(t: ProtoWriter): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of base().graph.nodes) {
    const w = new ProtoWriter();
    n.inputs.forEach((i) => w.string(1, i));
    n.outputs.forEach((o) => w.string(2, o));
    w.string(4, n.op);
    graph.message(1, w);
  }
  graph.string(2, 'tiny');
  graph.message(5, new ProtoWriter().packedVarints(1, [2, 2]).varint(2, 1).string(8, 'w').bytes(9, new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer)));
  graph.message(5, t);
  const vi = (name: string) => new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, new ProtoWriter().varint(1, 1)));
  graph.message(11, vi('x'));
  graph.message(12, vi('y'));
  return new ProtoWriter().varint(1, 8).message(7, graph).message(8, new ProtoWriter().string(1, '').varint(2, 17)).finish();
}

const cases: Record<string, { bytes: Uint8Array; field: string; message: string }> = {};
const add = (name: string, bytes: Uint8Array, field: string, message: string) => (cases[name] = { bytes, field, message });

const good = encodeModel(base());
add('empty.onnx', new Uint8Array(), 'model', 'the file is empty');
const rng = new Rng(42);
add('random.onnx', Uint8Array.from({ length: 256 }, () => rng.int(256)), 'model', '');
add('truncated.onnx', good.subarray(0, Math.floor(good.length * 0.6)), 'model', 'declares');
add('ir-version-99.onnx', encodeModel({ ...base(), irVersion: 99 }), 'model.ir_version', 'unsupported IR version 99');
add('no-opset.onnx', encodeModel({ ...base(), opset: 0 }), 'model.opset_import', 'no ai.onnx opset');
const short = base();
short.graph.initializers = [{ ...floatTensor('w', [2, 2], [1, 2, 3, 4]), dims: [3, 3] } as never];
add('raw-data-short.onnx', encodeModel(short), 'model.graph.initializer[0].raw_data', '16 bytes, but dims [3,3] of float32 need 36');
add('negative-dim.onnx', withRawInitializer(new ProtoWriter().packedVarints(1, [-3]).varint(2, 1).string(8, 'bad')), 'model.graph.initializer[1].dims', 'invalid dimension -3');
add('huge-dims.onnx', withRawInitializer(new ProtoWriter().packedVarints(1, [1_000_000, 1_000_000]).varint(2, 1).string(8, 'bad')), 'model.graph.initializer[1].dims', 'too many elements');
const ext = (loc: string) =>
  withRawInitializer(new ProtoWriter().packedVarints(1, [2]).varint(2, 1).string(8, 'bad').message(13, new ProtoWriter().string(1, 'location').string(2, loc)).varint(14, 1));
add('external-data-parent.onnx', ext('../secret.bin'), 'model.graph.initializer[1].external_data', 'external tensor data is not supported');
add('external-data-absolute.onnx', ext('/etc/passwd'), 'model.graph.initializer[1].external_data', 'external tensor data is not supported');
const cyc = base();
cyc.graph.nodes = [
  { op: 'Relu', inputs: ['h'], outputs: ['y'] },
  { op: 'Add', inputs: ['y', 'x'], outputs: ['h'] },
];
add('cycle.onnx', encodeModel(cyc), 'model.graph.node[0].input', 'reads "h" before node 1 produces it');
const dangling = base();
dangling.graph.nodes[1] = { op: 'Relu', inputs: ['ghost'], outputs: ['y'] };
add('dangling-input.onnx', encodeModel(dangling), 'model.graph.node[1].input', 'reads "ghost", which nothing produces');
const twice = base();
twice.graph.nodes[1] = { op: 'Relu', inputs: ['h'], outputs: ['h'] };
add('produced-twice.onnx', encodeModel(twice), 'model.graph.node[1].output', '"h" is produced twice');
add('no-graph.onnx', new ProtoWriter().varint(1, 8).message(8, new ProtoWriter().string(1, '').varint(2, 17)).finish(), 'model.graph', 'the model has no graph');

fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
const expected: Record<string, { field: string; message: string }> = {};
for (const [name, c] of Object.entries(cases)) {
  fs.writeFileSync(path.join(dir, name), c.bytes);
  expected[name] = { field: c.field, message: c.message };
}
fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
console.log(`wrote ${Object.keys(cases).length} malformed models to ${dir}`);
