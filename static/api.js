/**
 * Every request the console makes goes through this module: JSON in and out,
 * the session cookie (`credentials: "same-origin"`), the CSRF token on
 * state-changing calls, the server's error message in thrown errors, and a
 * 401 of the console's own session turned into "go to the login page". A
 * 401 from the OpenAI API (`/v1`) is only that when the server did not see the
 * console's session (`missing_api_key`); any other API error, such as no
 * stored account (503 `no_account_available`), is shown where it happened.
 * @module
 */

/**
 * @typedef {{ gift: number, purchase: number, vip: number, total: number }} Credits
 * @typedef {{ id: string, label: string, name: string | null, note: string | null,
 *   region: string, credits: Credits | null, health: "ok" | "expired" | "proxy_error"
 *   | "check_failed" | "cooling" | "disabled" | "unknown",
 *   disabled: boolean, lastCheckAt: number | null, lastCheckError: string | null,
 *   lastClaimAt: number | null, lastClaimReceived: number | null, inFlight: number,
 *   createdAt: number, cookies: number,
 *   proxy: { source: "account" | "default" | "direct", label: string | null } | null }} Account
 * @typedef {{ id: string, name: string, prefix: string, quotaPerDay: number | null,
 *   ratePerMinute: number | null, expiresAt: number | null, models: string[] | null,
 *   creditCap: number | null, usedToday: number, requestsToday: number, errorsToday: number,
 *   creditsUsed: number, createdAt: number, revokedAt: number | null, lastUsedAt: number | null,
 *   webhookUrl?: string | null }} ApiKey
 * @typedef {{ requestsToday: number, requestsTotal: number, successRate: number | null,
 *   creditsSpentToday: number, creditsSpentTotal: number, creditsRemaining: number | null,
 *   storedAccounts: number, accountsNote: string | null }} Totals
 *   `creditsRemaining` is `null` when no account is stored
 * @typedef {{ t: number, requests: number, errors: number, credits: number }} Bucket
 * @typedef {{ totals: Totals, series: Bucket[],
 *   byModel: { model: string, requests: number, errors: number, credits: number }[],
 *   byKey: { keyId: string | null, name: string, requests: number, errors: number,
 *     credits: number }[] }} Stats
 * @typedef {{ id: number, time: number, level: "debug" | "info" | "warn" | "error",
 *   message: string, fields?: Record<string, unknown> }} LogLine
 * @typedef {{ id: string, kind: "image" | "video", model: string, prompt: string, url: string,
 *   width: number, height: number, createdAt: number, accountLabel: string | null,
 *   apiKeyId: number | null, keyName: string | null,
 *   variant?: "no_watermark" | "high_bitrate" | "preview" | null }} Media
 * @typedef {{ id: string, object: "video", model: string, status: string, progress: number,
 *   created_at: number, completed_at: number | null, finished_at: number | null, prompt: string, seconds?: string,
 *   size?: string, error: { code?: string, message: string } | null, urls?: string[],
 *   variant?: "no_watermark" | "high_bitrate" | "preview" | null,
 *   references?: JobReference[],
 *   queue?: { position: number, length: number | null, eta_seconds: number | null } }} Job
 * @typedef {{ placeholder: string, kind_placeholder: string, kind: "image" | "video" | "audio",
 *   format: string, bytes: number, seconds?: number, width?: number, height?: number }} JobReference
 * @typedef {{ env: string, value: string | null, default: string, description: string,
 *   secret?: boolean, runtime?: boolean, source: "environment" | "console" | "default" }} Setting
 *   `value` is `null` while the default applies; a secret's is only "(set)"
 * @typedef {{ id: number, site: string, endpoint: string, model: string, learnedAt: number,
 *   lastUsedAt: number, calls: number }} BrowserRoute
 * @typedef {{ mode: "off" | "auto" | "always", modeSource: "environment" | "console" | "default",
 *   running: boolean, pages: number, launches: number, executable: string | null,
 *   problem: string | null, calls: { ok: number, failed: number },
 *   routes: BrowserRoute[] }} BrowserTransport
 * @typedef {{ id: string, kind: "image" | "video", name?: string, resolutions?: string[],
 *   default_resolution?: string, omni_references?: boolean, alias_of?: string,
 *   regions?: string[], source?: "catalog" | "builtin",
 *   durations?: { kind: "set", seconds: number[], default: number }
 *     | { kind: "range", min: number, max: number, default: number } }} Model
 * @typedef {{ id: number, eventId: string, eventType: string, url: string,
 *   apiKeyId: number | null, status: "pending" | "delivered" | "failed", attempts: number,
 *   nextAttemptAt: number | null, lastAttemptAt: number | null, lastStatus: number | null,
 *   lastError: string | null, deliveredAt: number | null, createdAt: number }} Delivery
 * @typedef {{ id: number, time: number, requestId: string, route: string, keyId: number | null,
 *   keyName: string | null, account: string | null, accountName: string | null,
 *   model: string | null, kind: string, n: number, seconds: number | null,
 *   outcome: "ok" | "error" | "client_closed", httpStatus: number, code: string | null,
 *   message: string | null, credits: number | null, creditsReserved: number | null,
 *   creditsRemaining: number | null, latencyMs: number }} UsageRow
 * @typedef {"environment" | "console" | "default"} SettingSource
 * @typedef {{ urls: string[], urlSource: SettingSource, signed: boolean,
 *   secretSource: SettingSource, lowCredits: number, lowCreditsSource: SettingSource }}
 *   WebhookSettings
 */

