/**
 * History records: how a record progresses with time (queued: 20 with
 * `queue_info` and `forecast_queue_cost`; running: 20 → 42 → 45 at shares of
 * its run time that vary by record; then 50, or 30 with fail_code "2038"),
 * its JSON as `get_history_by_ids` returns it (fact sheet 4.1–4.4), and the
 * `get_local_item_list` lookup of the downloadable files (2026-10 sheet §6).
 * Progress is computed from the clock on each read, so no timers exist.
 * @module
 */
import { cdnUrl } from "./cdn.ts";
import { mwebOk, rejectViolation, type Reply, retError } from "./reply.ts";
import type { FakeKnobs, FakeRecord, FakeState, RecordState, SessionState } from "./state.ts";

/** A queued record's place (fact sheet 2026-10 §7). */
export interface QueueState {
  /** `queue_idx`: counts down to 1 as the queue moves. */
  position: number;
  length: number;
  /** `forecast_queue_cost`: whole seconds, rounded up. */
  forecastS: number;
}

/** Where a record stands at some instant. */
export interface Progress {
  status: number;
  failCode: string;
  /** Whether `item_list` is filled. */
  items: boolean;
  /** Set while it waits in the queue. */
  queue?: QueueState;
}

/** Status of `record` at `now` (ms). */
export function progressOf(record: RecordState, knobs: FakeKnobs, now: number): Progress {
  if (now >= record.finishAt) {
    return record.banned
      ? { status: 30, failCode: "2038", items: false }
      : { status: 50, failCode: "", items: true };
  }
  if (now < record.runStartAt) {
    const remaining = record.runStartAt - now;
    const share = remaining / (record.runStartAt - record.submittedAt);
    const queue = {
      position: Math.max(1, Math.ceil(record.queueLength * share)),
      length: record.queueLength,
      forecastS: Math.ceil(remaining / 1000),
    };
    return { status: 20, failCode: "", items: false, queue };
  }
  const fraction = (now - record.runStartAt) / record.latencyMs;
  if (fraction < record.statusAt.running) return { status: 20, failCode: "", items: false };
  if (fraction < record.statusAt.finalizing) return { status: 42, failCode: "", items: false };
  // Observed: the items sometimes arrive while the record still says 45.
  return { status: 45, failCode: "", items: knobs.itemsBeforeFinal && fraction >= 0.8 };
}

/**
 * The queue fields of a record's JSON: counting down while queued, zeros
 * once a queued record runs (as observed), absent for one never queued.
 */
function queueJson(record: RecordState, queue: QueueState | undefined): Record<string, unknown> {
  if (record.queueLength === 0) return {};
  return {
    forecast_queue_cost: queue?.forecastS ?? 0,
    queue_info: {
      queue_idx: queue?.position ?? 0,
      priority: 2,
      queue_length: queue?.length ?? 0,
      polling_config: { interval_seconds: 30, timeout_seconds: 86400 },
    },
  };
}

/** A snapshot of `record` for tests. */
export function snapshotRecord(state: FakeState, record: RecordState): FakeRecord {
  const { status, failCode } = progressOf(record, state.knobs, state.options.now());
  return {
    historyId: record.historyId,
    submitId: record.submitId,
    sessionId: record.sessionId,
    kind: record.kind,
    model: record.model,
    generateType: record.generateType,
    prompt: record.prompt,
    status,
    failCode,
    submittedAt: record.submittedAt,
    runStartAt: record.runStartAt,
    finishAt: record.finishAt,
    visibleAt: record.visibleAt,
    firstDeliveredAt: record.firstDeliveredAt,
    credits: record.credits,
    itemCount: record.itemCount,
    genCount: record.genCount,
    width: record.width,
    height: record.height,
    resolutionType: record.resolutionType,
    durationMs: record.durationMs,
    videoResolution: record.videoResolution,
    aspectRatio: record.aspectRatio,
    inputUris: [...record.inputUris],
    materials: record.materials?.map((material) => ({ ...material })),
  };
}

