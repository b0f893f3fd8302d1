/**
 * What the seed reads from a prompt: an aspect ratio ("16:9", "16：9") or a
 * Chinese orientation keyword, and a video duration ("5秒", "10s").
 * @module
 */

const RATIO_PATTERN = /(\d+)\s*[:：]\s*(\d+)/g;

const KEYWORDS: [RegExp, string][] = [
  [/横屏|横版|宽屏/, "16:9"],
  [/竖屏|竖版|手机/, "9:16"],
  [/方形|正方/, "1:1"],
];

/**
 * Returns the first ratio in `prompt` that is in `supported`: explicit
 * `W:H` matches first, in order, then keywords.
 */
export function detectRatio<R extends string>(
  prompt: string,
  supported: readonly R[],
): R | undefined {
  for (const match of prompt.matchAll(RATIO_PATTERN)) {
    const ratio = `${Number(match[1])}:${Number(match[2])}`;
    if ((supported as readonly string[]).includes(ratio)) return ratio as R;
  }
  for (const [pattern, ratio] of KEYWORDS) {
    if (pattern.test(prompt) && (supported as readonly string[]).includes(ratio)) {
      return ratio as R;
    }
  }
  return undefined;
}

/** Returns 10 or 5 when the prompt asks for that many seconds ("10秒", "5s"). */
export function detectDuration(prompt: string): 5 | 10 | undefined {
  if (/10\s*[秒sS]/.test(prompt)) return 10;
  // Like the seed, "15秒" also matches here; only 5 and 10 are detected.
  if (/5\s*[秒sS]/.test(prompt)) return 5;
  return undefined;
}
