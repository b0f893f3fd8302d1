/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) as ImageX expects in
 * the `Content-CRC32` upload header. zlib's native implementation: a 20 MiB
 * reference image takes well under a millisecond instead of ~45 ms of
 * JavaScript on the event loop.
 * @module
 */
import { crc32 as zlibCrc32 } from "node:zlib";

/** Returns the CRC-32 of `bytes` as an unsigned 32-bit integer. */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes) >>> 0;
}

/** Returns the CRC-32 of `bytes` as 8 lower-case hex digits (zero padded). */
export function crc32Hex(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, "0");
}
