/**
 * Reference images checked beyond their header before they go upstream: the
 * whole file must parse as one PNG, JPEG, WebP or GIF — every chunk, segment
 * or block inside the file, checksums right, the declared sizes matching the
 * data, nothing after the end (a file that is also something else, such as a
 * GIF followed by a script, is refused) — and its dimensions must be what
 * Jimeng takes. PNG pixel data is inflated with a bound (a zlib bomb stops at
 * the declared size) and in slices, so a large image never blocks the event
 * loop for long.
 * @module
 */
import { crc32 } from "node:zlib";
import { type ImageProbe, MEDIA_TYPES, sniffMediaType } from "./content_type.ts";

/** Longest side Jimeng takes, in pixels. */
export const MAX_IMAGE_SIDE = 8192;
/** Most pixels Jimeng takes (36 megapixels). */
export const MAX_IMAGE_PIXELS = 36_000_000;
/** Most pixels of all frames of an animated GIF or WebP together. */
export const MAX_ANIMATION_PIXELS = 4 * MAX_IMAGE_PIXELS;

/** Why an image was refused; the message completes "The image …" and names the limit. */
export class ImageCheckError extends Error {
  override name = "ImageCheckError";
}

const refuse = (message: string) => new ImageCheckError(message);

/** Refuses dimensions Jimeng does not take. */
function checkDimensions(width: number, height: number): void {
  if (width < 1 || height < 1) throw refuse(`declares an empty size (${width}×${height} px)`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw refuse(
      `is ${width}×${height} px; Jimeng takes at most ${MAX_IMAGE_SIDE} px a side and ${
        MAX_IMAGE_PIXELS / 1_000_000
      } megapixels`,
    );
  }
}

function trailing(extra: number): ImageCheckError {
  return refuse(
    `has ${extra} byte(s) after the end of the image; a file that is also something else is refused`,
  );
}

const truncated = (where: string) => refuse(`is truncated or corrupt (${where})`);

/** Gives the event loop a turn once `sliceMs` of work have passed since the last. */
function createPacer(sliceMs = 4): () => Promise<void> {
  let since = performance.now();
  return async () => {
    if (performance.now() - since < sliceMs) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    since = performance.now();
  };
}

/**
 * Inflates a zlib stream, counting its output without keeping it; fails as
 * soon as the output exceeds `expected` bytes, or if it ends short of it.
 * The input goes in small slices (one can inflate to at most ~1000 times its
 * size) with turns for the event loop between them.
 */
async function inflateExactly(parts: readonly Uint8Array[], expected: number): Promise<void> {
  const stream = new DecompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let produced = 0;
  let failure: ImageCheckError | undefined;
  const fail = (error: ImageCheckError) => {
    failure ??= error;
  };
  const reading = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        produced += value.length;
        if (produced > expected) {
          fail(refuse(`inflates to more data than its ${expected}-byte pixel size (a zlib bomb?)`));
          await reader.cancel();
          return;
        }
      }
    } catch {
      fail(truncated("the compressed pixel data does not inflate"));
    }
  })();
  const pace = createPacer();
  const SLICE = 16_384;
  try {
    for (const part of parts) {
      for (let offset = 0; offset < part.length && !failure; offset += SLICE) {
        await writer.write(part.subarray(offset, offset + SLICE) as Uint8Array<ArrayBuffer>);
        await pace();
      }
    }
    if (!failure) await writer.close();
  } catch {
    fail(truncated("the compressed pixel data does not inflate"));
  }
  await reading;
  if (!failure && produced !== expected) {
    fail(truncated(`the pixel data is ${produced} bytes, the header declares ${expected}`));
  }
  if (failure) {
    await writer.abort().catch(() => {});
    throw failure;
  }
}

/** Channels per PNG colour type, and the bit depths it allows. */
const PNG_COLOR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [
  0,
  1,
  1,
  2,
]];

