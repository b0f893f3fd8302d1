/**
 * Which kind of file a result is, from its first bytes (the CDN's
 * `Content-Type` only when the bytes say nothing): the media cache stores
 * and serves only these types.
 * @module
 */

/** A cacheable media type. */
export interface MediaType {
  contentType: string;
  /** File extension, without the dot. */
  ext: string;
}

/** The types the cache keeps, by extension. */
export const MEDIA_TYPES: Readonly<Record<string, MediaType>> = {
  png: { contentType: "image/png", ext: "png" },
  jpg: { contentType: "image/jpeg", ext: "jpg" },
  webp: { contentType: "image/webp", ext: "webp" },
  gif: { contentType: "image/gif", ext: "gif" },
  mp4: { contentType: "video/mp4", ext: "mp4" },
};

const startsWith = (bytes: Uint8Array, offset: number, signature: readonly number[]) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

const ascii = (text: string) => [...text].map((ch) => ch.charCodeAt(0));

/** The type of a file from its first bytes (at least 12), or `undefined`. */
export function sniffMediaType(head: Uint8Array): MediaType | undefined {
  if (startsWith(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return MEDIA_TYPES.png;
  if (startsWith(head, 0, [0xff, 0xd8, 0xff])) return MEDIA_TYPES.jpg;
  if (startsWith(head, 0, ascii("RIFF")) && startsWith(head, 8, ascii("WEBP"))) {
    return MEDIA_TYPES.webp;
  }
  if (startsWith(head, 0, ascii("GIF87a")) || startsWith(head, 0, ascii("GIF89a"))) {
    return MEDIA_TYPES.gif;
  }
  // ISO base media: a box size, then `ftyp`.
  if (startsWith(head, 4, ascii("ftyp"))) return MEDIA_TYPES.mp4;
  return undefined;
}

/** The type a `Content-Type` header names, or `undefined`. */
export function mediaTypeOfHeader(header: string | null): MediaType | undefined {
  const type = header?.split(";")[0].trim().toLowerCase();
  return Object.values(MEDIA_TYPES).find((t) => t.contentType === type) ??
    (type === "image/jpg" ? MEDIA_TYPES.jpg : undefined);
}

/** An image whose header parsed: its type and size. */
export interface ImageProbe {
  type: MediaType;
  width: number;
  height: number;
}

/** JPEG: the size is in the first start-of-frame segment. */
function probeJpeg(bytes: Uint8Array, view: DataView): ImageProbe | undefined {
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
      const height = view.getUint16(offset + 5);
      const width = view.getUint16(offset + 7);
      return width > 0 && height > 0 ? { type: MEDIA_TYPES.jpg, width, height } : undefined;
    }
    if (length < 2) return undefined;
    offset += 2 + length;
  }
  return undefined;
}

/** WebP: lossy, lossless and extended headers. */
function probeWebp(bytes: Uint8Array, view: DataView): ImageProbe | undefined {
  if (bytes.length < 30) return undefined;
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  let width = 0;
  let height = 0;
  if (chunk === "VP8 ") {
    width = view.getUint16(26, true) & 0x3fff;
    height = view.getUint16(28, true) & 0x3fff;
  } else if (chunk === "VP8L") {
    const bits = view.getUint32(21, true);
    width = (bits & 0x3fff) + 1;
    height = ((bits >> 14) & 0x3fff) + 1;
  } else if (chunk === "VP8X") {
    width = 1 + (bytes[24] | (bytes[25] << 8) | (bytes[26] << 16));
    height = 1 + (bytes[27] | (bytes[28] << 8) | (bytes[29] << 16));
  }
  return width > 0 && height > 0 ? { type: MEDIA_TYPES.webp, width, height } : undefined;
}

/**
 * Parses an image header (PNG, JPEG, WebP, GIF — what Jimeng's upload takes)
 * far enough to know its size; `undefined` for anything else, truncated
 * headers included.
 */
export function probeImage(bytes: Uint8Array): ImageProbe | undefined {
  const type = sniffMediaType(bytes);
  if (!type || type === MEDIA_TYPES.mp4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === MEDIA_TYPES.png) {
    if (bytes.length < 24 || !startsWith(bytes, 12, ascii("IHDR"))) return undefined;
    const width = view.getUint32(16);
    const height = view.getUint32(20);
    return width > 0 && height > 0 ? { type, width, height } : undefined;
  }
  if (type === MEDIA_TYPES.gif) {
    if (bytes.length < 13) return undefined;
    const width = view.getUint16(6, true);
    const height = view.getUint16(8, true);
    return width > 0 && height > 0 ? { type, width, height } : undefined;
  }
  if (type === MEDIA_TYPES.jpg) return probeJpeg(bytes, view);
  return probeWebp(bytes, view);
}
