/**
 * One signed call to the Jimeng web backend: common query parameters,
 * browser headers, cookies, `Sign`, a timeout, bounded retries with backoff
 * and jitter, and the response envelopes.
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import type { ProxySpec } from "../net/proxy.ts";
import type { Egress } from "./egress.ts";
import { errorFromRet, JimengError } from "./errors.ts";
import type { PageRouting } from "./page_routing.ts";
import type { ProtocolConstants } from "./protocol.ts";
import {
  parseSessionToken,
  type Region,
  regionHosts,
  regionInfo,
  siteName,
  type UpstreamHosts,
} from "./regions.ts";
import { computeSign } from "./sign.ts";

/** An upstream account as the client needs it. */
export interface Session {
  /** The token as configured, region prefix included. */
  token: string;
  region: Region;
  /** The bare upstream `sessionid` cookie value. */
  sessionId: string;
  /** `_tea_web_id` / `webId`: a 19-digit id starting with 7, stable per account. */
  webId: string;
  /** `uid_tt` cookie: 32 hex, stable per account. */
  userId: string;
  /**
   * The account's own proxy; `"direct"` = never through a proxy; absent or
   * `null` = the default proxy (`JIMENG_PROXY`) if there is one.
   */
  proxy?: ProxySpec | "direct" | null;
  /** Cookies imported from the account's browser, for its browser context. */
  cookies?: readonly SiteCookie[];
}

/** A browser cookie as imported (Playwright's `addCookies` shape). */
export interface SiteCookie {
  name: string;
  value: string;
  /** `.jianying.com`, `dreamina.capcut.com`, …; empty when the paste had no domains. */
  domain: string;
  path: string;
  /** Unix seconds; -1 for a session cookie. */
  expires: number;
  httpOnly: boolean;
  secure: boolean;
  sameSite?: "Strict" | "Lax" | "None";
}

/** What an account brings besides its token. */
export interface SessionOptions {
  /** The browser's `_tea_web_id` (imported cookies), instead of a derived one. */
  webId?: string;
  /** The browser's `uid_tt`, instead of a derived one. */
  userId?: string;
  proxy?: Session["proxy"];
  cookies?: readonly SiteCookie[];
}

// Fingerprint ids are derived per account with a per-process salt: stable
// while the process runs, not correlatable across accounts.
const PROCESS_SALT = randomBytes(16);

/** Builds a {@linkcode Session} from a configured token. */
export function createSession(token: string, options: SessionOptions = {}): Session {
  const { region, sessionId } = parseSessionToken(token);
  const digest = createHash("sha256").update(PROCESS_SALT).update(sessionId).digest();
  const webIdTail = digest.readBigUInt64BE(0) % 1_000_000_000_000_000_000n;
  const session: Session = {
    token,
    region,
    sessionId,
    webId: options.webId ?? `7${webIdTail.toString().padStart(18, "0")}`,
    userId: options.userId ?? digest.subarray(8, 24).toString("hex"),
  };
  if (options.proxy !== undefined) session.proxy = options.proxy;
  if (options.cookies !== undefined) session.cookies = options.cookies;
  return session;
}

/** Injectable effects, for tests and the benchmark. */
export interface UpstreamDeps {
  fetch: typeof fetch;
  /** Unix ms. */
  now: () => number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  /** Called after every upstream call, for metrics. */
  onCall?: (call: UpstreamCallInfo) => void;
}

/** What {@linkcode UpstreamDeps.onCall} reports. */
export interface UpstreamCallInfo {
  path: string;
  ok: boolean;
  /** `ret` or error kind when not ok. */
  code?: string;
  ms: number;
  /** How it went: directly, or from the site's page (the browser transport). */
  via?: "direct" | "page";
}

/** Settings of the upstream client. */
export interface UpstreamSettings {
  hosts: UpstreamHosts;
  protocol: ProtocolConstants;
  timeoutMs: number;
  /** Attempts per call, first included. @default 3 */
  attempts?: number;
  /** First backoff; doubles per attempt, with full jitter. @default 500 */
  backoffMs?: number;
}

