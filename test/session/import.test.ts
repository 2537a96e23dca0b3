// engine/session/import.ts through the host: MNIST-style IDX pairs in a folder become an image
// folder inside the project (train/ and val/ from a train and a t10k pair), on a job thread.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { scanImageFolder } from '../../engine/data/image-folder.ts';
import { FASHION_MNIST_CLASSES } from '../../engine/data/idx.ts';
import { createHost } from '../../engine/host.ts';
import type { ServerResponse } from '../../engine/protocol.ts';
import { writeIdxPair as writePair } from '../fixtures/idx.ts';
import { tempDir } from '../fixtures/temp.ts';

const root = tempDir('nw-import-');
const host = createHost({ root });
let id = 1;
const call = (req: Record<string, unknown>): Promise<ServerResponse> => host.handle({ ...req, id: id++ });

test('a train and a t10k pair (gzipped) become train/ and val/ with the Fashion-MNIST class names', async () => {
  const src = path.join(root, 'downloads');
  fs.mkdirSync(src);
  writePair(src, 'train', 40, true);
  writePair(src, 't10k', 20, true);
  fs.writeFileSync(path.join(src, 'README.txt'), 'not an IDX file');
  const r = await call({ method: 'importIdx', sourceDir: 'downloads', outDir: 'fashion', classes: 'fashion-mnist' });
  assert.ok(r.ok, JSON.stringify(r));
  const res = r.result as { outDir: string; layout: string; parts: { side: string; count: number; images: string }[]; perClass: Record<string, number> };
  assert.equal(res.outDir, path.join(fs.realpathSync(root), 'fashion'));
  assert.equal(res.layout, 'train-val');
  assert.deepEqual(res.parts.map((p) => [p.side, p.count, p.images]), [['train', 40, 'train-images-idx3-ubyte.gz'], ['val', 20, 't10k-images-idx3-ubyte.gz']]);
  assert.equal(res.perClass['T-shirt_top'], 6);
  const scan = await scanImageFolder(res.outDir, { valSplit: 0.2, seed: 1 });
  assert.equal(scan.layout, 'train-val');
  assert.deepEqual(scan.classNames, [...FASHION_MNIST_CLASSES].sort());
  assert.equal(scan.train.length, 40);
  assert.equal(scan.val.length, 20);
  assert.ok(!fs.readdirSync(root).some((n) => n.includes('.importing-')), 'no temporary folder left');
});

test('one plain pair becomes class folders named by label, with a limit', async () => {
  const src = path.join(root, 'one');
  fs.mkdirSync(src);
  writePair(src, 'train', 30, false);
  const r = await call({ method: 'importIdx', sourceDir: 'one', outDir: 'digits', limit: 25 });
  assert.ok(r.ok, JSON.stringify(r));
  const res = r.result as { layout: string; parts: { count: number }[] };
  assert.equal(res.layout, 'class-folders');
  assert.equal(res.parts[0].count, 25);
  assert.deepEqual(fs.readdirSync(path.join(root, 'digits')).sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
});

test('refused: no pairs, an existing non-empty folder, a folder outside the project', async () => {
  fs.mkdirSync(path.join(root, 'empty-src'));
  const none = await call({ method: 'importIdx', sourceDir: 'empty-src', outDir: 'x' });
  assert.ok(!none.ok && none.code === 'bad-request' && /no IDX pair/.test(none.error), JSON.stringify(none));
  const exists = await call({ method: 'importIdx', sourceDir: 'one', outDir: 'digits' });
  assert.ok(!exists.ok && exists.code === 'exists', JSON.stringify(exists));
  const outside = await call({ method: 'importIdx', sourceDir: 'one', outDir: '../elsewhere' });
  assert.ok(!outside.ok && outside.code === 'refused', JSON.stringify(outside));
  const bad = path.join(root, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'train-images-idx3-ubyte'), 'junk');
  fs.writeFileSync(path.join(bad, 'train-labels-idx1-ubyte'), 'junk');
  const broken = await call({ method: 'importIdx', sourceDir: 'bad', outDir: 'broken' });
  assert.ok(!broken.ok && broken.code === 'bad-request' && /is not an IDX file/.test(broken.error), JSON.stringify(broken));
  assert.ok(!fs.existsSync(path.join(root, 'broken')));
});

test('shared dataset folders (serve --datasets): their IDX folders are offered, read and imported into the project, never written', async () => {
  const shared = tempDir('nw-shared-');
  const fm = path.join(shared, 'fashion-mnist');
  fs.mkdirSync(fm);
  writePair(fm, 'train', 20, true);
  writePair(fm, 't10k', 10, true);
  fs.mkdirSync(path.join(shared, 'empty'));
  // Images without their labels: the import would refuse it, so it is not offered.
  fs.mkdirSync(path.join(shared, 'half'));
  fs.copyFileSync(path.join(fm, fs.readdirSync(fm).find((f) => /train-images/.test(f))!), path.join(shared, 'half', 'train-images-idx3-ubyte.gz'));
  const proj = tempDir('nw-proj-');
  const h = createHost({ root: proj, datasetRoots: [shared] });
  const info = await h.handle({ id: 1, method: 'info' });
  assert.ok(info.ok);
  assert.deepEqual((info.result as { idxFolders: string[] }).idxFolders, [fm]);
  const before = fs.readdirSync(fm).sort();
  const r = await h.handle({ id: 2, method: 'importIdx', sourceDir: fm, outDir: 'fmnist', classes: 'fashion-mnist' });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal((r.result as { outDir: string }).outDir, path.join(fs.realpathSync(proj), 'fmnist'));
  assert.deepEqual(fs.readdirSync(fm).sort(), before, 'the shared folder is only read');
  // Without --datasets the same folder is outside the project and refused.
  const plain = await call({ method: 'importIdx', sourceDir: fm, outDir: 'x', classes: 'numbers' });
  assert.ok(!plain.ok && plain.code === 'refused', JSON.stringify(plain));
});
