/**
 * A faithful fake of the Jimeng / Dreamina web backend on one loopback port:
 * /mweb, /commerce, /passport, ImageX, the upload host and the CDN. Tests and
 * the benchmark start it with {@linkcode startFakeUpstream}.
 * @module
 */
import { handleCdn } from "./cdn.ts";
import { answerWithFault, createLifetime, pickFault, releaseAll, toResponse } from "./faults.ts";
import { snapshotRecord } from "./history.ts";
import { handleImagex, handleUpload } from "./imagex.ts";
import { handleVod, isVodAction } from "./vod.ts";
import { hash32 } from "./media.ts";
import { jsonReply, notFound, rejectViolation, type Reply, retError } from "./reply.ts";
import { WEB_ROUTES } from "./routes.ts";
import {
  bump,
  createSession,
  createStats,
  type FakeKnobs,
  type FakeRecord,
  type FakeSessionOptions,
  type FakeSessionView,
  type FakeState,
  type FakeStats,
  randomHex,
  seededRandom,
  viewSession,
} from "./state.ts";
import { checkWebRequest } from "./validate.ts";
import { AID_INTL } from "./models.ts";
import { checkRiskControl } from "./risk_control.ts";
import { handleSecsdk, handleSitePage } from "./site_page.ts";

export type {
  FakeKnobs,
  FakeRecord,
  FakeSessionOptions,
  FakeSessionView,
  FakeStats,
  FaultKind,
} from "./state.ts";
export { fakePngBytes, fakeVideoBytes } from "./media.ts";

/** Options of {@linkcode startFakeUpstream}. */
export interface FakeUpstreamOptions {
  /** Port on 127.0.0.1. @default 0 (ephemeral) */
  port?: number;
  /** Initial `knobs.imageLatencyMs`. @default 0 */
  imageLatencyMs?: number;
  /** Initial `knobs.videoLatencyMs`. @default 0 */
  videoLatencyMs?: number;
  /** Initial `knobs.queueMs`. @default 0 */
  queueMs?: number;
  /** Clock (ms) for Device-Time and SigV4 checks, credit days, record progress, URL expiry. */
  now?: () => number;
  /** Check the `Sign` header. @default true */
  verifySign?: boolean;
  /** If set, an `Appvr` below it gets ret "3018" "permission denied" on /mweb and /commerce. */
  minAppVersion?: string;
  /** Allowed |Device-Time − now| in seconds. @default 300 */
  deviceTimeSkewS?: number;
  /** Initial `knobs.seed`. @default 1 */
  seed?: number;
}

