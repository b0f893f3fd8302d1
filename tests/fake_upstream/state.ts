/**
 * Everything the fake remembers: sessions, history records, upload slots and
 * STS keys, the runtime knobs and the counters tests read. Plain data plus a
 * few lookups; the HTTP handlers own the behaviour.
 * @module
 */
import type { FakeCatalogModel, ImageTier, Region } from "./models.ts";
import { mulberry32 } from "../helpers/prng.ts";

/** Failure modes `knobs.faults` can inject. */
export type FaultKind = "5xx" | "hang" | "reset" | "truncated" | "html" | "slow";

/** Runtime knobs; mutate them on `FakeUpstream.knobs` at any time. */
export interface FakeKnobs {
  /** Run time of an image record: from the end of its queue (or its submit) to completion. */
  imageLatencyMs: number;
  /** Same for video. */
  videoLatencyMs: number;
  /**
   * Time a new record waits in the upstream queue before it runs (status 20
   * with `queue_info` counting down and `forecast_queue_cost`). @default 0
   */
  queueMs: number;
  /** `queue_info.queue_length` of a queued record; its `queue_idx` counts down from it. @default 10 */
  queueLength: number;
  /**
   * Each record's queue and run time are scaled by a factor drawn uniformly
   * from [1 − jitter, 1 + jitter] (seeded, see `seed`). @default 0
   */
  jitter: number;
  /** A prompt containing one ends as status 30, fail_code "2038". @default ["forbidden-word"] */
  bannedWords: string[];
  /** A new record is absent from `get_history_by_ids` for this long. @default 0 */
  historyLagMs: number;
  /** Items appear while the status is still 45 (observed upstream). @default false */
  itemsBeforeFinal: boolean;
  /** Fraction of /mweb calls answered ret "1019" "shark not pass". @default 0 */
  antiBotRate: number;
  /** Request keys taken offline: a submit for one answers ret "2061" "模型已不可用". @default [] */
  offlineModels: string[];
  /**
   * The model catalog (`get_common_config`, 2026-10 sheet §3): models only it
   * knows (generate accepts them too), request keys it marks unavailable
   * (`model_status` 1; a submit answers 2061), and whether its calls fail.
   */
  catalog: { extraModels: FakeCatalogModel[]; unavailable: string[]; fail: boolean };
  /** Injected transport faults; `pathPattern` is tested against the stats key and the path. */
  faults: { rate: number; kinds: FaultKind[]; pathPattern?: RegExp; afterProcessing?: boolean };
  /** Fraction of CDN downloads answered 404/500. @default 0 */
  cdnFailRate: number;
  /** `get_local_item_list` answers a business error (ret "1"), as a flaky upstream would. @default false */
  localItemsFail: boolean;
  /**
   * Seed of the PRNGs behind faults, anti-bot and CDN failures, and (a stream
   * of its own) record timings; changing it reseeds. @default 1
   */
  seed: number;
  /**
   * Risk control (fact sheet 2026-10 §4): CN Seedance 2.0 / 2.0 Fast submits and every Dreamina
   * write need the site page's signature (`msToken` + `a_bogus`), else ret 4013 / -6; a signature
   * that does not verify is refused on any call. `false` = the upstream before 2026-02. @default true
   */
  riskControl: boolean;
  /** Time the site page's security script takes to get ready, ms. @default 150 */
  pageScriptDelayMs: number;
  /** URLs the site page also references (scripts, frames, a fetch): the browser must not load them. */
  pageExtraResources: string[];
}

/** Counters tests read. */
export interface FakeStats {
  /** Requests by route: the path for web calls, `imagex:<Action>`, `vod:<Action>`, `upload`, `cdn`, `unknown`. */
  calls: Record<string, number>;
  /** submit_id → generate calls that carried it (faulted-before-processing calls excluded). */
  submits: Record<string, number>;
  /** history id → how many times a poll asked for it. */
  historyIdsPolled: Record<string, number>;
  /** How many ids each valid `get_history_by_ids` call asked for, in call order. */
  historyCallSizes: number[];
  /** Every request rejected for a protocol violation, with the reason. */
  violations: string[];
  /** Completed byte uploads (ImageX and VOD). */
  uploads: number;
  /** Of those, the ones to a VOD upload address. */
  vodUploads: number;
  faultsInjected: number;
  /** Calls answered ret "1019" by the anti-bot knob. */
  antiBotRejections: number;
  /** Records created (idempotent repeats excluded). */
  recordsCreated: number;
  /** Site pages served. */
  pageLoads: number;
  /** Calls by path that carried a valid page signature. */
  signedCalls: Record<string, number>;
  /** Calls by path refused by risk control (ret 4013 / -6). */
  riskRefusals: Record<string, number>;
  /** Page signatures that did not verify, with the reason. */
  badSignatures: string[];
}

/** What a record is. */
export type RecordKind = "image" | "video";

