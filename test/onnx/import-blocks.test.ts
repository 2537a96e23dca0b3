// torchvision's resnet18 and mobilenet_v2, exported by Debian's PyTorch and imported: their basic
// blocks and inverted residuals arrive as collapsed blocks named after the modules, the document
// loads, and the collapsed graph has no gaps (the layers below each block moved up).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { blockBox } from '../../engine/graph/blocks.ts';
import { parseDocument } from '../../engine/graph/document.ts';
import { inferShapes } from '../../engine/graph/infer.ts';
import { importOnnx } from '../../engine/graph/from-onnx.ts';
import { torchModels, torchSkip } from './import-helpers.ts';

const CASES = [
  { spec: 'resnet18:17', blocks: ['layer1.0', 'layer1.1', 'layer2.0', 'layer2.1', 'layer3.0', 'layer3.1', 'layer4.0', 'layer4.1'], sizes: [7, 7, 9, 7, 9, 7, 9, 7] },
  { spec: 'mobilenet_v2:11', blocks: Array.from({ length: 17 }, (_, i) => `features.${i + 1}`), sizes: [5, 8, 9, 8, 9, 9, 8, 9, 9, 9, 8, 9, 9, 8, 9, 9, 8] },
];

for (const c of CASES) {
  test(`import ${c.spec}: its blocks arrive collapsed, named after torchvision's modules`, { skip: torchSkip }, () => {
    const file = torchModels([c.spec])[c.spec];
    const { doc } = importOnnx(fs.readFileSync(file));
    assert.deepEqual(doc.blocks?.map((b) => b.name), c.blocks);
    assert.deepEqual(doc.blocks?.map((b) => b.nodes.length), c.sizes);
    assert.ok(doc.blocks!.every((b) => b.collapsed));
    const r = parseDocument(JSON.stringify(doc));
    assert.ok(r.ok, JSON.stringify(r.problems));
    // Display only: the analysis is that of the same graph without blocks.
    const { blocks: _b, ...plain } = r.doc;
    assert.equal(inferShapes(r.doc).totals.params, inferShapes(plain).totals.params);
    // Consecutive blocks follow each other closely down the page.
    const ys = doc.blocks!.map((b) => blockBox(doc, b).y);
    for (let i = 1; i < ys.length; i++) assert.ok(ys[i] > ys[i - 1] && ys[i] - ys[i - 1] < 400, `${c.blocks[i]}: ${ys[i - 1]} -> ${ys[i]}`);
  });
}
