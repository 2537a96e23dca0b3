// A decoding thread: takes chunks of files, answers with hashes, reasons and the pixels of the
// good ones packed into one transferable buffer (one message per chunk, not per image).
import { parentPort, workerData } from 'node:worker_threads';
import { readAndDecode, type ImageSpec } from './decode.ts';

export interface DecodeChunk { chunk: number; files: string[] }
export interface DecodedChunk { chunk: number; hashes: (string | null)[]; errors: (string | null)[]; pixels: ArrayBuffer }

if (!parentPort) throw new Error('decode-worker.ts must run as a worker thread');
const port = parentPort;
const spec = (workerData as { spec: ImageSpec }).spec;
const size = spec.channels * spec.height * spec.width;

port.on('message', async (m: DecodeChunk) => {
  const results = [];
  for (const f of m.files) results.push(await readAndDecode(f, spec));
  const pixels = new Uint8Array(size * results.filter((r) => r.pixels).length);
  let at = 0;
  for (const r of results) {
    if (!r.pixels) continue;
    pixels.set(r.pixels, at);
    at += size;
  }
  const out: DecodedChunk = { chunk: m.chunk, hashes: results.map((r) => r.hash ?? null), errors: results.map((r) => r.error ?? null), pixels: pixels.buffer };
  port.postMessage(out, [pixels.buffer]);
});
port.postMessage('ready');