/** The client's shared context. */
export interface UpstreamContext {
  settings: UpstreamSettings;
  deps: UpstreamDeps;
  /** Each account's proxy; without it every request goes directly. */
  egress?: Egress;
  /** The browser transport's routing; without it every call goes direct. */
  page?: PageRouting;
}

/** The `fetch` of a session: `deps.fetch` through the account's proxy, if it has one. */
export function sessionFetch(
  ctx: UpstreamContext,
  session: Pick<Session, "proxy">,
): typeof fetch {
  return ctx.egress ? ctx.egress.fetchFor(session, ctx.deps.fetch) : ctx.deps.fetch;
}

/** One call. */
export interface CallSpec {
  path: string;
  /** Which host of the region. @default "base" */
  host?: "base" | "commerce";
  /** JSON body; `undefined` sends an empty POST. */
  body?: unknown;
  /** Extra query parameters after the common ones. */
  query?: Record<string, string>;
  /** Page the request claims to come from; defaults to the site origin. */
  referer?: string;
  /**
   * Whether the call may be repeated after a network error, timeout or 5xx.
   * Only for calls that are idempotent upstream; a generate call is, because
   * the retry carries the same `submit_id`.
   * @default true
   */
  retry?: boolean;
  /**
   * `"ret"` unwraps the `{ret, data}` envelope; `"commerce"` too, taking the
   * payload from the JSON string `response` when `data` is empty (Dreamina).
   */
  envelope?: "ret" | "commerce";
  signal?: AbortSignal;
}

/** Sleeps `ms`; rejects with the signal's reason when aborted. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Default effects: real fetch, clock and timers. */
export function defaultDeps(): UpstreamDeps {
  return { fetch: globalThis.fetch, now: Date.now, sleep: abortableSleep, random: Math.random };
}

/** The common query parameters of a region (fact sheet 1.2). */
export function commonQuery(
  session: Session,
  protocol: ProtocolConstants,
): Record<string, string> {
  const info = regionInfo(session.region);
  if (!info.international) {
    return {
      aid: String(protocol.aidCn),
      device_platform: "web",
      region: info.queryRegion,
      webId: session.webId,
    };
  }
  // Dreamina: only one reference talks to it, and it sends its version
  // parameters on every call (added to get past ret 3018).
  return {
    aid: String(protocol.aidIntl),
    device_platform: "web",
    region: info.queryRegion,
    da_version: protocol.intlDaVersion,
    os: "windows",
    web_component_open_flag: "1",
    web_version: protocol.webVersion,
    aigc_features: protocol.aigcFeatures,
  };
}

/** The cookie header the web app sends (fact sheet 1.4). */
export function buildCookie(session: Session, nowS: number): string {
  const sid = session.sessionId;
  const guard = encodeURIComponent(`${sid}|${nowS}|5184000|Mon, 03-Feb-2025 08:17:09 GMT`)
    .replaceAll("%20", "+");
  const parts = [`_tea_web_id=${session.webId}`, "is_staff_user=false"];
  if (!regionInfo(session.region).international) {
    parts.push("store-region=cn-gd", "store-region-src=uid");
  }
  parts.push(
    `sid_guard=${guard}`,
    `uid_tt=${session.userId}`,
    `uid_tt_ss=${session.userId}`,
    `sid_tt=${sid}`,
    `sessionid=${sid}`,
    `sessionid_ss=${sid}`,
  );
  return parts.join("; ");
}

