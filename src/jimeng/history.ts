/**
 * History records (`get_history_by_ids`): fetching several at once, reading
 * status and failure codes, and taking result URLs from their documented
 * places (fact sheet 4.1–4.4, 5.6).
 * @module
 */
import { callUpstream, type Session, type UpstreamContext } from "./http.ts";
import { HISTORY_IMAGE_INFO, PATHS } from "./protocol.ts";
import { regionInfo } from "./regions.ts";

/** Record status codes that mean success. */
const SUCCESS = new Set([50, 10, 21]);
/** Status of a failed record. */
const FAILED = 30;

/** One generated image. */
export interface ImageResult {
  url: string;
  width?: number;
  height?: number;
}

/** One generated video. */
export interface VideoResult {
  url: string;
  /** Upstream item id, used to ask for the high-quality file. */
  itemId?: string;
  coverUrl?: string;
}

/**
 * Where a record waits in the upstream's queue before it runs (fact sheet
 * 2026-10 §7): present only while the record is queued.
 */
export interface QueueInfo {
  /** `queue_info.queue_idx` as the upstream reports it. */
  position: number;
  /** `queue_info.queue_length`, when reported. */
  length?: number;
  /** `forecast_queue_cost` (seconds) as ms: the forecast wait until it runs, when reported. */
  forecastMs?: number;
}

/** The parts of a record a caller needs. */
export interface HistoryRecord {
  historyId: string;
  /** 20, 42 and 45 all mean "in progress"; only {@linkcode HistoryRecord.queue} says "queued". */
  status: number;
  failCode: string;
  images: ImageResult[];
  videos: VideoResult[];
  /** Number of items the upstream listed (with or without usable URLs). */
  itemCount: number;
  /** Set while the record waits in the upstream's queue. */
  queue?: QueueInfo;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function path(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** Signed CDN links sometimes arrive with `\u0026` left escaped. */
function cleanUrl(value: unknown): string | undefined {
  if (typeof value !== "string" || !/^https?:\/\//.test(value)) return undefined;
  return value.replaceAll("\\u0026", "&");
}

function toNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** A non-negative number sent as a number or a numeric string; anything else is absent. */
function toCount(value: unknown): number | undefined {
  const number = typeof value === "number"
    ? value
    : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)
    ? Number(value)
    : NaN;
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

/**
 * The queue fields of a raw record, `undefined` unless they say it is queued.
 * Zeros (`queue_idx: 0, queue_length: 0, forecast_queue_cost: 0`) are what a
 * running record carries; the forecast is read at the top level and, as some
 * answers nest it, under `forecast_cost_time`.
 */
export function queueOf(raw: unknown): QueueInfo | undefined {
  const info = path(raw, "queue_info");
  const position = toCount(path(info, "queue_idx"));
  const length = toCount(path(info, "queue_length"));
  const forecastS = toCount(path(raw, "forecast_queue_cost")) ??
    toCount(path(raw, "forecast_cost_time", "forecast_queue_cost"));
  const queued = (position ?? 0) > 0 || (length ?? 0) > 0 || (forecastS ?? 0) > 0;
  if (!queued) return undefined;
  const queue: QueueInfo = { position: Math.round(position ?? 0) };
  if (length !== undefined) queue.length = Math.round(length);
  if (forecastS !== undefined) queue.forecastMs = Math.round(forecastS * 1000);
  return queue;
}

function imageOf(item: unknown): ImageResult | undefined {
  const large = path(item, "image", "large_images", 0);
  const url = cleanUrl(path(large, "image_url")) ??
    cleanUrl(path(item, "common_attr", "cover_url"));
  if (!url) return undefined;
  return { url, width: toNumber(path(large, "width")), height: toNumber(path(large, "height")) };
}

/** The video URL of an item, newest location first (fact sheet 5.6). */
export function videoUrlOf(item: unknown): string | undefined {
  return cleanUrl(path(item, "common_attr", "transcoded_video", "origin", "video_url")) ??
    cleanUrl(path(item, "video", "transcoded_video", "origin", "video_url")) ??
    cleanUrl(path(item, "video", "play_url")) ??
    cleanUrl(path(item, "video", "download_url")) ??
    cleanUrl(path(item, "video", "url"));
}

/** The upstream id of an item. */
export function itemIdOf(item: unknown): string | undefined {
  for (
    const value of [
      path(item, "item_id"),
      path(item, "id"),
      path(item, "local_item_id"),
      path(item, "common_attr", "id"),
    ]
  ) {
    if (typeof value === "string" && value) return value;
    if (typeof value === "number") return String(value);
  }
  return undefined;
}

/** Reads one raw record. */
export function parseRecord(historyId: string, raw: unknown): HistoryRecord {
  const items = path(raw, "item_list");
  const list = Array.isArray(items) ? items : [];
  const images: ImageResult[] = [];
  const videos: VideoResult[] = [];
  for (const item of list) {
    const video = videoUrlOf(item);
    if (video) {
      videos.push({
        url: video,
        itemId: itemIdOf(item),
        coverUrl: cleanUrl(path(item, "common_attr", "cover_url")),
      });
      continue;
    }
    const image = imageOf(item);
    if (image) images.push(image);
  }
  const status = Number(path(raw, "status"));
  const record: HistoryRecord = {
    historyId,
    status: Number.isFinite(status) ? status : 0,
    failCode: String(path(raw, "fail_code") ?? ""),
    images,
    videos,
    itemCount: list.length,
  };
  const queue = queueOf(raw);
  if (queue) record.queue = queue;
  return record;
}

/** Whether the record has failed. */
export function isFailed(record: HistoryRecord): boolean {
  return record.status === FAILED;
}

/**
 * Whether the record is finished: a success status with results, or every
 * expected result present even though the status still says "finalizing"
 * (observed: the 4 images sometimes appear while status is 45).
 */
export function isComplete(record: HistoryRecord, expectedItems: number): boolean {
  const results = record.images.length + record.videos.length;
  if (results === 0) return false;
  return SUCCESS.has(record.status) || results >= expectedItems;
}

/** Which body the web app sends when polling this kind of record. */
export type RecordKind = "image" | "video";

/**
 * Fetches several records of one account in one call. Records the upstream
 * does not (yet) know are absent from the result.
 */
export async function fetchRecords(
  ctx: UpstreamContext,
  session: Session,
  historyIds: readonly string[],
  kind: RecordKind,
  signal?: AbortSignal,
): Promise<Map<string, HistoryRecord>> {
  const info = regionInfo(session.region);
  const aid = info.international ? ctx.settings.protocol.aidIntl : ctx.settings.protocol.aidCn;
  const body = kind === "image"
    ? { history_ids: historyIds, image_info: HISTORY_IMAGE_INFO, http_common_info: { aid } }
    : { history_ids: historyIds };
  const data = await callUpstream<unknown>(ctx, session, {
    path: PATHS.history,
    body,
    signal,
  });
  const out = new Map<string, HistoryRecord>();
  if (!isObject(data)) return out;
  for (const id of historyIds) {
    const raw = data[id];
    if (isObject(raw)) out.set(id, parseRecord(id, raw));
  }
  return out;
}