/** A history record as tests see it (a snapshot; `status` is computed at call time). */
export interface FakeRecord {
  historyId: string;
  submitId: string;
  sessionId: string;
  kind: RecordKind;
  /** `root_model`. */
  model: string;
  /** `generate`, `blend` or `gen_video`. */
  generateType: string;
  prompt: string;
  status: number;
  /** `"2038"` once a banned-word record failed, else `""`. */
  failCode: string;
  /** Unix ms. */
  submittedAt: number;
  /** When the record leaves the queue and starts to run (its submit time without a queue). */
  runStartAt: number;
  /** When the record reaches its final status (50, or 30 for a banned prompt). */
  finishAt: number;
  /** When the record starts appearing in `get_history_by_ids` (history lag). */
  visibleAt: number;
  /** First poll that returned it completed. */
  firstDeliveredAt?: number;
  credits: number;
  itemCount: number;
  /** Image: the `gen_option.gen_count` sent, `null` when the request had none. */
  genCount: number | null;
  /** Image: requested size; video: 0. */
  width: number;
  height: number;
  resolutionType?: ImageTier;
  durationMs?: number;
  videoResolution?: string;
  aspectRatio?: string;
  /** Uploaded image URIs (and, for omni references, Vids) the request referenced. */
  inputUris: string[];
  /** Omni-reference videos: the materials in order (kind, URI or Vid, VOD's seconds). */
  materials?: { kind: "image" | "video" | "audio"; id: string; duration?: number }[];
}

/** A record plus internals. */
export interface RecordState extends FakeRecord {
  /** Run time (queue excluded). */
  latencyMs: number;
  /** `queue_length` while queued (0: never queued). */
  queueLength: number;
  /** Shares of the run time at which status 20 turns 42, and 42 turns 45 (they vary by record). */
  statusAt: { running: number; finalizing: number };
  banned: boolean;
  itemIds: string[];
  /** Completed item list, built once (URLs are stable per record). */
  items?: unknown[];
}

/** Options of one session. */
export interface FakeSessionOptions {
  /** Gift credits. @default 100 */
  credits?: number;
  /** ret "1015" on /mweb and /commerce; passport user_id 0. */
  expired?: boolean;
  /** 2k/4k image requests → ret "1006" even with credits; 1k OK. */
  freeTier?: boolean;
  /** Site of the account; the sessionid is the bare id (no `us-` prefix). @default "cn" */
  region?: Region;
  /** credit_receive amount once per Asia/Shanghai day. @default 66 */
  dailyGift?: number;
  /**
   * Entitled to watermark-free videos: `get_local_item_list` then lists them
   * in `video.video_model` (2026-10 sheet §6). @default false
   */
  watermarkFree?: boolean;
}

/** A committed upload. */
export interface CommittedImage {
  uri: string;
  width: number;
  height: number;
  format: string;
  /** Bytes contained `RISKY-IMAGE` (algo_proxy answers ret "2003"). */
  risky: boolean;
}

/** A file committed through the fake's VOD. */
export interface CommittedMedia {
  vid: string;
  kind: "video" | "audio";
  format: string;
  /** Seconds, as VOD reports it. */
  duration: number;
  width: number;
  height: number;
}

/** One account. */
export interface SessionState {
  id: string;
  region: Region;
  credits: number;
  expired: boolean;
  freeTier: boolean;
  dailyGift: number;
  watermarkFree: boolean;
  userId: number;
  nickname: string;
  /** Asia/Shanghai day number of the last credit_receive that paid out. */
  lastReceiveDay?: number;
  committed: Map<string, CommittedImage>;
  /** Vid → what VOD read from it. */
  media: Map<string, CommittedMedia>;
  /** submit_id → record, for idempotent resubmission. */
  submits: Map<string, RecordState>;
  /** What `workspace/list` answers (a number, as in the captures). */
  workspaceId: number;
  /** The `_tea_web_id` cookies the session's calls carried. */
  webIds: Set<string>;
}

/** What `FakeUpstream.session()` returns. */
export interface FakeSessionView {
  id: string;
  region: Region;
  credits: number;
  expired: boolean;
  freeTier: boolean;
  dailyGift: number;
  userId: number;
  lastReceiveDay?: number;
  /** URIs committed through the fake's ImageX. */
  committedUris: string[];
  /** Files committed through the fake's VOD. */
  media: CommittedMedia[];
  /** History ids of this session's records. */
  historyIds: string[];
  /** The workspace `workspace/list` names. */
  workspaceId: number;
  /** The `_tea_web_id` cookies its calls carried. */
  webIds: string[];
}

/** STS keys issued by get_upload_token. */
export interface StsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  sessionId: string;
  region: Region;
  expiresAt: number;
  /** `get_upload_token` scene: 2 = ImageX, 1 = VOD. */
  scene: 1 | 2;
}

