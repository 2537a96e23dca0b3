// The bench compares the same nets on both sides: every net in bench/nets.ts analyses without
// problems and has exactly as many parameters as its PyTorch twin in bench/torch/nets.py.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { inferShapes } from '../../engine/graph/infer.ts';
import { BENCH_NETS, benchNet } from '../../bench/nets.ts';
import { PYTHON, torchAvailable } from '../torch/torch.ts';

const torchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'torch');

test('every bench net analyses, and PyTorch counts the same parameters', (t) => {
  // resnet18-224 is torchvision's, read through its ONNX export: it needs PyTorch.
  const torch = torchAvailable();
  const names = BENCH_NETS.filter((n) => torch || n !== 'resnet18-224');
  const ours = Object.fromEntries(names.map((name) => {
    const a = inferShapes(benchNet(name));
    assert.deepEqual(a.problems, [], name);
    return [name, a.totals.params];
  }));
  assert.ok(BENCH_NETS.includes('resnet-64'));
  if (!torch) return t.skip('python3-torch is not installed: parameter counts not compared');
  const r = spawnSync(PYTHON, ['-c', `import json, sys; sys.path.insert(0, ${JSON.stringify(torchDir)}); import nets; print(json.dumps({n: sum(p.numel() for p in f().parameters()) for n, f in nets.NETS.items()}))`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const theirs = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(theirs).sort(), [...BENCH_NETS].sort());
  assert.deepEqual(ours, theirs);
});