/** Builds URL and headers of one call (exported for tests). */
export function buildRequest(
  ctx: UpstreamContext,
  session: Session,
  spec: CallSpec,
): { url: string; init: RequestInit } {
  const { protocol, hosts } = ctx.settings;
  const info = regionInfo(session.region);
  const base = regionHosts(hosts, session.region)[spec.host ?? "base"];
  const query = new URLSearchParams({ ...commonQuery(session, protocol), ...spec.query });
  const deviceTime = Math.floor(ctx.deps.now() / 1000);
  const appVersion = info.international ? protocol.intlAppVersion : protocol.appVersion;
  const origin = info.international ? base : info.pageOrigin;
  const headers: Record<string, string> = {
    "Accept": "application/json, text/plain, */*",
    // Accept-Encoding is left to fetch, which then decodes what it asked for.
    "Accept-Language": "zh-CN,zh;q=0.9",
    "Cache-Control": "no-cache",
    "Pragma": "no-cache",
    "Priority": "u=1, i",
    "Appid": String(info.international ? protocol.aidIntl : protocol.aidCn),
    "Appvr": appVersion,
    "Pf": protocol.platform,
    "Device-Time": String(deviceTime),
    "Sign": computeSign({
      path: spec.path,
      platform: protocol.platform,
      appVersion,
      deviceTime,
    }),
    "Sign-Ver": "1",
    "Origin": origin,
    "Referer": spec.referer ?? origin,
    "Cookie": buildCookie(session, deviceTime),
    "User-Agent": protocol.userAgent,
    "Sec-Ch-Ua": protocol.secChUa,
    "Sec-Ch-Ua-Mobile": "?0",
    "Sec-Ch-Ua-Platform": '"Windows"',
    "Sec-Fetch-Dest": "empty",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "same-origin",
    "Content-Type": "application/json",
  };
  if (info.international) {
    headers["App-Sdk-Version"] = "48.0.0";
    headers["Lan"] = info.language;
    headers["Loc"] = session.region;
    headers["Tdid"] = "";
  }
  return {
    url: `${base}${spec.path}?${query}`,
    init: {
      method: "POST",
      headers,
      body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
    },
  };
}

function isAbortFrom(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Reads and parses a JSON answer; HTML or truncated bodies are upstream failures. */
async function readJson(response: Response, path: string, site: string): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (cause) {
    const kind = /^\s*</.test(text) ? "an HTML page" : "malformed JSON";
    throw new JimengError(
      "upstream_unavailable",
      `${site} answered ${kind} instead of JSON on ${path} (HTTP ${response.status})`,
      { cause, retriable: true },
    );
  }
}

/** Unwraps the `ret` envelope: `"0"` → `data`; no numeric `ret` → the body itself. */
export function unwrapEnvelope(body: unknown): unknown {
  if (body === null || typeof body !== "object") {
    throw new JimengError("bad_response", "Jimeng answered a body that is not a JSON object");
  }
  const ret = (body as { ret?: unknown }).ret;
  if (ret === undefined || ret === null || !/^-?\d+$/.test(String(ret))) return body;
  if (String(ret) === "0") return (body as { data?: unknown }).data ?? {};
  const errmsg = String((body as { errmsg?: unknown }).errmsg ?? "");
  throw errorFromRet(String(ret), errmsg);
}

/**
 * Reads an answer, direct or from the page, the same way: HTTP errors, then
 * the JSON, then (unless raw) the `ret` envelope.
 */
async function readAnswer(
  response: Response,
  spec: CallSpec,
  session: Session,
): Promise<unknown> {
  const site = siteName(session.region);
  if (response.status >= 400) {
    await response.body?.cancel();
    const kind = response.status === 429 ? "rate_limited" : "upstream_unavailable";
    throw new JimengError(kind, `${site} answered HTTP ${response.status} on ${spec.path}`, {
      code: `http_${response.status}`,
      retriable: response.status >= 500 || response.status === 429,
    });
  }
  const body = await readJson(response, spec.path, site);
  return spec.envelope === "commerce" ? unwrapCommerce(body) : unwrapEnvelope(body);
}

/**
 * The payload of a /commerce answer. CN sends it twice, as `data` and as the
 * JSON string `response`; Dreamina sends only the string, which is parsed
 * a second time (2026-10 sheet §8). Errors throw as {@linkcode unwrapEnvelope}'s.
 */
