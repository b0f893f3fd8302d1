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