/** One ApplyImageUpload or ApplyUploadInner, followed through upload and commit. */
export interface UploadSlot {
  /** Which service handed it out. @default "imagex" */
  service?: "imagex" | "vod";
  /** VOD: the Vid the apply announced. */
  vid?: string;
  storeUri: string;
  auth: string;
  sessionKey: string;
  sessionId: string;
  accessKeyId: string;
  fileSize: number;
  expiresAt: number;
  /** Set once the bytes arrived; dropped after commit. */
  bytes?: Uint8Array;
  committed: boolean;
}

/** Resolved server options. */
export interface ResolvedOptions {
  now: () => number;
  verifySign: boolean;
  minAppVersion?: string;
  deviceTimeSkewS: number;
}

/** One load of the site page: what its security script derives its key from. */
export interface PageTicket {
  /** Secret behind the page's stylesheet values. */
  secret: string;
  /** The `sessionid` cookie the page was loaded with, if any. */
  sessionId?: string;
}

/** The whole mutable state. */
export interface FakeState {
  options: ResolvedOptions;
  /** Filled in once the server listens. */
  url: string;
  host: string;
  knobs: FakeKnobs;
  stats: FakeStats;
  sessions: Map<string, SessionState>;
  records: Map<string, RecordState>;
  /** item id → record and index. */
  items: Map<string, { record: RecordState; index: number }>;
  stsKeys: Map<string, StsKeys>;
  uploadsByUri: Map<string, UploadSlot>;
  uploadsByKey: Map<string, UploadSlot>;
  /** Secret of the CDN URL signatures. */
  cdnSecret: string;
  /** Site page loads by `msToken` (oldest dropped beyond a bound). */
  pageTickets: Map<string, PageTicket>;
  /** Monotonic counter for ids. */
  seq: number;
  random: () => number;
  /** Draws for record timings (status changes, jitter): a stream apart from `random`. */
  timingRandom: () => number;
}

/** Fresh counters. */
export function createStats(): FakeStats {
  return {
    calls: {},
    submits: {},
    historyIdsPolled: {},
    historyCallSizes: [],
    violations: [],
    uploads: 0,
    vodUploads: 0,
    faultsInjected: 0,
    antiBotRejections: 0,
    recordsCreated: 0,
    pageLoads: 0,
    signedCalls: {},
    riskRefusals: {},
    badSignatures: [],
  };
}

/** Adds one to `counter[key]`. */
export function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

/**
 * A PRNG that follows `knobs.seed`, reseeding whenever the knob changes;
 * `salt` makes an independent stream for the same seed.
 */
export function seededRandom(knobs: FakeKnobs, salt = 0): () => number {
  let seed = knobs.seed;
  let next = mulberry32(seed ^ salt);
  return () => {
    if (knobs.seed !== seed) {
      seed = knobs.seed;
      next = mulberry32(seed ^ salt);
    }
    return next();
  };
}

/** Creates a session record from options. */
export function createSession(
  id: string,
  options: FakeSessionOptions,
  userId: number,
): SessionState {
  return {
    id,
    region: options.region ?? "cn",
    credits: options.credits ?? 100,
    expired: options.expired ?? false,
    freeTier: options.freeTier ?? false,
    dailyGift: options.dailyGift ?? 66,
    watermarkFree: options.watermarkFree ?? false,
    userId,
    nickname: `fake-user-${id.slice(0, 6)}`,
    committed: new Map(),
    media: new Map(),
    submits: new Map(),
    workspaceId: 249_000_000_000 + (userId % 1_000_000_000),
    webIds: new Set(),
  };
}

/** A read-only view of a session. */
export function viewSession(session: SessionState): FakeSessionView {
  return {
    id: session.id,
    region: session.region,
    credits: session.credits,
    expired: session.expired,
    freeTier: session.freeTier,
    dailyGift: session.dailyGift,
    userId: session.userId,
    lastReceiveDay: session.lastReceiveDay,
    committedUris: [...session.committed.keys()],
    media: [...session.media.values()],
    historyIds: [...session.submits.values()].map((record) => record.historyId),
    workspaceId: session.workspaceId,
    webIds: [...session.webIds],
  };
}

const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** Day number in Asia/Shanghai (UTC+8, no DST) of `ms`. */
export function shanghaiDay(ms: number): number {
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS);
}

/** Unix seconds of the last second of Shanghai day `day` (credit expiry). */
export function shanghaiDayEndS(day: number): number {
  return Math.floor(((day + 1) * DAY_MS - SHANGHAI_OFFSET_MS) / 1000) - 1;
}

/** Random lower-case hex. */
export function randomHex(bytes: number): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const byte of buffer) out += byte.toString(16).padStart(2, "0");
  return out;
}

/** Random base64 (with `+/=`, like the real SessionKey). */
export function randomBase64(bytes: number): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(bytes))));
}
