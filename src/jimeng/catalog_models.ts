/**
 * Catalog entries as ordinary {@linkcode ImageModel} / {@linkcode VideoModel}
 * objects: a known request key keeps its id and takes the catalog's
 * resolutions, durations and benefit types; an unknown one becomes
 * `jimeng-image-<slug>` / `jimeng-video-<slug>` and works like a built-in
 * (ratios and sizes from the general tables). Every submit path reads these
 * fields from the model, so it gets the catalog's values without knowing it.
 * @module
 */
import type { CatalogEntry } from "./catalog.ts";
import {
  type DurationRule,
  IMAGE_MODELS,
  IMAGE_RESOLUTIONS,
  type ImageModel,
  type ImageResolution,
  type Model,
  VIDEO_MODELS,
  type VideoModel,
  type VideoResolution,
} from "./models.ts";
import type { Region } from "./regions.ts";

const BY_REQ_KEY = new Map<string, Model>(
  [...IMAGE_MODELS, ...VIDEO_MODELS].map((model) => [model.reqKey, model]),
);

/** The built-in model of a request key, if any. */
export function builtinByReqKey(reqKey: string): Model | undefined {
  return BY_REQ_KEY.get(reqKey);
}

/** Lower-case, runs of anything but `[a-z0-9.]` as one `-`, no `-` or `.` at the ends. */
export function slugOf(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9.]+/g, "-").replace(/^[-.]+|[-.]+$/g, "");
}

/** The public id of a model the built-in table does not know. */
export function catalogModelId(entry: Pick<CatalogEntry, "kind" | "name" | "reqKey">): string {
  const slug = slugOf(entry.name) || slugOf(entry.reqKey);
  return `jimeng-${entry.kind}-${slug}`;
}

const VIDEO_RESOLUTIONS: readonly VideoResolution[] = ["720p", "1080p", "4k"];

function imageResolutions(entry: CatalogEntry, builtin?: ImageModel): ImageResolution[] {
  const listed = entry.resolutions.map((r) => r.toLowerCase())
    .filter((r): r is ImageResolution => (IMAGE_RESOLUTIONS as readonly string[]).includes(r));
  if (listed.length === 0) return builtin ? [...builtin.resolutions] : ["2k"];
  // The first is the default: the built-in's when offered, else the web app's 2k.
  const preferred = [builtin?.resolutions[0], "2k"].find((r) => listed.includes(r as never));
  const first = (preferred ?? listed[0]) as ImageResolution;
  return [first, ...IMAGE_RESOLUTIONS.filter((r) => r !== first && listed.includes(r))];
}

function videoResolutions(entry: CatalogEntry, builtin?: VideoModel): VideoResolution[] {
  const listed = entry.resolutions.map((r) => r.toLowerCase())
    .filter((r): r is VideoResolution => (VIDEO_RESOLUTIONS as readonly string[]).includes(r));
  if (listed.length === 0) return builtin ? [...builtin.resolutions] : [];
  const preferred = [builtin?.resolutions[0], "720p"].find((r) => listed.includes(r as never));
  const first = (preferred ?? listed[0]) as VideoResolution;
  return [first, ...listed.filter((r) => r !== first)];
}

/**
 * Durations from the catalog's shortest and longest: a built-in range takes
 * them; a built-in set keeps the seconds inside them (a range cannot say
 * which seconds between are allowed); an unknown model gets the range.
 */
function videoDurations(entry: CatalogEntry, builtin?: VideoModel): DurationRule {
  const range = entry.durations;
  const rule = builtin?.durations;
  if (!range) return rule ?? { kind: "set", seconds: [5], default: 5 };
  const clamp = (s: number) => Math.min(range.max, Math.max(range.min, s));
  if (rule?.kind === "set") {
    const seconds = rule.seconds.filter((s) => s >= range.min && s <= range.max);
    if (seconds.length > 0) {
      return {
        kind: "set",
        seconds,
        default: seconds.includes(rule.default) ? rule.default : seconds[0],
      };
    }
  }
  return { kind: "range", min: range.min, max: range.max, default: clamp(rule?.default ?? 5) };
}

/** What {@linkcode catalogModel} makes of an entry. */
export type CatalogModel =
  | { usable: true; model: Model }
  | { usable: false; model?: Model; reason: string };

/**
 * The model an entry describes. `id` names an unknown request key (the
 * caller settles clashes); `regions` are those of the accounts listing it;
 * `seenAtS` dates a model the built-in table does not know.
 */
export function catalogModel(
  entry: CatalogEntry,
  options: { id?: string; regions: readonly Region[]; seenAtS: number },
): CatalogModel {
  const builtin = builtinByReqKey(entry.reqKey);
  const known = builtin?.kind === entry.kind ? builtin : undefined;
  const base = {
    id: known?.id ?? options.id ?? catalogModelId(entry),
    aliases: known?.aliases ?? [],
    name: entry.name !== entry.reqKey ? entry.name : known?.name ?? entry.name,
    reqKey: entry.reqKey,
    regions: options.regions,
    created: known?.created ?? options.seenAtS,
  };
  if (entry.kind === "image") {
    const image = known as ImageModel | undefined;
    const model: ImageModel = {
      ...base,
      kind: "image",
      resolutions: imageResolutions(entry, image),
      benefitCount: image?.benefitCount ?? {},
      typicalMs: image?.typicalMs ?? 15_000,
    };
    return { usable: true, model };
  }
  const video = known as VideoModel | undefined;
  const resolutions = videoResolutions(entry, video);
  const benefitType: Partial<Record<VideoResolution, string>> = { ...video?.benefitType };
  for (const [resolution, benefit] of Object.entries(entry.benefitTypes)) {
    const key = resolution.toLowerCase();
    if ((VIDEO_RESOLUTIONS as readonly string[]).includes(key)) {
      benefitType[key as VideoResolution] = benefit;
    }
  }
  const model: VideoModel = {
    ...base,
    kind: "video",
    resolutions,
    benefitType,
    sendResolution: video?.sendResolution ?? true,
    durations: videoDurations(entry, video),
    typicalMs: video?.typicalMs ?? 90_000,
  };
  if (resolutions.length === 0 || !resolutions.some((r) => benefitType[r])) {
    // Without a benefit type the upstream cannot bill it, so it cannot be submitted.
    return { usable: false, model, reason: "the catalog gives it no resolution to bill" };
  }
  return { usable: true, model };
}