export function unwrapCommerce(body: unknown): unknown {
  const data = unwrapEnvelope(body);
  const response = (body as { response?: unknown } | null)?.response;
  const hasData = data !== null && typeof data === "object" && Object.keys(data).length > 0;
  if (hasData || typeof response !== "string") return data;
  try {
    return JSON.parse(response);
  } catch (cause) {
    throw new JimengError("bad_response", "Jimeng answered a credit payload that is not JSON", {
      cause,
    });
  }
}

async function attemptCall(
  ctx: UpstreamContext,
  session: Session,
  spec: CallSpec,
): Promise<unknown> {
  const { url, init } = buildRequest(ctx, session, spec);
  const timeout = AbortSignal.timeout(ctx.settings.timeoutMs);
  const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
  try {
    const response = await sessionFetch(ctx, session)(url, { ...init, signal });
    return await readAnswer(response, spec, session);
  } catch (error) {
    if (error instanceof JimengError) throw error;
    if (isAbortFrom(spec.signal)) throw spec.signal!.reason;
    if (timeout.aborted) {
      throw new JimengError(
        "timeout",
        `${
          siteName(session.region)
        } did not answer ${spec.path} within ${ctx.settings.timeoutMs} ms`,
        { cause: error },
      );
    }
    throw new JimengError(
      "upstream_unavailable",
      `Could not reach ${siteName(session.region)} for ${spec.path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Calls the upstream and returns the unwrapped payload: directly, or from the
 * site's page when the browser transport's routing says so.
 *
 * @throws {JimengError} on every upstream failure; the caller's abort reason
 * when `spec.signal` aborts
 */
export async function callUpstream<T = unknown>(
  ctx: UpstreamContext,
  session: Session,
  spec: CallSpec,
): Promise<T> {
  const page = ctx.page;
  const direct = () => callDirect(ctx, session, spec);
  if (!page) return await direct() as T;
  return await page.run({ session, path: spec.path, body: spec.body }, {
    direct,
    page: () => callFromPage(ctx, page, session, spec),
  }) as T;
}

/** One call from the site's page: no retries (the routing decides what follows a failure). */
async function callFromPage(
  ctx: UpstreamContext,
  page: PageRouting,
  session: Session,
  spec: CallSpec,
): Promise<unknown> {
  const started = ctx.deps.now();
  try {
    const response = await page.send(
      session,
      () => buildRequest(ctx, session, spec),
      spec.signal,
    );
    const result = await readAnswer(response, spec, session);
    ctx.deps.onCall?.({ path: spec.path, ok: true, ms: ctx.deps.now() - started, via: "page" });
    return result;
  } catch (error) {
    const code = error instanceof JimengError
      ? (error.code ?? error.kind)
      : isAbortFrom(spec.signal)
      ? "aborted"
      : "browser_unavailable";
    ctx.deps.onCall?.({
      path: spec.path,
      ok: false,
      code,
      ms: ctx.deps.now() - started,
      via: "page",
    });
    throw error;
  }
}

/** Calls directly, with bounded retries of what may pass on a second try. */
async function callDirect(
  ctx: UpstreamContext,
  session: Session,
  spec: CallSpec,
): Promise<unknown> {
  const attempts = spec.retry === false ? 1 : (ctx.settings.attempts ?? 3);
  const backoff = ctx.settings.backoffMs ?? 500;
  for (let attempt = 1;; attempt++) {
    const started = ctx.deps.now();
    try {
      const result = await attemptCall(ctx, session, spec);
      ctx.deps.onCall?.({ path: spec.path, ok: true, ms: ctx.deps.now() - started, via: "direct" });
      return result;
    } catch (error) {
      const code = error instanceof JimengError ? (error.code ?? error.kind) : "aborted";
      ctx.deps.onCall?.({
        path: spec.path,
        ok: false,
        code,
        ms: ctx.deps.now() - started,
        via: "direct",
      });
      const retriable = error instanceof JimengError && error.retriable;
      if (!retriable || attempt >= attempts) throw error;
      const delay = ctx.deps.random() * backoff * 2 ** (attempt - 1);
      await ctx.deps.sleep(delay, spec.signal);
    }
  }
}