/** An error answered by the server (or the network), with the server's message. */
export class ApiRequestError extends Error {
  /**
   * @param {string} message
   * @param {{ status: number, code?: string | null, param?: string | null,
   *   retryAfter?: number | null }} details
   */
  constructor(message, { status, code = null, param = null, retryAfter = null }) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = code;
    this.param = param;
    /** Seconds from `Retry-After`, when the server sent it. */
    this.retryAfter = retryAfter;
  }
}

let csrfToken = "";
/** @type {() => void} */
let unauthorizedHandler = () => {};

/** Registers what happens on a 401: the app shows the login page. @param {() => void} handler */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/** Forgets the CSRF token (after logout). */
export function clearSession() {
  csrfToken = "";
}

/**
 * Whether a 401 means the console's own session is over: any 401 of the
 * admin API; on the OpenAI API only a call that arrived without the session.
 * @param {string} path
 * @param {string | null} code
 */
export function sessionEnded(path, code) {
  if (!path.startsWith("/v1/")) return true;
  return code === "missing_api_key";
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, query?: Record<string, unknown>, redirectOn401?: boolean }} [options]
 *   a `FormData` body is sent as multipart, anything else as JSON
 */
async function request(method, path, { body, query, redirectOn401 = true } = {}) {
  let url = path;
  if (query) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
    }
    const text = search.toString();
    if (text) url += `?${text}`;
  }
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : form ? body : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiRequestError(`The server cannot be reached (${error.message})`, { status: 0 });
  }
  const isJson = (response.headers.get("content-type") ?? "").includes("application/json");
  const data = isJson ? await response.json().catch(() => null) : null;
  if (response.ok) return data;
  const error = data?.error;
  const retryAfter = Number(response.headers.get("retry-after"));
  const failure = new ApiRequestError(
    error?.message ?? `${method} ${path} failed with HTTP ${response.status}`,
    {
      status: response.status,
      code: error?.code ?? null,
      param: error?.param ?? null,
      retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    },
  );
  if (response.status === 401 && redirectOn401 && sessionEnded(path, failure.code)) {
    csrfToken = "";
    unauthorizedHandler();
  }
  throw failure;
}

// Session and setup

/** @returns {Promise<{ needed: boolean }>} */
export const getSetup = () => request("GET", "/api/admin/setup", { redirectOn401: false });

/** @param {{ token: string, username: string, password: string }} body */
export const createAdmin = (body) =>
  request("POST", "/api/admin/setup", { body, redirectOn401: false });

/** @param {{ username: string, password: string }} body */
export const login = (body) => request("POST", "/api/admin/login", { body, redirectOn401: false });

/**
 * The signed-in user, or `null` when there is no session. Keeps the CSRF token.
 * @returns {Promise<{ username: string } | null>}
 */
export async function getSession() {
  try {
    const session = await request("GET", "/api/admin/session", { redirectOn401: false });
    csrfToken = session.csrfToken;
    return session.user;
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 401) return null;
    throw error;
  }
}

export async function logout() {
  try {
    await request("POST", "/api/admin/logout", { redirectOn401: false });
  } finally {
    csrfToken = "";
  }
}

