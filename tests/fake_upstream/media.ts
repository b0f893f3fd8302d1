/**
 * Media bytes the fake serves and inspects: tiny real PNGs, MP4-shaped video
 * bytes, and the image header probe ImageX's commit uses for `PluginResult`.
 * Everything is deterministic so tests can compare downloads byte for byte.
 * @module
 */
import { deflateSync } from "node:zlib";
import { crc32 } from "../../src/jimeng/crc32.ts";

const encoder = new TextEncoder();

/** A 32-bit FNV-1a hash of `text`, used to derive colours and seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(encoder.encode(type), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Inputs of {@linkcode encodePng}. */
export interface PngInput {
  width: number;
  height: number;
  /** RGB colour of the whole image. */
  color: readonly [number, number, number];
  /** Optional `tEXt` comment (e.g. the `RISKY-IMAGE` marker algo_proxy looks for). */
  text?: string;
}

/** Encodes a solid-colour 8-bit RGB PNG. */
export function encodePng({ width, height, color, text }: PngInput): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Cannot encode a PNG of ${width}x${height}`);
  }
  const row = 1 + width * 3;
  const raw = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(color, y * row + 1 + x * 3);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
  ];
  if (text !== undefined) parts.push(pngChunk("tEXt", encoder.encode(`Comment\0${text}`)));
  parts.push(
    pngChunk("IDAT", new Uint8Array(deflateSync(raw))),
    pngChunk("IEND", new Uint8Array()),
  );
  return concat(parts);
}

const pngCache = new Map<string, Uint8Array>();

/** The 16x16 PNG served for image `index` of record `historyId` (colour derived from both). */
export function fakePngBytes(historyId: string, index: number): Uint8Array {
  const key = `${historyId}/${index}`;
  let bytes = pngCache.get(key);
  if (!bytes) {
    const h = hash32(key);
    bytes = encodePng({
      width: 16,
      height: 16,
      color: [h & 0xff, (h >>> 8) & 0xff, h >>> 16 & 0xff],
    });
    if (pngCache.size > 1024) pngCache.clear();
    pngCache.set(key, bytes);
  }
  return bytes;
}

/**
 * Which rendition of a video: the polled preview, the high-bitrate file
 * `get_local_item_list` names, or its watermark-free files (the full one and
 * a smaller one listed first), for entitled accounts (2026-10 sheet §6).
 */
export type VideoVariant = "preview" | "hq" | "nowm" | "nowm_small";

/** Total sizes of the renditions. */
export const VIDEO_SIZES: Readonly<Record<VideoVariant, number>> = {
  preview: 200_000,
  hq: 320_000,
  nowm: 300_000,
  nowm_small: 120_000,
};

const videoCache = new Map<string, Uint8Array>();

/**
 * MP4-shaped bytes for a video record: a valid `ftyp` box, then one `mdat`
 * box filling the rest with a deterministic pseudo-random payload that starts
 * with the history id (so a test can tell which record a file belongs to).
 */
export function fakeVideoBytes(historyId: string, variant: VideoVariant): Uint8Array {
  const key = `${historyId}/${variant}`;
  const cached = videoCache.get(key);
  if (cached) return cached;
  const total = VIDEO_SIZES[variant];
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 32);
  bytes.set(encoder.encode("ftypisom"), 4);
  view.setUint32(12, 0x200);
  bytes.set(encoder.encode("isomiso2avc1mp41"), 16);
  view.setUint32(32, total - 32);
  bytes.set(encoder.encode("mdat"), 36);
  const tag = encoder.encode(`fake-video ${historyId} ${variant}\n`);
  bytes.set(tag, 40);
  // xorshift32 fill, four bytes at a time: cheap enough for the benchmark.
  let state = hash32(key) || 1;
  for (let offset = 40 + tag.length; offset + 4 <= total; offset += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    view.setUint32(offset, state >>> 0);
  }
  if (videoCache.size > 64) videoCache.clear();
  videoCache.set(key, bytes);
  return bytes;
}

/** Dimensions and format read from an image header. */
export interface ImageInfo {
  width: number;
  height: number;
  format: "png" | "jpeg" | "webp" | "gif";
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function probeJpeg(bytes: Uint8Array, view: DataView): ImageInfo | undefined {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++;
      continue;
    }
    const length = view.getUint16(offset + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isFrame) {
      return {
        height: view.getUint16(offset + 5),
        width: view.getUint16(offset + 7),
        format: "jpeg",
      };
    }
    offset += 2 + length;
  }
  return undefined;
}

function probeWebp(bytes: Uint8Array, view: DataView): ImageInfo | undefined {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === "VP8 " && bytes.length >= 30) {
    return {
      width: view.getUint16(26, true) & 0x3fff,
      height: view.getUint16(28, true) & 0x3fff,
      format: "webp",
    };
  }
  if (chunk === "VP8L" && bytes.length >= 25) {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, format: "webp" };
  }
  if (chunk === "VP8X" && bytes.length >= 30) {
    const width = 1 + (bytes[24] | bytes[25] << 8 | bytes[26] << 16);
    const height = 1 + (bytes[27] | bytes[28] << 8 | bytes[29] << 16);
    return { width, height, format: "webp" };
  }
  return undefined;
}

/** Reads width, height and format from PNG, JPEG, WebP or GIF bytes; `undefined` otherwise. */
export function probeImage(bytes: Uint8Array): ImageInfo | undefined {
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) === 0x89504e47 && ascii(bytes, 12, 4) === "IHDR" && bytes.length >= 24) {
    return { width: view.getUint32(16), height: view.getUint32(20), format: "png" };
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return probeJpeg(bytes, view);
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return probeWebp(bytes, view);
  const gif = ascii(bytes, 0, 6);
  if (gif === "GIF87a" || gif === "GIF89a") {
    return { width: view.getUint16(6, true), height: view.getUint16(8, true), format: "gif" };
  }
  return undefined;
}
