// Untrusted ONNX: every malformed model in test/corpus/onnx is refused with the field at fault,
// and a seeded mutation fuzz over valid models finds no crash, in our reader or in ONNX Runtime.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { buildInferenceModel, initialValues, lowerForward } from '../../engine/graph/compile.ts';
import { parseDocument } from '../../engine/graph/document.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { decodeModel, encodeModel, OnnxReadError } from '../../engine/onnx/model.ts';

const dir = 'test/corpus/onnx';
const expected: Record<string, { field: string; message: string }> = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));

test('every corpus model has an expected error', () => {
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort(), Object.keys(expected).sort());
});

for (const [file, want] of Object.entries(expected)) {
  test(`malformed model ${file} is refused at ${want.field}`, () => {
    assert.throws(
      () => decodeModel(new Uint8Array(fs.readFileSync(path.join(dir, file)))),
      (e: Error) => e instanceof OnnxReadError && e.field === want.field && e.message.includes(want.message),
    );
  });
}

function validModels(): Uint8Array[] {
  return ['mlp', 'lenet5', 'sample-shapes'].map((n) => {
    const r = parseDocument(fs.readFileSync(`examples/${n}.json`, 'utf8'));
    if (!r.ok) throw new Error(n);
    const f = lowerForward(r.doc, 'train');
    return encodeModel(buildInferenceModel(r.doc, initialValues(f, 1), { classNames: Array.from({ length: f.classes }, (_, i) => `c${i}`) }));
  });
}

test('mutation fuzz: 1,000 flipped or truncated models are read or refused, never crash the reader', () => {
  const rng = new Rng(2026);
  const models = validModels();
  let refused = 0;
  const survivors: Uint8Array[] = [];
  const deadline = Date.now() + 20_000;
  let n = 0;
  for (; n < 1000 && Date.now() < deadline; n++) {
    const src = models[n % models.length];
    let m: Uint8Array;
    if (rng.next() < 0.3) m = src.slice(0, rng.int(src.length));
    else {
      m = src.slice();
      // Bias flips toward the first 2 KB, where the structure (not the weights) lives.
      for (let k = 1 + rng.int(8); k > 0; k--) m[rng.next() < 0.7 ? rng.int(Math.min(2048, m.length)) : rng.int(m.length)] ^= 1 << rng.int(8);
    }
    try {
      decodeModel(m);
      survivors.push(m);
    } catch (e) {
      assert.ok(e instanceof OnnxReadError, `case ${n}: ${(e as Error).constructor.name}: ${(e as Error).message}`);
      refused++;
    }
  }
  assert.equal(n, 1000, 'the fuzz ran out of time');
  console.log(`  fuzz: ${n} cases, ${refused} refused with a field error, ${survivors.length} read`);

  // What our reader accepts goes on to ONNX Runtime in the predict path: run that in a child
  // process, so a native crash would show as its exit status instead of taking the tests down.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-fuzz-'));
  survivors.slice(0, 300).forEach((m, i) => fs.writeFileSync(path.join(tmp, `${i}.onnx`), m));
  const script = `
    const ort = require('onnxruntime-node'); const fs = require('fs'); const path = require('path');
    (async () => { let opened = 0, refused = 0;
      for (const f of fs.readdirSync(process.argv[1])) {
        try { const s = await ort.InferenceSession.create(fs.readFileSync(path.join(process.argv[1], f))); opened++; await s.release(); } catch { refused++; }
      }
      console.log(JSON.stringify({ opened, refused }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script, tmp], { encoding: 'utf8', timeout: 120_000 });
  fs.rmSync(tmp, { recursive: true, force: true });
  assert.equal(r.status, 0, `ONNX Runtime crashed on a model our reader accepted (signal ${r.signal}): ${r.stderr.slice(-500)}`);
  console.log(`  ONNX Runtime on the ${Math.min(300, survivors.length)} read: ${r.stdout.trim()}`);
});