/** @param {{ current_password: string, new_password: string }} body */
export const changePassword = (body) => request("POST", "/api/admin/password", { body });

// Accounts

/** @returns {Promise<{ items: Account[] }>} */
export const listAccounts = async () => {
  const answer = await request("GET", "/api/admin/accounts");
  return { items: answer.data };
};

/**
 * @param {string} text pasted sessionids, comma or newline separated, or browser cookies
 * @param {string} [proxy] the proxy of every account added
 * @returns {Promise<{ added: Account[], duplicates: number,
 *   invalid: { line: number, label: string, code: string, reason: string }[] }>}
 */
export const addAccounts = async (text, proxy) => {
  const answer = await request("POST", "/api/admin/accounts", {
    body: { sessionids: text, proxy },
  });
  return { added: answer.added, duplicates: answer.existing.length, invalid: answer.invalid };
};

/** @param {string} id @param {boolean} disabled */
export const setAccountDisabled = (id, disabled) =>
  request("PATCH", `/api/admin/accounts/${encodeURIComponent(id)}`, { body: { disabled } });

/**
 * Changes an account's name, note or proxy (`null` clears each; a proxy URL, or `direct`).
 * @param {string} id
 * @param {{ name?: string | null, note?: string | null, proxy?: string | null }} body
 * @returns {Promise<Account>}
 */
export const updateAccount = (id, body) =>
  request("PATCH", `/api/admin/accounts/${encodeURIComponent(id)}`, { body });

/** @param {string} id */
export const removeAccount = (id) =>
  request("DELETE", `/api/admin/accounts/${encodeURIComponent(id)}`);

/** @param {string} id @returns {Promise<Account>} */
export const checkAccount = (id) =>
  request("POST", `/api/admin/accounts/${encodeURIComponent(id)}/check`);

/** @param {string} id @returns {Promise<{ received: number, account: Account }>} */
export const claimAccount = (id) =>
  request("POST", `/api/admin/accounts/${encodeURIComponent(id)}/claim`);

// API keys

/** @returns {Promise<{ items: ApiKey[] }>} */
export const listKeys = async () => {
  const answer = await request("GET", "/api/admin/keys");
  return { items: answer.data };
};

/**
 * @typedef {{ name?: string, quotaPerDay?: number | null, ratePerMinute?: number | null,
 *   creditCap?: number | null, expiresAt?: number | null, models?: string[] | null,
 *   webhookUrl?: string | null }} KeyFields
 */

/**
 * Creates a key: its secret (shown once) and the base URL a client pastes beside it
 * (`<public URL>/v1`, `null` when the server cannot tell it).
 * @param {KeyFields} body
 * @returns {Promise<{ key: ApiKey, secret: string, baseUrl: string | null }>}
 */
export const createKey = async (body) => {
  const { key: secret, baseUrl, ...key } = await request("POST", "/api/admin/keys", { body });
  return { key, secret, baseUrl };
};

/** `null` clears a limit, the expiry, the allow-list or the webhook. @param {string} id @param {KeyFields} body */
export const updateKey = (id, body) =>
  request("PATCH", `/api/admin/keys/${encodeURIComponent(id)}`, { body });

/** @param {string} id */
export const revokeKey = (id) => request("DELETE", `/api/admin/keys/${encodeURIComponent(id)}`);

/** Deletes a revoked key for good. @param {string} id */
export const deleteKey = (id) =>
  request("DELETE", `/api/admin/keys/${encodeURIComponent(id)}`, { query: { purge: "true" } });

// Statistics, logs, media, jobs, configuration

/** @param {"24h" | "30d"} range @returns {Promise<Stats>} */
export const getStats = (range) => request("GET", "/api/admin/stats", { query: { range } });

/**
 * @param {{ level?: string, q?: string, before?: number | null, limit?: number }} query
 * @returns {Promise<{ items: LogLine[], nextBefore: number | null }>}
 */
export const listLogs = (query) => request("GET", "/api/admin/logs", { query });

export const clearLogs = () => request("DELETE", "/api/admin/logs");

/**
 * Follows new log lines over SSE. The browser reconnects by itself after a
 * drop; `onState` reports "open" and "connecting".
 * @param {(line: LogLine) => void} onLine
 * @param {(state: "open" | "connecting") => void} onState
 * @returns {() => void} closes the stream
 */