/** Bytes of filtered scanlines a PNG of this header inflates to. */
function pngPixelBytes(
  width: number,
  height: number,
  bitsPerPixel: number,
  interlaced: boolean,
): number {
  const rows = (
    w: number,
    h: number,
  ) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil(w * bitsPerPixel / 8)));
  if (!interlaced) return rows(width, height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    total += rows(
      Math.ceil(Math.max(0, width - x0) / dx),
      Math.ceil(Math.max(0, height - y0) / dy),
    );
  }
  return total;
}

async function checkPng(bytes: Uint8Array, view: DataView): Promise<ImageProbe> {
  let offset = 8;
  let width = 0;
  let height = 0;
  let expected = 0;
  let palette = false;
  let paletteNeeded = false;
  const data: Uint8Array[] = [];
  let idatEnded = false;
  for (let index = 0;; index++) {
    if (offset + 12 > bytes.length) throw truncated("a chunk is cut off");
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) throw truncated(`a chunk has no valid type at byte ${offset}`);
    if (length > 0x7fffffff || offset + 12 + length > bytes.length) {
      throw truncated(`the ${type} chunk is longer than the file`);
    }
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (
      crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)
    ) {
      throw truncated(`the ${type} chunk's checksum is wrong`);
    }
    if (index === 0) {
      if (type !== "IHDR" || length !== 13) throw truncated("the first chunk is not IHDR");
      width = view.getUint32(16);
      height = view.getUint32(20);
      const [depth, colorType, compression, filter, interlace] = body.subarray(8, 13);
      const color = PNG_COLOR_TYPES[colorType];
      if (!color?.depths.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1) {
        throw truncated("the IHDR chunk declares an impossible format");
      }
      checkDimensions(width, height);
      paletteNeeded = colorType === 3;
      expected = pngPixelBytes(width, height, color.channels * depth, interlace === 1);
    } else if (type === "IHDR") throw truncated("a second IHDR chunk");
    if (type === "PLTE") palette = true;
    if (type === "IDAT") {
      if (idatEnded) throw truncated("the IDAT chunks are not consecutive");
      data.push(body);
    } else if (data.length > 0) idatEnded = true;
    offset += 12 + length;
    if (type === "IEND") break;
  }
  if (data.length === 0) throw truncated("no IDAT chunk");
  if (paletteNeeded && !palette) throw truncated("a palette image without a PLTE chunk");
  if (offset < bytes.length) throw trailing(bytes.length - offset);
  await inflateExactly(data, expected);
  return { type: MEDIA_TYPES.png, width, height };
}

/** Start-of-frame markers (baseline, progressive, lossless, arithmetic). */
const JPEG_FRAMES = new Set([
  0xc0,
  0xc1,
  0xc2,
  0xc3,
  0xc5,
  0xc6,
  0xc7,
  0xc9,
  0xca,
  0xcb,
  0xcd,
  0xce,
  0xcf,
]);

/**
 * Skips entropy-coded data after a scan header; returns the offset of the
 * next marker. Megabytes of scan data are searched in windows, pausing for
 * the event loop between them.
 */
async function skipScan(bytes: Uint8Array, start: number): Promise<number> {
  const WINDOW = 262_144;
  const pace = createPacer();
  let offset = start;
  for (;;) {
    let found = -1;
    while (found === -1 && offset < bytes.length) {
      found = bytes.subarray(offset, offset + WINDOW).indexOf(0xff);
      if (found === -1) offset += WINDOW;
      else found += offset;
      await pace();
    }
    offset = found;
    if (offset === -1 || offset + 1 >= bytes.length) throw truncated("a scan has no end");
    const next = bytes[offset + 1];
    // FF00 is an escaped FF and FFD0–FFD7 restart markers: part of the scan. An FF before
    // another FF is fill; the marker starts at the last one.
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) offset += 2;
    else if (next === 0xff) offset += 1;
    else return offset;
  }
}

