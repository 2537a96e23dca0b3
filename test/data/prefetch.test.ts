// The prefetch thread hands out exactly the batches the training thread would have filled
// itself (augmentation included), while the next one is filled during the current step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchFiller, unitScale, type AugmentSettings } from '../../engine/data/batches.ts';
import { loadDataset } from '../../engine/data/cache.ts';
import { scanImageFolder } from '../../engine/data/image-folder.ts';
import { Prefetcher } from '../../engine/data/prefetch.ts';
import { Rng } from '../../engine/graph/rng.ts';
import { sampleData } from '../fixtures/sample.ts';

const augment: AugmentSettings = { hflip: true, cropPadding: 2, translate: 0.1, brightness: 0.2, contrast: 0.2 };
const shape = { channels: 3, height: 32, width: 32 };

for (const where of ['memory', 'disk'] as const) {
  test(`prefetched batches equal in-line batches, epoch after epoch (pixels ${where === 'memory' ? 'in memory' : 'read from the cache file'})`, async () => {
    const scan = await scanImageFolder(sampleData(10), { valSplit: 0, seed: 1 });
    const data = await loadDataset(scan, { height: 32, width: 32, channels: 3 }, { cacheDir: false, memoryBudget: where === 'memory' ? undefined : 0 });
    const split = data.train;
    assert.equal(split.inMemory, where === 'memory');
    const norm = unitScale(3);
    const inline = new BatchFiller(split, shape, norm, augment, 7);
    const memory = split.inMemory ? new SharedArrayBuffer(split.count * split.size) : undefined;
    if (memory) new Uint8Array(memory).set(split.readRange(0, split.count));
    const pre = new Prefetcher({ pixels: memory, file: split.inMemory ? undefined : split.store.file, size: split.size, slots: split.slots, labels: split.labels, shape, norm, augment, seed: 7, batch: 8 });
    const rng = new Rng(3);
    const order = inline.order;
    const x = new Float32Array(8 * split.size);
    const y = new BigInt64Array(8);
    let batches = 0;
    let previous: Float32Array | undefined;
    for (let epoch = 0; epoch < 2; epoch++) {
      rng.shuffle(order);
      const starts = Array.from({ length: Math.ceil(split.count / 8) }, (_, i) => i * 8);
      pre.request(0, Math.min(8, split.count), order);
      for (let b = 0; b < starts.length; b++) {
        if (b + 1 < starts.length) pre.request(starts[b + 1], Math.min(8, split.count - starts[b + 1]));
        const got = await pre.take();
        const n = Math.min(8, split.count - starts[b]);
        inline.fill(starts[b], n, x, y);
        assert.equal(got.n, n);
        assert.deepEqual(Array.from(got.y.subarray(0, n)), Array.from(y.subarray(0, n)));
        assert.deepEqual(got.x.subarray(0, n * split.size), x.subarray(0, n * split.size));
        assert.ok(!(got.x.buffer instanceof SharedArrayBuffer) && !(got.y.buffer instanceof SharedArrayBuffer), 'ordinary memory: ONNX Runtime takes it as it is, no copy');
        if (previous && b + 1 < starts.length) assert.equal(previous.byteLength, 0, 'the batch before was handed back to the thread when the one after this was requested');
        previous = got.x;
        batches++;
      }
    }
    assert.equal(batches, 2 * Math.ceil(split.count / 8));
    assert.ok(pre.requestedAhead >= batches - 2, 'the next batch was always requested before the current one was used');
    await pre.close();
    data.close();
  });
}
