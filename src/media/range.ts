/**
 * HTTP byte ranges (RFC 9110 §14): one `bytes=` range per request; other
 * forms are ignored, as the RFC allows, and the whole file is sent.
 * @module
 */

/** What to send for a `Range` header. */
export type RangeChoice =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

const SINGLE = /^bytes=(\d*)-(\d*)$/i;

/**
 * Interprets a `Range` header against a file of `size` bytes. `end` is
 * inclusive. Malformed and multi-range headers give `full`.
 */
export function chooseRange(header: string | null | undefined, size: number): RangeChoice {
  if (!header) return { kind: "full" };
  const match = SINGLE.exec(header.trim());
  if (!match) return { kind: "full" };
  const [, first, last] = match;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    // Suffix range: the last N bytes (a length beyond the file means all of it).
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - length), end: size - 1 };
  }
  // Digits only, so Number() is exact or a huge (possibly infinite) value: a position beyond
  // the file is clamped (end) or unsatisfiable (start), never a reason to send everything.
  const start = Number(first);
  const end = last === "" ? size - 1 : Number(last);
  if (last !== "" && end < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end: Math.min(end, size - 1) };
}