export function streamLogs(onLine, onState) {
  const source = new EventSource("/api/admin/logs/stream");
  source.onopen = () => onState("open");
  source.onerror = () => onState("connecting");
  source.onmessage = (event) => {
    try {
      onLine(JSON.parse(event.data));
    } catch {
      // A line that is not JSON is not a log record; skip it.
    }
  };
  return () => source.close();
}

/**
 * @param {{ page?: number, limit?: number, kind?: string, model?: string, from?: number,
 *   to?: number }} query
 * @returns {Promise<{ items: Media[], total: number, page: number, limit: number,
 *   models: string[] }>}
 */
export const listMedia = (query) => request("GET", "/api/admin/media", { query });

/** @param {string} id */
export const deleteMedia = (id) => request("DELETE", `/api/admin/media/${encodeURIComponent(id)}`);

/**
 * @typedef {{ key?: string, model?: string, outcome?: string, since?: number,
 *   until?: number }} UsageFilter
 */

/**
 * One page of the usage log (generation requests), newest first.
 * @param {UsageFilter & { before?: number | null, limit?: number }} query
 * @returns {Promise<{ data: UsageRow[], nextBefore: number | null }>}
 */
export const listUsage = (query) => request("GET", "/api/admin/usage", { query });

/** @returns {Promise<{ models: string[], outcomes: string[], keys: { id: number, name: string }[] }>} */
export const getUsageFacets = () => request("GET", "/api/admin/usage/facets");

/**
 * The address of the filtered usage log as a file (a link downloads it with the session cookie).
 * @param {UsageFilter} filter @param {"csv" | "json"} format
 */
export function usageExportUrl(filter, format) {
  const search = new URLSearchParams({ format });
  for (const [name, value] of Object.entries(filter)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  return `/api/admin/usage/export?${search}`;
}

/** @param {{ status?: string, limit?: number }} query @returns {Promise<{ items: Job[] }>} */
export const listJobs = (query) => request("GET", "/api/admin/jobs", { query });

/** @returns {Promise<{ settings: Setting[], degraded: boolean }>} */
export const getConfig = () => request("GET", "/api/admin/config");

/**
 * Changes a runtime setting; `null` returns it to its default.
 * @param {string} env @param {string | null} value
 */
export const putSetting = (env, value) =>
  request("PUT", `/api/admin/settings/${encodeURIComponent(env)}`, { body: { value } });

// Webhooks

/**
 * @returns {Promise<{ settings: WebhookSettings, counts: Record<string, number>,
 *   deliveries: Delivery[] }>}
 */
export const getWebhooks = () => request("GET", "/api/admin/webhooks");

/** @returns {Promise<{ eventId: string, deliveries: number }>} */
export const sendTestWebhook = () => request("POST", "/api/admin/webhooks/test");

/** @param {number} id @returns {Promise<Delivery>} */
export const retryWebhook = (id) =>
  request("POST", `/api/admin/webhooks/deliveries/${encodeURIComponent(String(id))}/retry`);

/** @returns {Promise<BrowserTransport>} */
export const getBrowser = () => request("GET", "/api/admin/browser");

/** Forgets one learned route, or all of them. @param {number | null} id */
export const resetBrowserRoutes = (id) =>
  request("DELETE", id === null ? "/api/admin/browser/routes" : `/api/admin/browser/routes/${id}`);

// The OpenAI surface, with the console's session instead of an API key

/** @returns {Promise<{ data: Model[] }>} */
export const listModels = () => request("GET", "/v1/models");

/**
 * @param {{ model: string, prompt: string, ratio?: string, resolution?: string, n?: number,
 *   negative_prompt?: string }} body
 * @returns {Promise<{ created: number, data: { url?: string, revised_prompt?: string }[] }>}
 */
export const generateImages = (body) => request("POST", "/v1/images/generations", { body });

/**
 * Starts a video job (`POST /v1/videos`, multipart so reference files need no base64).
 * @param {FormData} form
 * @returns {Promise<Job>}
 */
export const createVideo = (form) => request("POST", "/v1/videos", { body: form });

/** @param {string} id @returns {Promise<Job>} */
export const getVideo = (id) => request("GET", `/v1/videos/${encodeURIComponent(id)}`);