/** `generate_type` of `aigc_data` and records: 1 text-to-image, 12 blend (observed), 10 video. */
export function generateTypeCode(record: RecordState): number {
  if (record.kind === "video") return 10;
  return record.generateType === "blend" ? 12 : 1;
}

function videoSize(resolution: string, ratio: string): { width: number; height: number } {
  const short = resolution === "4k" ? 2160 : resolution === "1080p" ? 1080 : 720;
  const [a, b] = ratio.split(":").map(Number);
  const even = (value: number) => 2 * Math.round(value / 2);
  return a >= b ? { width: even(short * a / b), height: short } : {
    width: short,
    height: even(short * b / a),
  };
}

function videoItem(
  state: FakeState,
  record: RecordState,
  variant: "preview" | "hq",
): { common_attr: Record<string, unknown>; video: Record<string, unknown>; item_id: string } {
  const id = record.itemIds[0];
  const videoUrl = cdnUrl(state, `/cdn/video/${record.historyId}/${variant}.mp4`, record.finishAt);
  const coverUrl = cdnUrl(state, `/cdn/image/${record.historyId}/0.png`, record.finishAt);
  const size = videoSize(record.videoResolution ?? "720p", record.aspectRatio ?? "16:9");
  const origin = {
    video_url: videoUrl,
    ...size,
    definition: record.videoResolution,
    format: "mp4",
  };
  return {
    common_attr: {
      id,
      effect_id: id,
      effect_type: 10,
      title: "",
      description: record.prompt,
      cover_url: coverUrl,
      transcoded_video: { origin },
    },
    video: {
      video_id: `v0${record.historyId}`,
      duration: (record.durationMs ?? 0) / 1000,
      cover_url: coverUrl,
      transcoded_video: { origin },
      play_url: videoUrl,
      download_url: videoUrl,
      url: videoUrl,
    },
    item_id: id,
  };
}

function imageItem(state: FakeState, record: RecordState, index: number): unknown {
  const id = record.itemIds[index];
  const imageUrl = cdnUrl(state, `/cdn/image/${record.historyId}/${index}.png`, record.finishAt);
  return {
    common_attr: {
      id,
      effect_id: id,
      effect_type: 9,
      title: "",
      description: record.prompt,
      cover_url: imageUrl,
    },
    image: {
      format: "png",
      large_images: [{
        image_uri: `tos-cn-i-tb4s082cfz/${record.historyId}${index}`,
        image_url: imageUrl,
        width: record.width,
        height: record.height,
        format: "png",
      }],
    },
    item_id: id,
  };
}

/** The completed item list of `record` (built once; URLs are stable per record). */
function itemsOf(state: FakeState, record: RecordState): unknown[] {
  record.items ??= record.kind === "video"
    ? [videoItem(state, record, "preview")]
    : record.itemIds.map((_, index) => imageItem(state, record, index));
  return record.items;
}

/** The record as `aigc_data` and `get_history_by_ids` show it. */
export function recordJson(state: FakeState, record: RecordState, progress: Progress): unknown {
  const done = progress.status === 50 || progress.status === 30;
  return {
    generate_type: generateTypeCode(record),
    history_record_id: record.historyId,
    origin_history_record_id: null,
    created_time: record.submittedAt / 1000,
    status: progress.status,
    fail_code: progress.failCode,
    fail_starling_message: progress.failCode ? "内容不符合社区规范" : "",
    item_list: progress.items ? itemsOf(state, record) : [],
    origin_item_list: [],
    task: {
      task_id: record.historyId,
      submit_id: record.submitId,
      aid: 0,
      status: progress.status,
      finish_time: done ? Math.floor(record.finishAt / 1000) : 0,
      history_id: record.historyId,
      task_payload: null,
      original_input: null,
      req_first_frame_image: null,
    },
    ...queueJson(record, progress.queue),
  };
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.every((id) => typeof id === "string" && id !== "") ? value : undefined;
}

