/**
 * OpenAI `size` (`WxH`) and `quality` to Jimeng ratio and resolution.
 * @module
 */
import {
  IMAGE_RATIOS,
  IMAGE_RESOLUTIONS,
  type ImageRatio,
  type ImageResolution,
  VIDEO_RATIOS,
  type VideoRatio,
  type VideoResolution,
} from "../jimeng/models.ts";

/** A parsed `WxH`. */
export interface Size {
  width: number;
  height: number;
}

/** Parses `"1024x768"`; returns `undefined` for anything else. */
export function parseSize(size: string): Size | undefined {
  const match = /^\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*$/i.exec(size);
  if (!match) return undefined;
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width < 1 || height < 1) return undefined;
  return { width, height };
}

function ratioValue(ratio: string): number {
  const [w, h] = ratio.split(":").map(Number);
  return w / h;
}

/** The supported ratio closest to the size's aspect (compared on a log scale). */
export function nearestRatio<R extends string>(size: Size, ratios: readonly R[]): R {
  const target = Math.log(size.width / size.height);
  let best = ratios[0];
  let bestDistance = Infinity;
  for (const ratio of ratios) {
    const distance = Math.abs(Math.log(ratioValue(ratio)) - target);
    if (distance < bestDistance) {
      best = ratio;
      bestDistance = distance;
    }
  }
  return best;
}

/** Image tier whose pixel count is nearest the size's (compared on a log scale). */
export function imageResolutionForSize(size: Size): ImageResolution {
  const pixels = Math.log(size.width * size.height);
  let best: ImageResolution = "1k";
  let bestDistance = Infinity;
  for (const [tier, side] of [["1k", 1328], ["1.5k", 1536], ["2k", 2048], ["4k", 4096]] as const) {
    const distance = Math.abs(pixels - Math.log(side * side));
    if (distance < bestDistance) {
      best = tier;
      bestDistance = distance;
    }
  }
  return best;
}

/** Image ratio for a size. */
export function imageRatioForSize(size: Size): ImageRatio {
  return nearestRatio(size, IMAGE_RATIOS);
}

/** Video ratio for a size. */
export function videoRatioForSize(size: Size): VideoRatio {
  return nearestRatio(size, VIDEO_RATIOS);
}

/** Video resolution for a size, by its short side: ≤ 720 → 720p, ≤ 1080 → 1080p, else 4k. */
export function videoResolutionForSize(size: Size): VideoResolution {
  const shortSide = Math.min(size.width, size.height);
  if (shortSide <= 720) return "720p";
  if (shortSide <= 1080) return "1080p";
  return "4k";
}

/** OpenAI `quality` to a tier; `auto`/unknown → `undefined` (model default). */
export function imageResolutionForQuality(quality: string): ImageResolution | undefined {
  switch (quality) {
    case "low":
      return "1k";
    case "medium":
    case "standard":
      return "2k";
    case "high":
    case "hd":
      return "4k";
    default:
      return undefined;
  }
}

/**
 * The resolution a model will get for a wish: the wish if allowed, else the
 * next lower allowed tier, else the model default.
 */
export function fitImageResolution(
  allowed: readonly ImageResolution[],
  wish: ImageResolution | undefined,
): ImageResolution {
  if (wish === undefined) return allowed[0];
  for (const tier of IMAGE_RESOLUTIONS.slice(IMAGE_RESOLUTIONS.indexOf(wish))) {
    if (allowed.includes(tier)) return tier;
  }
  return allowed[0];
}

const SHORT_SIDE: Record<VideoResolution, number> = { "720p": 720, "1080p": 1080, "4k": 2160 };

/** The `WxH` of a video of this ratio and resolution (short side 720/1080/2160, even sides). */
export function videoSizeFor(ratio: VideoRatio, resolution: VideoResolution): string {
  const [w, h] = ratio.split(":").map(Number);
  const short = SHORT_SIDE[resolution];
  const long = Math.round((short * Math.max(w, h)) / Math.min(w, h) / 2) * 2;
  return w >= h ? `${long}x${short}` : `${short}x${long}`;
}

/**
 * The resolution a video model gets for a wish from `size`: the wish if
 * allowed, else the largest allowed one below it, else the model default.
 */
export function fitVideoResolution(
  allowed: readonly VideoResolution[],
  wish: VideoResolution | undefined,
): VideoResolution {
  if (wish === undefined) return allowed[0];
  const order: VideoResolution[] = ["4k", "1080p", "720p"];
  for (const tier of order.slice(order.indexOf(wish))) if (allowed.includes(tier)) return tier;
  return allowed[0];
}
