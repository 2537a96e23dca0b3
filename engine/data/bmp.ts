// A small BMP reader, because sharp (libvips) cannot read BMP. Handles what cameras, paint
// programs and old datasets write: uncompressed 24- and 32-bit, 1/4/8-bit paletted, and 16/32-bit
// BI_BITFIELDS; bottom-up and top-down rows. RLE and embedded JPEG/PNG BMPs are refused by name.
// Everything is checked against the header before any pixel is touched, so a hostile header
// (a huge size, offsets past the end) costs nothing.
import { skipReason } from '../graph/error-codes.ts';

export class BmpError extends Error {}

const CORRUPT = skipReason('corrupt', { format: 'BMP' });

export interface BmpImage {
  width: number;
  height: number;
  /** Interleaved RGB, top row first. */
  rgb: Uint8Array;
}

/** Width, height and bit depth from the header alone; throws BmpError when the header is unusable. */
export function bmpHeader(b: Uint8Array): { width: number; height: number; bpp: number; topDown: boolean; compression: number; dataOffset: number; dibSize: number } {
  if (b.length < 26 || b[0] !== 0x42 || b[1] !== 0x4d) throw new BmpError(CORRUPT);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const dataOffset = v.getUint32(10, true);
  const dibSize = v.getUint32(14, true);
  let width: number;
  let height: number;
  let bpp: number;
  let compression = 0;
  if (dibSize === 12) {
    // BITMAPCOREHEADER (OS/2 1.x): 16-bit sizes, 3-byte palette entries.
    width = v.getUint16(18, true);
    height = v.getInt16(20, true);
    bpp = v.getUint16(24, true);
  } else if (dibSize >= 40 && b.length >= 54) {
    width = v.getInt32(18, true);
    height = v.getInt32(22, true);
    bpp = v.getUint16(28, true);
    compression = v.getUint32(30, true);
  } else {
    throw new BmpError(CORRUPT);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height <= 0) throw new BmpError(CORRUPT);
  return { width, height, bpp, topDown, compression, dataOffset, dibSize };
}

/** Decodes a BMP to RGB. `maxPixels` is checked on the header before anything is allocated. */
export function decodeBmp(b: Uint8Array, maxPixels: number): BmpImage {
  const h = bmpHeader(b);
  const { width, height, bpp, compression, dataOffset, dibSize } = h;
  if (width * height > maxPixels) throw new BmpError(skipReason('too-many-pixels', { megapixels: maxPixels / 1e6 }));
  if (compression === 1 || compression === 2) throw new BmpError(skipReason('bmp-rle'));
  if (compression === 4 || compression === 5) throw new BmpError(skipReason('bmp-embedded'));
  const bitfields = compression === 3 || compression === 6;
  if (!(compression === 0 || bitfields)) throw new BmpError(skipReason('bmp-compression', { compression }));
  if (![1, 4, 8, 16, 24, 32].includes(bpp) || (bitfields && bpp !== 16 && bpp !== 32)) throw new BmpError(skipReason('bmp-bits', { bits: bpp }));

  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  // The last row need not carry its padding; anything shorter is truncated.
  const needed = dataOffset + stride * (height - 1) + Math.ceil((width * bpp) / 8);
  if (dataOffset < 14 + dibSize || needed > b.length) throw new BmpError(CORRUPT);

  // Palette (1/4/8-bit): BGR(A) entries right after the DIB header (and the masks, if any).
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const entry = dibSize === 12 ? 3 : 4;
    const declared = dibSize >= 40 ? v.getUint32(46, true) : 0;
    const count = Math.min(declared || 1 << bpp, 1 << bpp);
    const start = 14 + dibSize;
    if (start + count * entry > dataOffset) throw new BmpError(CORRUPT);
    palette = new Uint8Array(256 * 3); // indices past the palette read as black
    for (let i = 0; i < count; i++) {
      const p = start + i * entry;
      palette[i * 3] = b[p + 2];
      palette[i * 3 + 1] = b[p + 1];
      palette[i * 3 + 2] = b[p];
    }
  }

  // Channel masks: BI_BITFIELDS gives them (after a 40-byte header, or inside a V4/V5 header);
  // uncompressed 16-bit is 5-5-5, uncompressed 32-bit is BGRX.
  let masks: [number, number, number] | undefined;
  if (bpp === 16 || bpp === 32) {
    if (bitfields) {
      if (14 + 40 + 12 > b.length) throw new BmpError(CORRUPT);
      masks = [v.getUint32(54, true), v.getUint32(58, true), v.getUint32(62, true)];
    } else masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0xff00, 0xff];
  }
  const fields = masks?.map(maskField);

  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (h.topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    if (bpp === 24) {
      for (let x = 0, p = row; x < width; x++, p += 3, o += 3) {
        rgb[o] = b[p + 2];
        rgb[o + 1] = b[p + 1];
        rgb[o + 2] = b[p];
      }
    } else if (palette) {
      const perByte = 8 / bpp;
      const mask = (1 << bpp) - 1;
      for (let x = 0; x < width; x++, o += 3) {
        const byte = b[row + Math.floor(x / perByte)];
        const idx = (byte >> (8 - bpp * (1 + (x % perByte)))) & mask;
        rgb[o] = palette[idx * 3];
        rgb[o + 1] = palette[idx * 3 + 1];
        rgb[o + 2] = palette[idx * 3 + 2];
      }
    } else {
      const bytes = bpp / 8;
      for (let x = 0, p = row; x < width; x++, p += bytes, o += 3) {
        const px = bytes === 4 ? v.getUint32(p, true) : v.getUint16(p, true);
        for (let c = 0; c < 3; c++) rgb[o + c] = fields![c](px);
      }
    }
  }
  return { width, height, rgb };
}

/** A mask such as 0x7c00 becomes a function reading that field scaled to 0..255. */
function maskField(mask: number): (px: number) => number {
  if (mask === 0) return () => 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return (px) => Math.round((((px & mask) >>> shift) * 255) / max);
}
