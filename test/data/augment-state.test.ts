// The augmentation generator can be saved and set back (a resumed run), in line and through the
// prefetch thread: the batches after the saved point are the same as without the interruption.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchFiller, unitScale, type AugmentSettings } from '../../engine/data/batches.ts';
import { loadDataset } from '../../engine/data/cache.ts';
import { scanImageFolder } from '../../engine/data/image-folder.ts';
import { Prefetcher, prefetchSource } from '../../engine/data/prefetch.ts';
import { sampleData } from '../fixtures/sample.ts';

const augment: AugmentSettings = { hflip: true, cropPadding: 2, translate: 0.1, brightness: 0.2, contrast: 0.2 };
const shape = { channels: 3, height: 32, width: 32 };

test('augmentation state: saved after batch 1, set on a new filler or prefetch thread, gives the same batches 2 and 3', async () => {
  const scan = await scanImageFolder(sampleData(6), { valSplit: 0, seed: 1 });
  const data = await loadDataset(scan, { height: 32, width: 32, channels: 3 }, { cacheDir: false });
  const split = data.train;
  const norm = unitScale(3);
  const x = () => new Float32Array(8 * split.size);
  const y = new BigInt64Array(8);
  const a = new BatchFiller(split, shape, norm, augment, 4);
  a.fill(0, 8, x(), y);
  const saved = a.augmentState;
  const want = [x(), x()];
  a.fill(8, 8, want[0], y);
  a.fill(16, 8, want[1], y);

  const b = new BatchFiller(split, shape, norm, augment, 99);
  b.augmentState = saved;
  const got = [x(), x()];
  b.fill(8, 8, got[0], y);
  b.fill(16, 8, got[1], y);
  assert.deepEqual(got, want);

  const pre = new Prefetcher(prefetchSource(split, shape, norm, augment, 99, 8, Array.from(saved)));
  assert.deepEqual(await pre.augmentState(), Array.from(saved));
  pre.request(8, 8, a.order);
  pre.request(16, 8);
  assert.deepEqual(await pre.augmentState(), Array.from(saved), 'the state before the oldest batch not taken');
  assert.deepEqual((await pre.take()).x, want[0]);
  const second = await pre.take();
  assert.deepEqual(second.x, want[1]);
  assert.deepEqual(await pre.augmentState(), Array.from(a.augmentState), 'after the last batch filled');
  await pre.close();
  data.close();
});
