/**
 * The server's metrics: HTTP requests, upstream calls, generations in
 * flight, accounts and their credits, the media cache and (when the job
 * runner supplies them) jobs by state.
 * @module
 */
import type { Account } from "../accounts/pool.ts";
import type { UpstreamCallInfo } from "../jimeng/http.ts";
import { findModel } from "../jimeng/models.ts";
import type { PageRoutingStatus } from "../jimeng/page_routing.ts";
import type { MediaKind } from "../store/media.ts";
import { createRegistry, type Registry } from "./registry.ts";

/** Where scrape-time values come from. */
export interface MetricsSources {
  /** Upstream records being polled (submitted generations not finished yet). */
  pollerSize: () => number;
  /** The operator's accounts. */
  storedAccounts: () => readonly Account[];
  /** Bytes in the media cache. */
  mediaCacheBytes?: () => number;
  /** Jobs by state; the job runner supplies it. Nothing is emitted without it. */
  jobsByState?: () => Readonly<Record<string, number>>;
  /** The browser transport; nothing about it is emitted without it. */
  browser?: () => PageRoutingStatus;
  now?: () => number;
}

/** One answered HTTP request. */
export interface RequestObservation {
  /** The route pattern (e.g. `/v1/images/generations`), never the raw path. */
  route: string;
  method: string;
  model: string | null;
  status: number;
  seconds: number;
}

/** What an API call was, for `jimeng_api_requests_total`. */
export type ApiRequestClass = "generation" | "read" | "refused";

/** The server's metrics. */
export interface ServerMetrics {
  readonly registry: Registry;
  requestStarted(): void;
  requestFinished(observation: RequestObservation): void;
  /**
   * Counts an API call by class: a generation (a usage record), a read
   * (status, results, lists), or refused before authentication (bad or
   * missing credentials, rate limit) — the last two are in no statistics.
   */
  apiRequest(kind: ApiRequestClass): void;
  /** The Jimeng client's `onCall` hook. */
  upstreamCall(call: UpstreamCallInfo): void;
  /** Remembers accounts that served requests (Bearer accounts are not in the pool's list). */
  noteAccounts(accounts: readonly Account[]): void;
  mediaDownload(kind: MediaKind, outcome: "ok" | "error", bytes: number): void;
  mediaEvicted(files: number): void;
  /**
   * The exposition text. Without `perAccount`, only aggregate series: no
   * series per account, whose labels and balances are other clients' business.
   */
  render(options?: { perAccount?: boolean }): string;
}

/** Latency buckets in seconds: fast routes up to multi-minute generations. */
const LATENCY_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
const UPSTREAM_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Bearer accounts remembered for the account gauges. */
const MAX_NOTED_ACCOUNTS = 1000;

/** Methods counted by name; any other token a client sends is `other`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Distinct values one client-influenced label may take before the rest become `other`. */
const MAX_LABEL_VALUES = 100;

/**
 * A label value a client can influence, from a bounded set: `accept` says
 * whether a value is legitimate at all, and at most `max` distinct values are
 * ever kept (every series lives as long as the process).
 */
function boundedLabel(accept: (value: string) => boolean, max = MAX_LABEL_VALUES) {
  const seen = new Set<string>();
  return (value: string): string => {
    if (seen.has(value)) return value;
    if (!accept(value) || seen.size >= max) return "other";
    seen.add(value);
    return value;
  };
}

