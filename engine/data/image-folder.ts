// Image-folder datasets: list a folder of class subfolders, split it into train/val, and decode
// images to uint8 CHW pixels. Class index = position of the class folder name in sorted order.
import { readFileSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { decode as decodePngJs } from 'fast-png';
import sharp from 'sharp';
import { Rng } from '../graph/rng.ts';

export interface ImageSpec { height: number; width: number; channels: 1 | 3 }
export interface Sample { path: string; label: number }
export interface Skipped { path: string; reason: string }
export interface FolderScan { root: string; classNames: string[]; train: Sample[]; val: Sample[]; skipped: Skipped[] }
export interface LoadedSplit { pixels: Uint8Array; labels: Int32Array; count: number; paths: string[]; skipped: Skipped[] }

/** Images whose header promises more pixels than this are rejected before decoding. */
export const MAX_INPUT_PIXELS = 100_000_000;
/** Decodes in flight at once in loadSplit (sharp runs them on libuv's pool of 4 threads). */
const CONCURRENCY = 4;
/** loadSplit lets other events run at least this often (milliseconds). */
const YIELD_MS = 10;
/** OS litter skipped without a word, compared lower-case; hidden names (leading '.') too. */
const LITTER = new Set(['thumbs.db', 'desktop.ini']);

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const isLitter = (name: string): boolean => name.startsWith('.') || LITTER.has(name.toLowerCase());

// ---------------------------------------------------------------------------------------------
// Scanning

interface Listing { dirs: string[]; files: string[] }

/** Visible entries of a folder, sorted; symbolic links are followed (a broken one counts as a file). */
async function list(dir: string): Promise<Listing> {
  const out: Listing = { dirs: [], files: [] };
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (isLitter(e.name)) continue;
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) isDir = await stat(path.join(dir, e.name)).then((s) => s.isDirectory(), () => false);
    (isDir ? out.dirs : out.files).push(e.name);
  }
  out.dirs.sort(byString);
  out.files.sort(byString);
  return out;
}

/** Every file below `dir`, at any depth. `seen` guards against link cycles. */
async function filesBelow(dir: string, seen: Set<string>, out: string[] = []): Promise<string[]> {
  const real = await realpath(dir);
  if (seen.has(real)) return out;
  seen.add(real);
  const { dirs, files } = await list(dir);
  for (const f of files) out.push(path.join(dir, f));
  for (const d of dirs) await filesBelow(path.join(dir, d), seen, out);
  return out;
}

/** Class folder name -> its files, for one folder holding class subfolders. Stray files are skipped. */
async function readClasses(dir: string, skipped: Skipped[]): Promise<Map<string, string[]>> {
  const { dirs, files } = await list(dir);
  for (const f of files) skipped.push({ path: path.join(dir, f), reason: 'not inside a class folder' });
  const classes = new Map<string, string[]>();
  for (const d of dirs) classes.set(d, await filesBelow(path.join(dir, d), new Set()));
  return classes;
}

function layoutError(root: string, problem: string): Error {
  const example = `${path.join(root, 'cat')}${path.sep}*.png`;
  return new Error(`${problem}: expected ${root} to contain one subfolder per class, e.g. ${example}`);
}

/**
 * Lists an image-folder dataset (nothing is decoded). Two layouts:
 * - root/<class>/**: split per class with a fresh `new Rng(seed)` each, so one class's split
 *   depends only on its own files and the seed; round(n * valSplit) of each class go to val.
 * - root/train/<class>/** beside root/val/<class>/** (or root/test/, when there is no val/):
 *   used as given, valSplit ignored; classes are the union of both sides.
 * Samples come back ordered by label, then path.
 */
