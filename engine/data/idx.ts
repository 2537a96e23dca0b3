// IDX files (the MNIST family's format): read them, and import image/label pairs as an image
// folder of grayscale PNGs, outDir/<class name>/<index>.png, which scanImageFolder then reads.
import { numel } from '../numel.ts';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import { CodedError, said } from '../graph/error-codes.ts';

export interface IdxArray { dims: number[]; data: Uint8Array }

/**
 * Fashion-MNIST's classes by label, as folder-safe names. Folder names sort, and class index =
 * sorted position, so an imported Fashion-MNIST's class indices differ from its label numbers
 * (Ankle_boot becomes 0, Trouser 9). The names, not the numbers, carry the meaning; that is expected.
 */
export const FASHION_MNIST_CLASSES: string[] = [
  'T-shirt_top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle_boot',
];

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};
/** Files written at once by importIdx. */
const WRITES_IN_FLIGHT = 16;

/** Reads an IDX file of unsigned bytes (type 0x08), plain or gzip-compressed (found by content). */
export function readIdx(file: string): IdxArray {
  let bytes: Uint8Array = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new CodedError(`${file}: gzip data is truncated or corrupt (${(e as Error).message})`, said('idx-gzip', { file, error: (e as Error).message }));
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || !TYPE_NAMES[bytes[2]] || bytes[3] === 0) {
    const head = Array.from(bytes.subarray(0, 4), (v) => v.toString(16).padStart(2, '0')).join(' ') || '(none)';
    throw new CodedError(`${file} is not an IDX file: it starts with bytes ${head}, not 00 00 08 and the number of dimensions`, said('idx-not-idx', { file, head }));
  }
  if (bytes[2] !== 0x08) {
    throw new CodedError(`${file} holds ${TYPE_NAMES[bytes[2]]} values; only unsigned-byte IDX files (type 0x08) are supported`, said('idx-type', { file, type: TYPE_NAMES[bytes[2]] }));
  }
  const ndims = bytes[3];
  const start = 4 + 4 * ndims;
  if (bytes.length < start) throw new CodedError(`${file} is truncated: its header is cut off`, said('idx-header-cut', { file }));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i));
  const n = numel(dims);
  const have = bytes.length - start;
  if (have < n) throw new CodedError(`${file} is truncated: shape ${dims.join('x')} needs ${n} bytes of data, but only ${have} follow the header`, said('idx-truncated', { file, shape: dims.join('x'), need: n, have }));
  if (have > n) throw new CodedError(`${file} has ${have - n} unexpected bytes after the ${dims.join('x')} data`, said('idx-extra-bytes', { file, extra: have - n, shape: dims.join('x') }));
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + start, n) };
}

function checkClassName(name: string): void {
  if (!name || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new Error(`class name ${JSON.stringify(name)} cannot be a folder name`);
  }
}

/**
 * Writes the images as 8-bit grayscale PNGs to outDir/<class name>/<index, 5 digits>.png, where
 * index is the image's position in the IDX file. Class names default to the label numbers
 * ("0".."9"; note that "10" would sort before "2"). With `classes`, every name gets a folder, even
 * one with no images under `limit`, so the sorted class order stays the same.
 */
export async function importIdx(
  imagesPath: string,
  labelsPath: string,
  outDir: string,
  opts: { classes?: string[]; limit?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ count: number; perClass: Record<string, number> }> {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.dims.length !== 3) {
    throw new CodedError(`${imagesPath} should hold images shaped count x height x width, but its shape is ${images.dims.join('x')}`, said('idx-image-shape', { file: imagesPath, shape: images.dims.join('x') }));
  }
  if (labels.dims.length !== 1) throw new CodedError(`${labelsPath} should hold one label per image, but its shape is ${labels.dims.join('x')}`, said('idx-label-shape', { file: labelsPath, shape: labels.dims.join('x') }));
  const [n, height, width] = images.dims;
  if (labels.dims[0] !== n) throw new CodedError(`${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.dims[0]} labels`, said('idx-count-mismatch', { images: imagesPath, count: n, labels: labelsPath, labelCount: labels.dims[0] }));
  if (height === 0 || width === 0) throw new CodedError(`${imagesPath} holds empty ${height}x${width} images`, said('idx-empty-images', { file: imagesPath, size: `${height}x${width}` }));
  const { classes, limit, onProgress } = opts;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw new Error(`limit must be a whole number of images, got ${limit}`);
  const count = Math.min(n, limit ?? n);

  const perClass = new Map<string, number>();
  for (const name of classes ?? []) {
    checkClassName(name);
    if (perClass.has(name)) throw new Error(`class name ${JSON.stringify(name)} is given twice`);
    perClass.set(name, 0);
  }
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const label = labels.data[i];
    const name = classes ? classes[label] : String(label);
    if (name === undefined) throw new CodedError(`label ${label} of image ${i} has no class name (${classes?.length} names given)`, said('idx-label-unnamed', { label, image: i, names: String(classes?.length) }));
    names.push(name);
    perClass.set(name, (perClass.get(name) ?? 0) + 1);
  }
  for (const name of perClass.keys()) await mkdir(path.join(outDir, name), { recursive: true });

  const size = height * width;
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const data = images.data.subarray(i * size, (i + 1) * size);
      const png = encodePng({ width, height, data, channels: 1, depth: 8 });
      await writeFile(path.join(outDir, names[i], `${String(i).padStart(5, '0')}.png`), png);
      onProgress?.(++done, count);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, count) }, worker));
  return { count, perClass: Object.fromEntries(perClass) };
}
