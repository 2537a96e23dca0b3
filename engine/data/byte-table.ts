// Bytes to float32 through a 256-entry table per channel, in WebAssembly: the batch filler's
// normalization. A table holds, for each byte value, exactly the float32 that the JS expression
// `v * s + b` stores, so the result is bit for bit what the JS loop gave, at about a quarter of
// its CPU (no bounds checks, 4 values a turn). Source: byte-table.wat beside this file
// (test/data/byte-table.test.ts assembles it and checks it is these bytes).

const WASM = 'AGFzbQEAAAABCAFgBH9/f38AAwIBAAUDAQABBxMCBm1lbW9yeQIABmxvb2t1cAAACrEBAa4BAQJ/IAAgAmohBCAAIAJBfHFqIQUCQANAIAAgBU8NASABIAMgAC0AAEECdGoqAgA4AgAgASADIAAtAAFBAnRqKgIAOAIEIAEgAyAALQACQQJ0aioCADgCCCABIAMgAC0AA0ECdGoqAgA4AgwgAEEEaiEAIAFBEGohAQwACwsCQANAIAAgBE8NASABIAMgAC0AAEECdGoqAgA4AgAgAEEBaiEAIAFBBGohAQwACwsL';

/** The assembled module (byte-table.wat). */
export const BYTE_TABLE_WASM: Uint8Array<ArrayBuffer> = Uint8Array.from(atob(WASM), (c) => c.charCodeAt(0));

let module: WebAssembly.Module | null = null;

const PAGE = 65536;

/**
 * One instance per filler (its memory is its own): `input(bytes)` gives the place to put the
 * images' bytes, `run` converts them into `out` with each channel's table.
 */
export class ByteTable {
  private readonly memory: WebAssembly.Memory;
  private readonly lookup: (src: number, dst: number, n: number, table: number) => void;
  /** Tables at 0 (256 float32 per channel), then the bytes, then the floats. */
  private readonly tablesBytes: number;

  constructor(tables: Float32Array[]) {
    module ??= new WebAssembly.Module(BYTE_TABLE_WASM);
    const instance = new WebAssembly.Instance(module, {});
    this.memory = instance.exports.memory as WebAssembly.Memory;
    this.lookup = instance.exports.lookup as ByteTable['lookup'];
    this.tablesBytes = tables.length * 1024;
    this.reserve(0);
    tables.forEach((t, c) => new Float32Array(this.memory.buffer, c * 1024, 256).set(t));
  }

  /** The tables for `v * scale[c] + bias[c]`, each entry rounded to float32 as a Float32Array store rounds it. */
  static tables(scale: ArrayLike<number>, bias: ArrayLike<number>): Float32Array[] {
    return Array.from({ length: scale.length }, (_, c) => Float32Array.from({ length: 256 }, (_, v) => v * scale[c] + bias[c]));
  }

  private reserve(bytes: number): void {
    const need = this.tablesBytes + 5 * bytes + 4;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / PAGE));
  }

  /** Room for `bytes` input bytes; the view is valid until the next call. */
  input(bytes: number): Uint8Array {
    this.reserve(bytes);
    return new Uint8Array(this.memory.buffer, this.tablesBytes, bytes);
  }

  /**
   * Converts the `bytes` input bytes (images of `channels` planes of `plane` values, CHW) into
   * `out`, channel c through table c.
   */
  run(bytes: number, plane: number, channels: number, out: Float32Array): void {
    const src = this.tablesBytes;
    const dst = src + bytes + ((4 - (bytes % 4)) % 4);
    if (channels === 1) this.lookup(src, dst, bytes, 0);
    else {
      for (let o = 0; o < bytes; o += plane) this.lookup(src + o, dst + 4 * o, plane, ((o / plane) % channels) * 1024);
    }
    out.set(new Float32Array(this.memory.buffer, dst, bytes));
  }
}