/** A running fake. */
export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`: every host of every region. */
  url: string;
  /** `127.0.0.1:<port>`. */
  host: string;
  knobs: FakeKnobs;
  stats: FakeStats;
  addSession(sessionId: string, options?: FakeSessionOptions): void;
  /** A snapshot of a session; throws `RangeError` for an unknown id. */
  session(sessionId: string): FakeSessionView;
  setCredits(sessionId: string, credits: number): void;
  expire(sessionId: string): void;
  record(historyId: string): FakeRecord | undefined;
  records(): FakeRecord[];
  resetStats(): void;
  /** Stops the server, releasing hung requests. */
  close(): Promise<void>;
}

function defaultKnobs(options: FakeUpstreamOptions): FakeKnobs {
  return {
    imageLatencyMs: options.imageLatencyMs ?? 0,
    videoLatencyMs: options.videoLatencyMs ?? 0,
    queueMs: options.queueMs ?? 0,
    queueLength: 10,
    jitter: 0,
    bannedWords: ["forbidden-word"],
    historyLagMs: 0,
    itemsBeforeFinal: false,
    antiBotRate: 0,
    offlineModels: [],
    catalog: { extraModels: [], unavailable: [], fail: false },
    faults: { rate: 0, kinds: [] },
    cdnFailRate: 0,
    localItemsFail: false,
    seed: options.seed ?? 1,
    riskControl: true,
    pageScriptDelayMs: 150,
    pageExtraResources: [],
  };
}

/** The stats key of a request: its path for web calls, else the kind of host it addresses. */
function callKey(url: URL): string {
  const path = url.pathname;
  if (WEB_ROUTES.has(path)) return path;
  if (path === "/" && url.searchParams.has("Action")) {
    const action = url.searchParams.get("Action");
    return `${isVodAction(action) ? "vod" : "imagex"}:${action}`;
  }
  if (path.startsWith("/upload/v1/")) return "upload";
  if (path.startsWith("/cdn/")) return "cdn";
  if (path.startsWith("/ai-tool/")) return "page";
  if (path.startsWith("/secsdk/")) return "secsdk";
  return /^\/(mweb|commerce|passport)\//.test(path) ? path : "unknown";
}

const decoder = new TextDecoder();

function parseJsonBody(bytes: Uint8Array): { body?: unknown; error?: string } {
  const text = decoder.decode(bytes);
  if (text.trim() === "") return {};
  try {
    return { body: JSON.parse(text) };
  } catch {
    return { error: "body is not JSON" };
  }
}

function handleWeb(state: FakeState, req: Request, url: URL, bytes: Uint8Array): Reply {
  const route = WEB_ROUTES.get(url.pathname);
  if (!route) return notFound(url.pathname);
  // Dreamina's hosts have no passport account call: the real ones answer 404 to it.
  if (route.family === "passport" && url.searchParams.get("aid") === String(AID_INTL)) {
    return notFound(url.pathname);
  }
  const check = checkWebRequest(state, req, url, route.family);
  if (check.reply) return check.reply;
  if (route.family === "mweb" && state.knobs.antiBotRate > 0) {
    if (state.random() < state.knobs.antiBotRate) {
      state.stats.antiBotRejections++;
      return retError(state, "1019", "shark not pass");
    }
  }
  const { body, error } = parseJsonBody(bytes);
  if (error) return rejectViolation(state, url.pathname, error);
  const refused = checkRiskControl(state, req, url, decoder.decode(bytes), body, check.session);
  if (refused) return refused;
  return route.handle(state, check.session, body, url);
}

function dispatch(state: FakeState, req: Request, url: URL, bytes: Uint8Array): Reply {
  const path = url.pathname;
  if (path === "/" && isVodAction(url.searchParams.get("Action"))) {
    return handleVod(state, req, url, bytes);
  }
  if (path === "/" && url.searchParams.has("Action")) return handleImagex(state, req, url, bytes);
  if (path.startsWith("/upload/v1/")) return handleUpload(state, req, url, bytes);
  if (path.startsWith("/cdn/")) return handleCdn(state, req, url);
  if (req.method === "GET" && path.startsWith("/ai-tool/")) return handleSitePage(state, req);
  if (req.method === "GET" && path.startsWith("/secsdk/")) return handleSecsdk(state, url);
  return handleWeb(state, req, url, bytes);
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeUpstream(
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const knobs = defaultKnobs(options);
  const state: FakeState = {
    options: {
      now: options.now ?? Date.now,
      verifySign: options.verifySign ?? true,
      minAppVersion: options.minAppVersion,
      deviceTimeSkewS: options.deviceTimeSkewS ?? 300,
    },
    url: "",
    host: "",
    knobs,
    stats: createStats(),
    sessions: new Map(),
    records: new Map(),
    items: new Map(),
    stsKeys: new Map(),
    uploadsByUri: new Map(),
    uploadsByKey: new Map(),
    cdnSecret: randomHex(16),
    pageTickets: new Map(),
    seq: 0,
    random: seededRandom(knobs),
    timingRandom: seededRandom(knobs, 0x7f4a7c15),
  };
  const lifetime = createLifetime();

  async function handler(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const key = callKey(url);
    bump(state.stats.calls, key);
    // The body is read before any fault: a failing proxy has received the request too.
    const bytes = new Uint8Array(await req.arrayBuffer());
    const run = () => Promise.resolve(dispatch(state, req, url, bytes));
    const fault = pickFault(state, key, url.pathname);
    if (fault) return await answerWithFault(state, lifetime, fault, run, req.signal);
    return toResponse(await run());
  }

  const listening = Promise.withResolvers<void>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => listening.resolve(),
    onError(error) {
      console.error("fake upstream: handler failed:", error);
      return toResponse(jsonReply({ error: "fake_upstream_bug", message: String(error) }, 500));
    },
  }, handler);
  await listening.promise;
  state.host = `127.0.0.1:${server.addr.port}`;
  state.url = `http://${state.host}`;

  const sessionOf = (sessionId: string) => {
    const session = state.sessions.get(sessionId);
    if (!session) throw new RangeError(`Unknown fake session "${sessionId}"`);
    return session;
  };

  return {
    url: state.url,
    host: state.host,
    knobs,
    stats: state.stats,
    addSession(sessionId, sessionOptions = {}) {
      // A stable, non-zero user id per session id.
      const userId = 1_000_000_000 + hash32(sessionId);
      state.sessions.set(sessionId, createSession(sessionId, sessionOptions, userId));
    },
    session: (sessionId) => viewSession(sessionOf(sessionId)),
    setCredits(sessionId, credits) {
      sessionOf(sessionId).credits = credits;
    },
    expire(sessionId) {
      sessionOf(sessionId).expired = true;
    },
    record(historyId) {
      const record = state.records.get(historyId);
      return record && snapshotRecord(state, record);
    },
    records: () => [...state.records.values()].map((record) => snapshotRecord(state, record)),
    resetStats() {
      // In place, so references tests hold stay live.
      Object.assign(state.stats, createStats());
    },
    async close() {
      releaseAll(lifetime);
      await server.shutdown();
    },
  };
}
