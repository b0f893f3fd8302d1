/**
 * Placeholders in an omni-reference prompt, and the prompt split into text
 * runs and material references (what the upstream's `meta_list` holds).
 *
 * - `@1 … @N`: the N-th material overall (1-based, request order);
 * - `@image1`, `@video1`, `@audio1`: the N-th material of that kind (also
 *   written `@image_1` or `@image_file_1`, the seed family's field names);
 * - `@图1` / `@图片1`, `@视频1`, `@音频1`: the same in Chinese.
 *
 * With no placeholder, the materials are referenced in order before the
 * prompt text. A placeholder that names no material is reported.
 * @module
 */
import type { MaterialKind } from "../media/sniff.ts";

/** One run of the prompt: text, or a reference to material `ref` (0-based). */
export type PromptSegment = { text: string } | { ref: number };

/** A placeholder found in a prompt. */
export interface Placeholder {
  /** As written, e.g. `@video2`. */
  token: string;
  index: number;
  /** The kind it counts within; `undefined` for `@N`. */
  kind?: MaterialKind;
  /** 1-based number. */
  n: number;
}

const PATTERN = /@(?:(image|video|audio)(?:_?file)?_?|(图片|图|视频|音频))?(\d{1,3})(?!\d)/giu;

const CHINESE: Record<string, MaterialKind> = {
  "图": "image",
  "图片": "image",
  "视频": "video",
  "音频": "audio",
};

/** Every placeholder of `prompt`, in order. */
export function findPlaceholders(prompt: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const match of prompt.matchAll(PATTERN)) {
    const word = match[1]?.toLowerCase() as MaterialKind | undefined;
    found.push({
      token: match[0],
      index: match.index!,
      kind: word ?? (match[2] ? CHINESE[match[2]] : undefined),
      n: Number(match[3]),
    });
  }
  return found;
}

/** Splitting failed: `placeholder` names no material; `message` says why. */
export interface UnknownPlaceholder {
  placeholder: string;
  message: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Which material (0-based) a placeholder names, or why none. */
function resolve(placeholder: Placeholder, kinds: readonly MaterialKind[]): number | string {
  const { kind, n, token } = placeholder;
  if (kind === undefined) {
    if (n >= 1 && n <= kinds.length) return n - 1;
    return `${token} names reference ${n}, but the request has ${
      plural(kinds.length, "reference")
    }`;
  }
  let seen = 0;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === kind && ++seen === n) return i;
  }
  const count = kinds.filter((k) => k === kind).length;
  return `${token} names ${kind} ${n}, but the request has ${
    count === 0 ? `no ${kind}` : plural(count, kind)
  } among its references`;
}

/**
 * Splits `prompt` at its placeholders into text runs and references to the
 * materials (of `kinds`, in request order).
 */
export function splitPrompt(
  prompt: string,
  kinds: readonly MaterialKind[],
): { segments: PromptSegment[] } | UnknownPlaceholder {
  const placeholders = findPlaceholders(prompt);
  if (placeholders.length === 0) {
    return { segments: [...kinds.map((_, ref) => ({ ref })), { text: prompt }] };
  }
  const segments: PromptSegment[] = [];
  let at = 0;
  for (const placeholder of placeholders) {
    const ref = resolve(placeholder, kinds);
    if (typeof ref === "string") return { placeholder: placeholder.token, message: ref };
    if (placeholder.index > at) segments.push({ text: prompt.slice(at, placeholder.index) });
    segments.push({ ref });
    at = placeholder.index + placeholder.token.length;
  }
  if (at < prompt.length) segments.push({ text: prompt.slice(at) });
  return { segments };
}