async function checkJpeg(bytes: Uint8Array, view: DataView): Promise<ImageProbe> {
  let offset = 2;
  let size: { width: number; height: number } | undefined;
  let scans = 0;
  for (;;) {
    if (offset + 2 > bytes.length) throw truncated("no end-of-image marker");
    if (bytes[offset] !== 0xff) throw truncated(`no marker at byte ${offset}`);
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (marker === 0xd9) {
      offset += 2;
      break;
    }
    if (marker === 0xd8 || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7)) {
      throw truncated(`a misplaced marker FF${marker.toString(16).toUpperCase()}`);
    }
    if (offset + 4 > bytes.length) throw truncated("a segment is cut off");
    const length = view.getUint16(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length) throw truncated("a segment is cut off");
    if (JPEG_FRAMES.has(marker)) {
      if (size) throw truncated("a second frame header");
      if (length < 8) throw truncated("a frame header is too short");
      size = { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
      checkDimensions(size.width, size.height);
    }
    offset += 2 + length;
    if (marker === 0xda) {
      if (!size) throw truncated("a scan before the frame header");
      scans++;
      offset = await skipScan(bytes, offset);
    }
  }
  if (!size || scans === 0) throw truncated("no image data");
  if (offset < bytes.length) throw trailing(bytes.length - offset);
  return { type: MEDIA_TYPES.jpg, ...size };
}

/** Skips GIF data sub-blocks; returns the offset after the terminator. */
function skipSubBlocks(bytes: Uint8Array, start: number): number {
  let offset = start;
  for (;;) {
    if (offset >= bytes.length) throw truncated("a data block is cut off");
    const length = bytes[offset];
    offset += 1 + length;
    if (length === 0) return offset;
  }
}

function checkGif(bytes: Uint8Array, view: DataView): ImageProbe {
  if (bytes.length < 13) throw truncated("the header is cut off");
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  checkDimensions(width, height);
  const colorTable = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  let offset = 13 + colorTable(bytes[10]);
  let frames = 0;
  let pixels = 0;
  for (;;) {
    if (offset >= bytes.length) throw truncated("no trailer");
    const block = bytes[offset];
    if (block === 0x3b) {
      offset++;
      break;
    }
    if (block === 0x21) {
      if (offset + 2 > bytes.length) throw truncated("an extension is cut off");
      offset = skipSubBlocks(bytes, offset + 2);
    } else if (block === 0x2c) {
      if (offset + 11 > bytes.length) throw truncated("an image descriptor is cut off");
      const frameWidth = view.getUint16(offset + 5, true);
      const frameHeight = view.getUint16(offset + 7, true);
      checkDimensions(frameWidth, frameHeight);
      frames++;
      pixels += frameWidth * frameHeight;
      if (pixels > MAX_ANIMATION_PIXELS) {
        throw refuse(
          `has more than ${MAX_ANIMATION_PIXELS / 1_000_000} megapixels in all its frames together`,
        );
      }
      offset += 10 + colorTable(bytes[offset + 9]);
      const minCodeSize = bytes[offset];
      if (minCodeSize === undefined || minCodeSize < 2 || minCodeSize > 11) {
        throw truncated("an image has an impossible code size");
      }
      offset = skipSubBlocks(bytes, offset + 1);
    } else throw truncated(`an unknown block at byte ${offset}`);
  }
  if (frames === 0) throw truncated("no image data");
  if (offset < bytes.length) throw trailing(bytes.length - offset);
  return { type: MEDIA_TYPES.gif, width, height };
}