/** The browser transport's metrics. */
function browserMetrics(registry: Registry) {
  const modes = registry.gauge(
    "jimeng_browser_transport_mode",
    "JIMENG_BROWSER_TRANSPORT in effect (1 for the current mode)",
    ["mode"],
  );
  const running = registry.gauge("jimeng_browser_running", "Whether Chromium is running (0 or 1)");
  const pages = registry.gauge("jimeng_browser_pages", "Accounts with an open site page");
  const routes = registry.gauge(
    "jimeng_browser_routes",
    "Routes (site, endpoint, model) remembered to go through the site's page",
  );
  const launches = registry.counter("jimeng_browser_launches_total", "Chromium launches");
  const blocked = registry.counter(
    "jimeng_browser_blocked_requests_total",
    "Requests of the site page the browser transport did not allow",
  );
  const calls = registry.counter(
    "jimeng_browser_calls_total",
    "Upstream calls sent from the site's page, by path and outcome (ok or failed)",
    ["path", "outcome"],
  );
  let seen = { launches: 0, blocked: 0 };
  return {
    collect(status: PageRoutingStatus): void {
      modes.reset();
      for (const mode of ["off", "auto", "always"]) {
        modes.set({ mode }, mode === status.mode ? 1 : 0);
      }
      running.set({}, status.browser.running ? 1 : 0);
      pages.set({}, status.browser.pages);
      routes.set({}, status.routes);
      launches.inc({}, Math.max(0, status.browser.launches - seen.launches));
      blocked.inc({}, Math.max(0, status.browser.blockedRequests - seen.blocked));
      seen = { launches: status.browser.launches, blocked: status.browser.blockedRequests };
    },
    call(call: UpstreamCallInfo): void {
      calls.inc({ path: call.path, outcome: call.ok ? "ok" : "failed" });
    },
  };
}

