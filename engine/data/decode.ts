// Decoding one image file to uint8 CHW pixels of the Input layer's size and channels. The format
// is decided by content, never by the file name; every failure is an Error whose message is a
// short reason a user can act on (these end up in skipped.csv).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { decode as decodePngJs } from 'fast-png';
import sharp from 'sharp';
import { skipReason } from '../graph/error-codes.ts';
import { BmpError, decodeBmp } from './bmp.ts';

export type ResizePolicy = 'stretch' | 'center-crop' | 'letterbox';
export const RESIZE_POLICIES: readonly ResizePolicy[] = ['stretch', 'center-crop', 'letterbox'];

export interface ImageSpec {
  height: number;
  width: number;
  channels: 1 | 3;
  /** How an image of another aspect ratio is fitted (default stretch). */
  resize?: ResizePolicy;
}

/** Images whose header promises more pixels than this are rejected before decoding. */
export const MAX_INPUT_PIXELS = 100_000_000;

type Format = 'PNG' | 'JPEG' | 'GIF' | 'WebP' | 'TIFF' | 'BMP' | 'PGM/PPM';

const startsWith = (b: Uint8Array, sig: number[], at = 0): boolean => sig.every((v, i) => b[at + i] === v);
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format named by the first bytes, if it is one we know; sharp decides everything else. */
export function sniff(b: Uint8Array): Format | undefined {
  if (startsWith(b, PNG_SIGNATURE)) return 'PNG';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38])) return 'GIF';
  if (startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8)) return 'WebP';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(b, [0x42, 0x4d])) return 'BMP';
  if (b[0] === 0x50 && b[1] >= 0x31 && b[1] <= 0x36 && (b[2] === 0x0a || b[2] === 0x20 || b[2] === 0x0d)) return 'PGM/PPM';
  return undefined;
}

export function checkSpec(spec: ImageSpec): void {
  const ok = (n: number): boolean => Number.isInteger(n) && n > 0;
  if (!ok(spec.height) || !ok(spec.width) || (spec.channels !== 1 && spec.channels !== 3)) {
    throw new Error(`image spec must have positive integer height and width and 1 or 3 channels, got ${JSON.stringify(spec)}`);
  }
  if (spec.resize !== undefined && !RESIZE_POLICIES.includes(spec.resize)) throw new Error(`resize must be one of ${RESIZE_POLICIES.join(', ')}`);
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

const FIT = { stretch: 'fill', 'center-crop': 'cover', letterbox: 'contain' } as const;

/**
 * The general path: sharp decodes (first frame of a GIF/TIFF), flattens alpha on black, converts
 * any colour space (gray, palette, 16-bit, CMYK) to sRGB or gray, and fits the size by the
 * resize policy: stretch (ignore aspect), center-crop (cover, crop the middle), letterbox
 * (contain, black bars). `raw` feeds already-decoded RGB (the BMP reader's output).
 */
export async function decodeWithSharp(b: Uint8Array, spec: ImageSpec, raw?: { width: number; height: number; channels: 3 }): Promise<Uint8Array> {
  let img = (raw ? sharp(b, { raw }) : sharp(b, { limitInputPixels: MAX_INPUT_PIXELS, autoOrient: true }))
    .flatten({ background: '#000000' })
    .removeAlpha()
    .resize(spec.width, spec.height, { fit: FIT[spec.resize ?? 'stretch'], position: 'centre', background: '#000000' });
  img = spec.channels === 1 ? img.grayscale() : img.toColourspace('srgb');
  const { data, info } = await img.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== spec.channels || info.width !== spec.width || info.height !== spec.height) {
    throw new Error(`decoder returned ${info.width}x${info.height}x${info.channels}, not the requested size`);
  }
  return toChw(data, spec.channels);
}

function reasonFor(err: unknown, format: Format | undefined): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) return skipReason('too-many-pixels', { megapixels: MAX_INPUT_PIXELS / 1e6 });
  if (/unsupported image format/i.test(msg)) return format ? skipReason('unsupported-variant', { format }) : skipReason('not-an-image');
  if (format) return skipReason('corrupt', { format });
  return skipReason('undecodable', { detail: msg.split('\n')[0] });
}

/**
 * Decodes one image to uint8 CHW pixels of `spec`'s size. Throws an Error whose message is a
 * short reason. JPEG EXIF orientation is applied, as image viewers do. Grayscale is sharp's
 * (linear-light luminance re-encoded to sRGB: pure red gives 127, where PIL's convert('L') gives 76).
 */
export async function decodeImage(file: string | Uint8Array, spec: ImageSpec): Promise<Uint8Array> {
  checkSpec(spec);
  return decodeBytes(typeof file === 'string' ? await readFile(file).catch(readError) : file, spec);
}

export function readError(e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') throw new Error(skipReason('permission-denied'));
  if (code === 'ELOOP') throw new Error(skipReason('read-link-loop'));
  throw new Error(skipReason('cannot-read', { error: code ?? String(e) }));
}

export async function decodeBytes(bytes: Uint8Array, spec: ImageSpec): Promise<Uint8Array> {
  if (bytes.length === 0) throw new Error(skipReason('empty-file'));
  const format = sniff(bytes);
  if (format === 'PGM/PPM') throw new Error(skipReason('unsupported-format', { format }));
  if (format === 'BMP') {
    let bmp;
    try {
      bmp = decodeBmp(bytes, MAX_INPUT_PIXELS);
    } catch (e) {
      throw new Error(e instanceof BmpError ? e.message : skipReason('corrupt', { format: 'BMP' }));
    }
    return decodeWithSharp(bmp.rgb, spec, { width: bmp.width, height: bmp.height, channels: 3 });
  }
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

export interface FileResult {
  /** SHA-1 of the file's bytes (hex), when it could be read. */
  hash?: string;
  pixels?: Uint8Array;
  error?: string;
}

/**
 * Reads, hashes and decodes one file; never throws. Read synchronously: for a small image an
 * async readFile spends about 80 us in thread-pool round trips, readFileSync about 14 us.
 */
export async function readAndDecode(file: string, spec: ImageSpec): Promise<FileResult> {
  let bytes: Uint8Array;
  try {
    try {
      bytes = readFileSync(file);
    } catch (e) {
      readError(e);
    }
  } catch (e) {
    return { error: (e as Error).message };
  }
  const hash = createHash('sha1').update(bytes).digest('hex');
  try {
    return { hash, pixels: await decodeBytes(bytes, spec) };
  } catch (e) {
    return { hash, error: e instanceof Error ? e.message : String(e) };
  }
}
