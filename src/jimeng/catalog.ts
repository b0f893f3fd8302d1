/**
 * The account's own model catalog (2026-10 sheet §3): `get_common_config`
 * for images, `video_generate/get_common_config` for videos. The answer's
 * exact shape is undocumented, so it is read defensively: every object in it
 * with a string `model_req_key` is a model, and each field is looked for
 * where the newest client found it.
 * @module
 */
import { callUpstream, type Session, type UpstreamContext } from "./http.ts";
import { daVersionOf, PATHS } from "./protocol.ts";
import { regionInfo } from "./regions.ts";

/** What the catalog says about one model. */
export interface CatalogEntry {
  kind: "image" | "video";
  reqKey: string;
  /** Display name; the request key when the catalog names none. */
  name: string;
  /** `model_status`: 0 = available. */
  status: number;
  /** Resolution names as listed (`2k`, `720p`, …), in the catalog's order. */
  resolutions: string[];
  /** Video: shortest and longest duration in whole seconds, when listed. */
  durations?: { min: number; max: number };
  /** Video: `benefit_type` per resolution (`commercial_config.resolution_price_configs`). */
  benefitTypes: Record<string, string>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function firstText(object: Json, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = object[key];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
  }
  return undefined;
}

function number(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}

/** The `options[]` entry with `key`, if any. */
function option(entry: Json, key: string): Json | undefined {
  const options = entry.options;
  if (!Array.isArray(options)) return undefined;
  return options.find((o): o is Json => isObject(o) && o.key === key);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === "string" && v.trim() !== "")
      .map((v) => v.trim())
    : [];
}

function resolutionsOf(entry: Json): string[] {
  const enumValue = option(entry, "resolution")?.enum_val;
  const listed = isObject(enumValue)
    ? stringList(enumValue.string_value ?? enumValue.string_values)
    : [];
  // Older answers and other clients' fakes: a plain list.
  return listed.length > 0 ? listed : stringList(entry.resolution_list);
}

/** Seconds from a duration that may be in seconds or milliseconds. */
function seconds(value: unknown): number | undefined {
  const n = number(value);
  if (n === undefined || n <= 0) return undefined;
  return Math.round(n >= 1000 ? n / 1000 : n);
}

function durationsOf(entry: Json): CatalogEntry["durations"] {
  const config = option(entry, "edit_config")?.edit_config_val;
  if (!isObject(config)) return undefined;
  const min = seconds(config.edit_min_video_duration);
  const max = seconds(config.edit_max_video_duration);
  if (min === undefined || max === undefined || min > max) return undefined;
  return { min, max };
}

function benefitTypesOf(entry: Json): Record<string, string> {
  const commercial = entry.commercial_config;
  const configs = isObject(commercial) ? commercial.resolution_price_configs : undefined;
  const out: Record<string, string> = {};
  if (!Array.isArray(configs)) return out;
  for (const config of configs) {
    if (!isObject(config) || typeof config.resolution !== "string") continue;
    const price = config.price;
    const benefit = isObject(price) ? price.benefit_type : undefined;
    if (typeof benefit === "string" && benefit !== "" && !(config.resolution in out)) {
      out[config.resolution] = benefit;
    }
  }
  return out;
}

/**
 * Every model of a catalog answer, in the order found; the first mention of
 * a request key wins (exported for tests).
 */
export function parseCatalog(data: unknown, kind: CatalogEntry["kind"]): CatalogEntry[] {
  const found = new Map<string, CatalogEntry>();
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number): void => {
    if (depth > 12 || value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    const object = value as Json;
    const reqKey = firstText(object, ["model_req_key", "modelReqKey"]);
    if (reqKey && !found.has(reqKey)) {
      found.set(reqKey, {
        kind,
        reqKey,
        name: firstText(object, ["model_name", "name", "display_name", "displayName", "title"]) ??
          reqKey,
        status: number(object.model_status) ?? 0,
        resolutions: resolutionsOf(object),
        durations: kind === "video" ? durationsOf(object) : undefined,
        benefitTypes: benefitTypesOf(object),
      });
      return;
    }
    for (const child of Object.values(object)) walk(child, depth + 1);
  };
  walk(data, 0);
  return [...found.values()];
}

/** Options of {@linkcode fetchCatalog}. */
export interface FetchCatalogOptions {
  /** Ask the upstream for a fresh copy (`needRefresh`). */
  refresh?: boolean;
  signal?: AbortSignal;
}

/** Reads one kind of the account's catalog. Not retried: callers fall back to a copy. */
export async function fetchCatalog(
  ctx: UpstreamContext,
  session: Session,
  kind: CatalogEntry["kind"],
  options: FetchCatalogOptions = {},
): Promise<CatalogEntry[]> {
  const { protocol } = ctx.settings;
  const versions = {
    web_version: protocol.webVersion,
    da_version: daVersionOf(protocol, regionInfo(session.region).international),
    aigc_features: protocol.aigcFeatures,
  };
  const refresh = options.refresh === true;
  const data = await callUpstream(
    ctx,
    session,
    kind === "image"
      ? {
        path: PATHS.imageConfig,
        query: { ...versions, needCache: "true", needRefresh: String(refresh) },
        body: { is_client_filter: false, need_beta_model: true },
        retry: false,
        signal: options.signal,
      }
      : {
        path: PATHS.videoConfig,
        query: versions,
        body: { scene: "generate_video", params: { needCache: true, needRefresh: refresh } },
        retry: false,
        signal: options.signal,
      },
  );
  return parseCatalog(data, kind);
}
