// Image-folder datasets, the public face of engine/data: scanning (scan.ts), decoding
// (decode.ts, bmp.ts), the on-disk cache with its decoder threads (cache.ts), batches (batches.ts)
// and the dataset report (report.ts). loadSplit here decodes a list of samples into memory on the
// calling thread, with no cache: for eval and small jobs.
import { readFileSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { checkSpec, decodeBytes, readError, type ImageSpec } from './decode.ts';
import type { Sample, Skipped } from './scan.ts';

export { scanImageFolder, type FolderScan, type Sample, type Skipped } from './scan.ts';
export { decodeImage, decodePngFast, decodeWithSharp, MAX_INPUT_PIXELS, type ImageSpec, type ResizePolicy } from './decode.ts';

export interface LoadedSplit { pixels: Uint8Array; labels: Int32Array; count: number; paths: string[]; skipped: Skipped[] }

/** Decodes in flight at once in loadSplit (sharp runs them on libuv's pool of 4 threads). */
const CONCURRENCY = 4;
/** loadSplit lets other events run at least this often (milliseconds). */
const YIELD_MS = 10;

/**
 * Decodes every sample, a few at a time. Files that fail are left out and listed in `skipped`
 * with their reason; the rest keep their order. pixels holds count images of C*H*W bytes, CHW.
 * Files are read synchronously: for a small image an async readFile spends about 80 us in
 * thread-pool round trips (more than the fast path's decode), readFileSync about 14 us. As the
 * fast path is synchronous too, the workers hand the event loop a turn every YIELD_MS.
 */
export async function loadSplit(
  samples: Sample[],
  spec: ImageSpec,
  onProgress?: (done: number, total: number) => void,
): Promise<LoadedSplit> {
  checkSpec(spec);
  const size = spec.channels * spec.height * spec.width;
  const total = samples.length;
  const pixels = new Uint8Array(total * size);
  const failed = new Map<number, string>();
  let next = 0;
  let done = 0;
  let lastYield = performance.now();
  const worker = async (): Promise<void> => {
    // Take the index before yielding, so no two decoders can claim past the end.
    for (let i = next++; i < total; i = next++) {
      if (performance.now() - lastYield > YIELD_MS) {
        await setImmediate();
        lastYield = performance.now();
      }
      try {
        let bytes: Uint8Array;
        try {
          bytes = readFileSync(samples[i].path);
        } catch (e) {
          readError(e);
        }
        pixels.set(await decodeBytes(bytes, spec), i * size);
      } catch (e) {
        failed.set(i, e instanceof Error ? e.message : String(e));
      }
      onProgress?.(++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, total) }, worker));

  const labels = new Int32Array(total - failed.size);
  const paths: string[] = [];
  const skipped: Skipped[] = [];
  let count = 0;
  for (let i = 0; i < total; i++) {
    const reason = failed.get(i);
    if (reason !== undefined) {
      skipped.push({ path: samples[i].path, reason });
      continue;
    }
    if (count !== i) pixels.copyWithin(count * size, i * size, (i + 1) * size);
    labels[count++] = samples[i].label;
    paths.push(samples[i].path);
  }
  return { pixels: failed.size ? pixels.slice(0, count * size) : pixels, labels, count, paths, skipped };
}