/** Creates the metrics. */
export function createServerMetrics(sources: MetricsSources): ServerMetrics {
  const registry = createRegistry();
  const requests = registry.counter(
    "jimeng_http_requests_total",
    "HTTP requests answered, by route, method, model and status",
    ["route", "method", "model", "status"],
  );
  const apiRequests = registry.counter(
    "jimeng_api_requests_total",
    "/v1 calls by class: generation (recorded in the usage log and statistics), read (status, results, lists) or refused (before authentication: credentials or rate limit)",
    ["class"],
  );
  const latency = registry.histogram(
    "jimeng_http_request_duration_seconds",
    "HTTP request latency (streams: until the stream ends), by route",
    ["route"],
    LATENCY_BUCKETS,
  );
  const inFlightRequests = registry.gauge(
    "jimeng_http_requests_in_flight",
    "HTTP requests being answered",
  );
  const upstreamCalls = registry.counter(
    "jimeng_upstream_calls_total",
    "Calls to the Jimeng upstream (each retry counts), by path",
    ["path"],
  );
  const upstreamErrors = registry.counter(
    "jimeng_upstream_errors_total",
    "Failed calls to the Jimeng upstream, by path and code (ret, HTTP status or error kind)",
    ["path", "code"],
  );
  const upstreamLatency = registry.histogram(
    "jimeng_upstream_call_duration_seconds",
    "Latency of one upstream call, by path",
    ["path"],
    UPSTREAM_BUCKETS,
  );
  const generations = registry.gauge(
    "jimeng_generations_in_flight",
    "Generations submitted upstream whose result is awaited",
  );
  const accountInFlight = registry.gauge(
    "jimeng_account_in_flight",
    "Generations in flight per account",
    ["account"],
  );
  const accountCredits = registry.gauge(
    "jimeng_account_credits",
    "Credits remaining per account (last known balance)",
    ["account"],
  );
  const accountStates = registry.gauge(
    "jimeng_accounts",
    "Known accounts by state",
    ["state"],
  );
  const creditsRemaining = registry.gauge(
    "jimeng_credits_remaining",
    "Credits remaining on all known accounts together (last known balances)",
  );
  const perAccountFamilies = new Set(["jimeng_account_in_flight", "jimeng_account_credits"]);
  const mediaBytes = registry.gauge("jimeng_media_cache_bytes", "Bytes in the media cache");
  const mediaDownloads = registry.counter(
    "jimeng_media_downloads_total",
    "Downloads of generated media into the cache, by kind and outcome",
    ["kind", "outcome"],
  );
  const mediaDownloadBytes = registry.counter(
    "jimeng_media_download_bytes_total",
    "Bytes downloaded into the media cache",
  );
  const mediaEvictions = registry.counter(
    "jimeng_media_evictions_total",
    "Files evicted from the media cache",
  );
  const jobs = sources.jobsByState
    ? registry.gauge("jimeng_jobs", "Jobs by state", ["state"])
    : undefined;
  const browser = sources.browser ? browserMetrics(registry) : undefined;

  let inFlight = 0;
  const noted = new Map<string, Account>();
  const methodLabel = boundedLabel((method) => METHODS.has(method));
  // Route patterns come from the application's own routes; the bound is a second line.
  const routeLabel = boundedLabel((route) => route.startsWith("/") || route === "unmatched");
  const modelLabel = boundedLabel((model) => findModel(model)?.id === model);
  const statusLabel = boundedLabel((status) => /^[1-5]\d\d$/.test(status));

  registry.collect(() => {
    inFlightRequests.set({}, inFlight);
    generations.set({}, sources.pollerSize());
    const accounts = new Map(noted);
    for (const account of sources.storedAccounts()) accounts.set(account.key, account);
    accountInFlight.reset();
    accountCredits.reset();
    accountStates.reset();
    const states = { ok: 0, cooling: 0, expired: 0, disabled: 0 };
    const now = (sources.now ?? Date.now)();
    let credits = 0;
    for (const account of accounts.values()) {
      // A Bearer value is a client's word: it gets its own series only while it is busy or
      // once the upstream confirmed it (a balance was read) and it is alive; the states
      // count them all.
      const confirmed = account.source === "stored" || account.inFlight > 0 ||
        (account.credits !== null && !account.expired);
      if (confirmed) {
        accountInFlight.set({ account: account.label }, account.inFlight);
        if (account.credits) {
          accountCredits.set({ account: account.label }, account.credits.total);
        }
      }
      if (account.credits) credits += account.credits.total;
      if (account.disabled) states.disabled++;
      else if (account.expired) states.expired++;
      else if (account.coolingUntil > now) states.cooling++;
      else states.ok++;
    }
    for (const [state, count] of Object.entries(states)) accountStates.set({ state }, count);
    creditsRemaining.set({}, credits);
    if (sources.mediaCacheBytes) mediaBytes.set({}, sources.mediaCacheBytes());
    if (jobs && sources.jobsByState) {
      jobs.reset();
      for (const [state, count] of Object.entries(sources.jobsByState())) {
        jobs.set({ state }, count);
      }
    }
    if (browser && sources.browser) browser.collect(sources.browser());
  });

  return {
    registry,
    requestStarted() {
      inFlight++;
    },
    requestFinished({ route, method, model, status, seconds }) {
      inFlight--;
      const routeValue = routeLabel(route);
      requests.inc({
        route: routeValue,
        method: methodLabel(method),
        model: model === null ? "" : modelLabel(model),
        status: statusLabel(String(status)),
      });
      latency.observe({ route: routeValue }, seconds);
    },
    apiRequest(kind) {
      apiRequests.inc({ class: kind });
    },
    upstreamCall(call) {
      upstreamCalls.inc({ path: call.path });
      upstreamLatency.observe({ path: call.path }, call.ms / 1000);
      if (!call.ok) upstreamErrors.inc({ path: call.path, code: call.code ?? "unknown" });
      if (call.via === "page") browser?.call(call);
    },
    noteAccounts(accounts) {
      for (const account of accounts) {
        if (account.source === "stored") continue;
        noted.delete(account.key);
        noted.set(account.key, account);
        if (noted.size > MAX_NOTED_ACCOUNTS) noted.delete(noted.keys().next().value!);
      }
    },
    mediaDownload(kind, outcome, bytes) {
      mediaDownloads.inc({ kind, outcome });
      if (bytes > 0) mediaDownloadBytes.inc({}, bytes);
    },
    mediaEvicted(files) {
      if (files > 0) mediaEvictions.inc({}, files);
    },
    render: (options = {}) =>
      registry.render(options.perAccount ? {} : { omit: perAccountFamilies }),
  };
}
