/**
 * Small image files built byte by byte for the image checks: PNGs of any
 * header (interlaced, palette, lying about their size), minimal JPEG, GIF and
 * WebP structures. Pixel data is not meant to look like anything; only the
 * structure is checked.
 * @module
 */
import { deflateSync } from "node:zlib";
import { crc32 } from "../../src/jimeng/crc32.ts";

const encoder = new TextEncoder();

/** Concatenates byte arrays. */
export function concat(...parts: (Uint8Array | number[] | string)[]): Uint8Array<ArrayBuffer> {
  const arrays = parts.map((part) =>
    typeof part === "string"
      ? encoder.encode(part)
      : part instanceof Uint8Array
      ? part
      : new Uint8Array(part)
  );
  const out = new Uint8Array(arrays.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of arrays) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const u32 = (
  value: number,
) => [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
const u16le = (value: number) => [value & 255, value >>> 8];
const u32le = (
  value: number,
) => [value & 255, (value >>> 8) & 255, (value >>> 16) & 255, value >>> 24];

/** One PNG chunk with its length and CRC. */
export function pngChunk(type: string, data: Uint8Array = new Uint8Array()): Uint8Array {
  const typed = concat(type, data);
  return concat(u32(data.length), typed, u32(crc32(typed)));
}

/** Options of {@linkcode buildPng}. */
export interface PngOptions {
  width: number;
  height: number;
  /** @default 2 (truecolour) */
  colorType?: number;
  /** @default 8 */
  depth?: number;
  /** @default 0 */
  interlace?: number;
  /** Inflated pixel data; by default exactly what the header needs (all zero). */
  pixels?: Uint8Array;
  /** Chunks inserted before IDAT (e.g. PLTE). */
  before?: Uint8Array[];
}

/** Bytes of filtered scanlines of a PNG header (what a decoder inflates). */
export function pngPixelBytes(options: PngOptions): number {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[options.colorType ?? 2]!;
  const bits = channels * (options.depth ?? 8);
  const rows = (w: number, h: number) => (w && h ? h * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!options.interlace) return rows(options.width, options.height);
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [
    1,
    0,
    2,
    2,
  ], [0, 1, 1, 2]];
  return passes.reduce(
    (sum, [x, y, dx, dy]) =>
      sum +
      rows(
        Math.ceil(Math.max(0, options.width - x) / dx),
        Math.ceil(Math.max(0, options.height - y) / dy),
      ),
    0,
  );
}

/** The IHDR chunk of `options`. */
export function pngHeader(options: PngOptions): Uint8Array {
  return pngChunk(
    "IHDR",
    concat(
      u32(options.width),
      u32(options.height),
      [options.depth ?? 8, options.colorType ?? 2, 0, 0, options.interlace ?? 0],
    ),
  );
}

/** The PNG signature. */
export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG whose IDAT holds `options.pixels` (default: the right amount of zeros), deflated. */
export function buildPng(options: PngOptions): Uint8Array<ArrayBuffer> {
  const pixels = options.pixels ?? new Uint8Array(pngPixelBytes(options));
  return concat(
    PNG_SIGNATURE,
    pngHeader(options),
    ...(options.before ?? []),
    pngChunk("IDAT", new Uint8Array(deflateSync(pixels))),
    pngChunk("IEND"),
  );
}

/** A minimal baseline JPEG structure of `width`×`height` (entropy data is filler). */
export function buildJpeg(width: number, height: number): Uint8Array {
  return concat(
    [0xff, 0xd8],
    [0xff, 0xe0, 0x00, 0x10],
    "JFIF\0",
    [1, 1, 0, 0, 1, 0, 1, 0, 0],
    [0xff, 0xdb, 0x00, 0x43, 0x00],
    new Uint8Array(64).fill(1),
    [
      0xff,
      0xc0,
      0x00,
      0x0b,
      0x08,
      height >> 8,
      height & 255,
      width >> 8,
      width & 255,
      0x01,
      0x01,
      0x11,
      0x00,
    ],
    [0xff, 0xc4, 0x00, 0x14, 0x00, 0x01],
    new Uint8Array(15),
    [0x00],
    [0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00],
    [0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd0, 0x78],
    [0xff, 0xd9],
  );
}

/** A minimal GIF89a with one frame of `width`×`height`. */
export function buildGif(width: number, height: number): Uint8Array {
  return concat(
    "GIF89a",
    u16le(width),
    u16le(height),
    [0x80, 0, 0],
    [0, 0, 0, 255, 255, 255],
    [0x21, 0xf9, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00],
    [0x2c, 0, 0, 0, 0],
    u16le(width),
    u16le(height),
    [0x00],
    [0x02, 0x02, 0x44, 0x01, 0x00],
    [0x3b],
  );
}

/** A minimal lossless WebP of `width`×`height` (the bitstream after the size is filler). */
export function buildWebp(width: number, height: number): Uint8Array {
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  const stream = concat([0x2f], u32le(bits), [0x00, 0x00, 0x00]);
  const chunk = concat("VP8L", u32le(stream.length), stream);
  return concat("RIFF", u32le(4 + chunk.length), "WEBP", chunk);
}