export async function scanImageFolder(root: string, opts: { valSplit: number; seed: number }): Promise<FolderScan> {
  const { valSplit, seed } = opts;
  if (!(valSplit >= 0 && valSplit < 1)) throw new Error(`valSplit must be at least 0 and below 1, got ${valSplit}`);
  root = path.resolve(root);
  const info = await stat(root).catch(() => null);
  if (!info) throw layoutError(root, `Dataset folder ${root} does not exist`);
  if (!info.isDirectory()) throw layoutError(root, `${root} is a file, not a folder`);

  const skipped: Skipped[] = [];
  const top = await list(root);
  const evalName = top.dirs.includes('val') ? 'val' : top.dirs.includes('test') ? 'test' : undefined;
  let sides: { train: Map<string, string[]>; val: Map<string, string[]> } | undefined;
  if (top.dirs.includes('train') && evalName) {
    const train = path.join(root, 'train');
    const val = path.join(root, evalName);
    if ((await list(train)).dirs.length > 0 && (await list(val)).dirs.length > 0) {
      for (const f of top.files) skipped.push({ path: path.join(root, f), reason: 'not inside a class folder' });
      sides = { train: await readClasses(train, skipped), val: await readClasses(val, skipped) };
    }
  }

  const out: FolderScan = { root, classNames: [], train: [], val: [], skipped };
  const take = (files: string[], label: number, into: Sample[]): void => {
    for (const p of files.slice().sort(byString)) into.push({ path: p, label });
  };
  if (sides) {
    const { train, val } = sides;
    out.classNames = [...new Set([...train.keys(), ...val.keys()])].sort(byString);
    out.classNames.forEach((name, label) => {
      take(train.get(name) ?? [], label, out.train);
      take(val.get(name) ?? [], label, out.val);
    });
  } else {
    const classes = await readClasses(root, skipped);
    out.classNames = [...classes.keys()].sort(byString);
    out.classNames.forEach((name, label) => {
      const files = new Rng(seed).shuffle((classes.get(name) ?? []).slice());
      const nVal = Math.round(files.length * valSplit);
      take(files.slice(0, nVal), label, out.val);
      take(files.slice(nVal), label, out.train);
    });
  }
  if (out.classNames.length === 0) throw layoutError(root, `Found no class folders in ${root}`);
  if (out.train.length + out.val.length === 0) throw layoutError(root, `Found no files in the class folders of ${root}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

type Format = 'PNG' | 'JPEG' | 'GIF' | 'WebP' | 'TIFF' | 'BMP' | 'PGM/PPM';

const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean => sig.every((v, i) => b[at + i] === v);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format named by the first bytes, if it is one we know; sharp decides everything else. */
function sniff(b: Uint8Array): Format | undefined {
  if (startsWith(b, PNG_SIGNATURE)) return 'PNG';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38])) return 'GIF';
  if (startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8)) return 'WebP';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(b, [0x42, 0x4d])) return 'BMP';
  if (b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36 && (b[2] === 0x0a || b[2] === 0x20 || b[2] === 0x0d)) return 'PGM/PPM';
  return undefined;
}

function checkSpec(spec: ImageSpec): void {
  const ok = (n: number): boolean => Number.isInteger(n) && n > 0;
  if (!ok(spec.height) || !ok(spec.width) || (spec.channels !== 1 && spec.channels !== 3)) {
    throw new Error(`image spec must have positive integer height and width and 1 or 3 channels, got ${JSON.stringify(spec)}`);
  }
}

/** Interleaved HWC to planar CHW. */
function toChw(hwc: Uint8Array, channels: number): Uint8Array {
  if (channels === 1) return Uint8Array.from(hwc);
  const plane = hwc.length / channels;
  const out = new Uint8Array(hwc.length);
  for (let c = 0; c < channels; c++) {
    for (let i = 0, j = c; i < plane; i++, j += channels) out[c * plane + i] = hwc[j];
  }
  return out;
}

/**
 * Fast path for PNGs that need no resizing or conversion: 8-bit gray to 1 channel, 8-bit RGB
 * to 3 channels, not interlaced (fast-png 8 decodes Adam7 wrongly), every chunk CRC intact, and
 * no tRNS, iCCP or eXIf chunk (sharp would apply those). Returns undefined whenever sharp must
 * decide, including for damaged files, so the pixels (and errors) always equal sharp's.
 */
export function decodePngFast(b: Uint8Array, spec: ImageSpec): Uint8Array | undefined {
  if (b.length < 45 || !startsWith(b, PNG_SIGNATURE)) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const type = (at: number): string => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
  if (type(12) !== 'IHDR') return undefined;
  const [width, height, depth, colorType, interlace] = [view.getUint32(16), view.getUint32(20), b[24], b[25], b[28]];
  const channels = colorType === 0 ? 1 : colorType === 2 ? 3 : 0;
  if (width !== spec.width || height !== spec.height || depth !== 8 || interlace !== 0 || channels !== spec.channels) return undefined;
  for (let at = 8; ; ) {
    if (at + 12 > b.length) return undefined;
    const len = view.getUint32(at);
    const end = at + 8 + len;
    if (end + 4 > b.length) return undefined;
    const t = type(at + 4);
    if (t === 'tRNS' || t === 'iCCP' || t === 'eXIf') return undefined;
    if (crc32(b.subarray(at + 4, end)) !== view.getUint32(end)) return undefined;
    at = end + 4;
    if (t === 'IEND') {
      if (at !== b.length) return undefined;
      break;
    }
  }
  let data;
  try {
    data = decodePngJs(b).data;
  } catch {
    return undefined;
  }
  if (data.length !== width * height * channels || data.BYTES_PER_ELEMENT !== 1) return undefined;
  return toChw(new Uint8Array(data.buffer, data.byteOffset, data.length), channels);
}

/** The general path: sharp decodes, flattens alpha on black, converts, and stretches to size. */
export async function decodeWithSharp(b: Uint8Array, spec: ImageSpec): Promise<Uint8Array> {
  let img = sharp(b, { limitInputPixels: MAX_INPUT_PIXELS, autoOrient: true })
    .flatten({ background: '#000000' })
    .removeAlpha()
    .resize(spec.width, spec.height, { fit: 'fill' });
  img = spec.channels === 1 ? img.grayscale() : img.toColourspace('srgb');
  const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== spec.channels || info.width !== spec.width || info.height !== spec.height) {
    throw new Error(`decoder returned ${info.width}x${info.height}x${info.channels}, not the requested size`);
  }
  return toChw(data, spec.channels);
}

function reasonFor(err: unknown, format: Format | undefined): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) return `image is larger than ${MAX_INPUT_PIXELS / 1e6} megapixels`;
  if (/unsupported image format/i.test(msg)) return format ? `unsupported ${format} variant` : 'not an image';
  if (format) return `truncated or corrupt ${format}`;
  return `could not decode: ${msg.split('\n')[0]}`;
}

/**
 * Decodes one image to uint8 CHW pixels of `spec`'s size (stretched, not cropped). The format is
 * decided by content, never by the file name. Throws an Error whose message is a short reason.
 * JPEG EXIF orientation is applied, as image viewers do. Grayscale is sharp's (linear-light
 * luminance re-encoded to sRGB: pure red gives 127, where PIL's convert('L') gives 76).
 */
export async function decodeImage(file: string | Uint8Array, spec: ImageSpec): Promise<Uint8Array> {
  checkSpec(spec);
  return decodeBytes(typeof file === 'string' ? await readFile(file).catch(readError) : file, spec);
}

function readError(e: unknown): never {
  throw new Error(`cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
}

async function decodeBytes(bytes: Uint8Array, spec: ImageSpec): Promise<Uint8Array> {
  if (bytes.length === 0) throw new Error('empty file');
  const format = sniff(bytes);
  if (format === 'BMP' || format === 'PGM/PPM') throw new Error(`unsupported format (${format}); convert it to PNG`);
  if (format === 'PNG') {
    const fast = decodePngFast(bytes, spec);
    if (fast) return fast;
  }
  try {
    return await decodeWithSharp(bytes, spec);
  } catch (e) {
    throw new Error(reasonFor(e, format));
  }
}

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
