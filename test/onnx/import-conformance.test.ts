// Conformance: the ONNX test suite's PyTorch-converted 2-D cases with 3-channel inputs (Debian's
// libonnx-testdata): each model imports (its output left open: no classifier head), exports back,
// and the exported file reproduces the case's expected output_0.pb to 1e-4 on its input_0.pb.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { decodeTensorProto } from '../../engine/onnx/model.ts';
import { exportDocument } from '../../engine/session/export.ts';
import { importOnnxFile } from '../../engine/session/onnx-import.ts';
import { tempDir } from '../fixtures/temp.ts';
import { run } from './import-helpers.ts';

const ROOT = '/usr/share/libonnx-testdata/data/pytorch-converted';
const skip = fs.existsSync(ROOT) ? false : `the ONNX test data (Debian libonnx-testdata) is not installed at ${ROOT}`;

const CASES = [
  'test_Conv2d', 'test_Conv2d_no_bias', 'test_Conv2d_padding', 'test_Conv2d_strided', 'test_Conv2d_dilated',
  'test_AvgPool2d', 'test_AvgPool2d_stride', 'test_BatchNorm2d_eval', 'test_BatchNorm2d_momentum_eval', 'test_MaxPool2d',
  'test_ZeroPad2d', 'test_ConstantPad2d', 'test_ReLU', 'test_Sigmoid', 'test_Tanh', 'test_PReLU_2d',
];

for (const name of CASES) {
  test(`ONNX conformance ${name}: import, export back, reproduce output_0.pb to 1e-4`, { skip }, async () => {
    const dir = tempDir('nw-conf-');
    const docPath = path.join(dir, 'net.json');
    const { result } = importOnnxFile(path.join(ROOT, name, 'model.onnx'), docPath);
    assert.equal(result.open, true, 'no classifier head: the output is left open');
    const exported = path.join(dir, 'back.onnx');
    const check = await exportDocument(JSON.parse(fs.readFileSync(docPath, 'utf8')), exported, { docDir: dir });
    assert.ok(check.ok, `export check: max abs diff ${check.maxAbsDiff}`);
    const sets = fs.readdirSync(path.join(ROOT, name)).filter((d) => d.startsWith('test_data_set_'));
    assert.ok(sets.length > 0);
    let worst = 0;
    for (const s of sets) {
      const x = decodeTensorProto(fs.readFileSync(path.join(ROOT, name, s, 'input_0.pb')));
      const y = decodeTensorProto(fs.readFileSync(path.join(ROOT, name, s, 'output_0.pb')));
      const got = await run(exported, { input: new ort.Tensor('float32', x.data as Float32Array, x.dims) }, 'output');
      const want = y.data as Float32Array;
      assert.equal(got.length, want.length, `output of ${got.length} values, expected [${y.dims}]`);
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    }
    assert.ok(worst < 1e-4, `max abs diff ${worst}`);
  });
}
