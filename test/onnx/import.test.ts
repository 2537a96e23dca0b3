// ONNX import of models exported by Debian's PyTorch: import, export back, and ONNX Runtime gives
// the same logits on both files; `netwright validate` counts PyTorch's trainable parameters.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { roundTrip, torchModels, torchSkip } from './import-helpers.ts';

const skip = torchSkip;
const cli = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', 'engine/cli.ts', ...args], { encoding: 'utf8' });

const CASES: { spec: string; params: number; preset?: boolean }[] = [
  { spec: 'lenet:11', params: 61706 },
  { spec: 'lenet:17', params: 61706 },
  { spec: 'resnet18:11', params: 11181642, preset: true },
  { spec: 'resnet18:17', params: 11181642, preset: true },
];

for (const c of CASES) {
  test(`import ${c.spec}: export back reproduces ONNX Runtime on the original to 1e-4, PyTorch's parameter count`, { skip }, async () => {
    const file = torchModels([c.spec])[c.spec];
    const r = await roundTrip(file, c.preset ? { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } : {});
    assert.equal(r.open, false, 'a classifier imports with its Output head');
    assert.equal(r.params, c.params);
    assert.ok(r.maxAbsDiff < 1e-4, `max abs diff of logits ${r.maxAbsDiff}`);
    console.log(`  ${c.spec}: max abs diff of logits ${r.maxAbsDiff.toExponential(2)}, ${r.params.toLocaleString('en-US')} trainable parameters`);
    if (c.spec.startsWith('resnet18:17')) {
      const out = cli('validate', r.docPath);
      assert.match(out, /total: 11,181,642 parameters/);
    }
  });
}