function checkWebp(bytes: Uint8Array, view: DataView): ImageProbe {
  if (bytes.length < 20) throw truncated("the header is cut off");
  const declared = view.getUint32(4, true) + 8;
  if (declared > bytes.length) throw truncated(`the header declares ${declared} bytes`);
  if (declared < bytes.length) throw trailing(bytes.length - declared);
  let offset = 12;
  let canvas: { width: number; height: number } | undefined;
  let image = false;
  let pixels = 0;
  while (offset < declared) {
    if (offset + 8 > declared) throw truncated("a chunk is cut off");
    const fourcc = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const length = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (body + length > declared) throw truncated(`the ${fourcc} chunk is longer than the file`);
    const at = offset === 12;
    if (fourcc === "VP8X") {
      if (!at || length < 10) throw truncated("a misplaced VP8X chunk");
      canvas = {
        width: 1 + (bytes[body + 4] | (bytes[body + 5] << 8) | (bytes[body + 6] << 16)),
        height: 1 + (bytes[body + 7] | (bytes[body + 8] << 8) | (bytes[body + 9] << 16)),
      };
      checkDimensions(canvas.width, canvas.height);
    } else if (fourcc === "VP8 " || fourcc === "VP8L" || fourcc === "ANMF") {
      const frame = fourcc === "ANMF" ? animationFrame(bytes, body, length) : undefined;
      const size = frame ?? bitstreamSize(bytes, view, fourcc, body, length);
      checkDimensions(size.width, size.height);
      pixels += size.width * size.height;
      if (pixels > MAX_ANIMATION_PIXELS) {
        throw refuse(
          `has more than ${MAX_ANIMATION_PIXELS / 1_000_000} megapixels in all its frames together`,
        );
      }
      canvas ??= size;
      image = true;
    } else if (at) throw truncated(`the first chunk is ${fourcc}`);
    offset = body + length + (length & 1);
  }
  if (!image || !canvas) throw truncated("no image data");
  if (offset !== declared) throw truncated("the last chunk's padding is missing");
  return { type: MEDIA_TYPES.webp, ...canvas };
}

/** The size of an ANMF frame (its own header). */
function animationFrame(bytes: Uint8Array, body: number, length: number) {
  if (length < 16) throw truncated("an animation frame is cut off");
  const u24 = (at: number) => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
  return { width: 1 + u24(body + 6), height: 1 + u24(body + 9) };
}

/** The size a VP8 or VP8L bitstream declares, checking that its first partition fits. */
function bitstreamSize(
  bytes: Uint8Array,
  view: DataView,
  fourcc: string,
  body: number,
  length: number,
): { width: number; height: number } {
  if (fourcc === "VP8L") {
    if (length < 5 || bytes[body] !== 0x2f) throw truncated("a lossless stream without signature");
    const bits = view.getUint32(body + 1, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (
    length < 10 || bytes[body + 3] !== 0x9d || bytes[body + 4] !== 0x01 || bytes[body + 5] !== 0x2a
  ) {
    throw truncated("a lossy stream without start code");
  }
  const tag = bytes[body] | (bytes[body + 1] << 8) | (bytes[body + 2] << 16);
  if (tag & 1) throw truncated("the lossy stream does not start with a key frame");
  const partition = tag >>> 5;
  if (10 + partition > length) throw truncated("the lossy stream's first partition is cut off");
  return {
    width: view.getUint16(body + 6, true) & 0x3fff,
    height: view.getUint16(body + 8, true) & 0x3fff,
  };
}

/**
 * Checks a whole image file.
 *
 * @returns its type and size
 * @throws {ImageCheckError} naming what is wrong or which limit it exceeds
 */
export async function checkImageFile(bytes: Uint8Array): Promise<ImageProbe> {
  const type = sniffMediaType(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === MEDIA_TYPES.png) return await checkPng(bytes, view);
  if (type === MEDIA_TYPES.jpg) return await checkJpeg(bytes, view);
  if (type === MEDIA_TYPES.gif) return checkGif(bytes, view);
  if (type === MEDIA_TYPES.webp) return checkWebp(bytes, view);
  throw refuse("is not a PNG, JPEG, WebP or GIF image");
}