/** `POST /mweb/v1/get_history_by_ids`: `data` keyed by history id; others' records are absent. */
export function handleHistory(state: FakeState, session: SessionState, body: unknown): Reply {
  const where = "/mweb/v1/get_history_by_ids";
  const ids = stringList((body as Record<string, unknown> | null)?.history_ids);
  if (!ids) return rejectViolation(state, where, "history_ids must be a non-empty string array");
  const imageInfo = (body as Record<string, unknown>).image_info;
  if (imageInfo !== undefined && (imageInfo === null || typeof imageInfo !== "object")) {
    return rejectViolation(state, where, "image_info must be an object");
  }
  const now = state.options.now();
  const data: Record<string, unknown> = {};
  state.stats.historyCallSizes.push(ids.length);
  for (const id of ids) {
    state.stats.historyIdsPolled[id] = (state.stats.historyIdsPolled[id] ?? 0) + 1;
    const record = state.records.get(id);
    if (!record || record.sessionId !== session.id || now < record.visibleAt) continue;
    const progress = progressOf(record, state.knobs, now);
    if (progress.items && record.firstDeliveredAt === undefined) record.firstDeliveredAt = now;
    data[id] = recordJson(state, record, progress);
  }
  return mwebOk(state, data);
}

/**
 * `video.video_model` of a downloadable item (F3L, 2026-10 sheet §6): a JSON
 * string whose `video_list.video_N.main_url` are base64-encoded URLs of the
 * watermark-free files, a smaller one first.
 */
function videoModel(state: FakeState, record: RecordState): string {
  const entry = (n: number, variant: "nowm" | "nowm_small", definition: string) => {
    const url = cdnUrl(state, `/cdn/video/${record.historyId}/${variant}.mp4`, record.finishAt);
    return {
      definition,
      vtype: "mp4",
      main_url: btoa(url),
      backup_url_1: btoa(url),
      url_expire: Math.floor(record.finishAt / 1000) + 86_400,
      vid: `v0${record.historyId}${n}`,
    };
  };
  return JSON.stringify({
    video_id: `v0${record.historyId}`,
    video_duration: (record.durationMs ?? 0) / 1000,
    video_list: {
      video_1: entry(1, "nowm_small", "540p"),
      video_2: entry(2, "nowm", record.videoResolution ?? "720p"),
    },
  });
}

/**
 * `POST /mweb/v1/get_local_item_list`: items by id; a video with its
 * high-bitrate URL and, for an entitled account, its watermark-free files.
 */
export function handleLocalItems(state: FakeState, session: SessionState, body: unknown): Reply {
  const where = "/mweb/v1/get_local_item_list";
  const ids = stringList((body as Record<string, unknown> | null)?.item_id_list);
  if (!ids) return rejectViolation(state, where, "item_id_list must be a non-empty string array");
  const { pack_item_opt: pack, is_for_video_download: forDownload } = body as Record<
    string,
    unknown
  >;
  const option = pack as Record<string, unknown> | null | undefined;
  if (option?.scene !== 1 || option?.need_data_integrity !== true) {
    return rejectViolation(
      state,
      where,
      'pack_item_opt must be {"scene":1,"need_data_integrity":true}',
    );
  }
  if (forDownload !== true) {
    return rejectViolation(state, where, "is_for_video_download must be true");
  }
  if (state.knobs.localItemsFail) return retError(state, "1", "system busy, please retry");
  const now = state.options.now();
  const items: unknown[] = [];
  for (const id of ids) {
    const entry = state.items.get(id);
    if (!entry || entry.record.sessionId !== session.id) continue;
    const { record, index } = entry;
    if (!progressOf(record, state.knobs, now).items) continue;
    if (record.kind !== "video") {
      items.push(itemsOf(state, record)[index]);
      continue;
    }
    const item = videoItem(state, record, "hq");
    if (session.watermarkFree) item.video.video_model = videoModel(state, record);
    items.push(item);
  }
  return mwebOk(state, { item_list: items });
}
