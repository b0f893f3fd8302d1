/**
 * Configuration: every setting is an environment variable and also a
 * `--kebab-case` flag of `main.ts` (flags win). Resolved once into a frozen,
 * fully populated {@linkcode Config}. This is the only module that reads the
 * environment.
 * @module
 */
import type { LogFormat, LogLevel } from "./log.ts";
import { findModel } from "./jimeng/models.ts";
import { DEFAULT_PROTOCOL, type ProtocolConstants } from "./jimeng/protocol.ts";
import type { UpstreamHosts } from "./jimeng/regions.ts";
import { parseProxyUrl, type ProxySpec } from "./net/proxy.ts";
import type { Cidr } from "./net/cidr.ts";
import { DEFAULT_TRUSTED_PROXIES, parseCidrList } from "./net/client_address.ts";

/** The resolved configuration. */
export interface Config {
  /** The settings given explicitly (environment or flags), by variable name, raw. */
  explicit: Readonly<Record<string, string>>;
  port: number;
  host: string;
  dataDir: string;
  logLevel: LogLevel;
  /** How stdout lines look: readable text on a terminal, JSON lines otherwise. */
  logFormat: LogFormat;
  /** Days `requests` rows and log records are kept. */
  requestsKeepDays: number;
  /** Upstream hosts per region. */
  upstream: UpstreamHosts;
  /** Client-version constants sent to the upstream. */
  protocol: ProtocolConstants;
  /** Timeout of one upstream HTTP call. */
  upstreamTimeoutMs: number;
  /** Timeout of a whole image generation (submit to result). */
  imageTimeoutS: number;
  /** Timeout of a whole video generation. */
  videoTimeoutS: number;
  /** Largest accepted request body. */
  maxBodyMb: number;
  /** Directory from which `filePath` may read local files; unset = local files refused. */
  localFilesDir: string | null;
  /** Hosts (optionally `host:port`) exempt from the private-address refusal of URL fetches. */
  fetchAllowlist: string[];
  /** Largest reference image fetched from a URL or data URL. */
  maxImageMb: number;
  /** Largest reference video of an omni-reference video. */
  maxVideoMb: number;
  /** Largest reference audio of an omni-reference video. */
  maxAudioMb: number;
  /** Timeout of one reference-image fetch. */
  fetchTimeoutMs: number;
  /** Whether generated media are saved under `DATA_DIR/media`. */
  mediaCache: boolean;
  /** Which file of a finished video is kept: the best the account may have, or the preview. */
  videoQuality: "best" | "preview";
  /** Minutes an account's model catalog is used before it is read again; 0 = built-in table only. */
  modelCatalogTtlMin: number;
  /** Size of the media cache before oldest-first eviction, in GiB (fractions allowed). */
  mediaMaxGb: number;
  /**
   * Public origin (and optional path prefix) of this server, without a
   * trailing slash; `null` = derived from each request's `Host` (and
   * `X-Forwarded-Host`/`-Proto` with `TRUST_PROXY`).
   */
  publicBaseUrl: string | null;
  /** Which URLs the API hands out for results (local needs the media cache). */
  mediaUrls: "upstream" | "local";
  /** Log records (info and above) kept in the database; 0 keeps none. */
  logKeep: number;
  /** Token that `GET /metrics` requires; `null` leaves it open. */
  metricsToken: string | null;
  /** Operator accounts (sessionids, region prefixes allowed) added to the store at start. */
  sessions: string[];
  /** Key material for encrypting sessionids at rest; unset = a key file in DATA_DIR. */
  secretKey: string | null;
  /** Whether a Bearer value that is not an issued key may be used as sessionids. */
  allowSessionIdAuth: boolean;
  /** Whether a Bearer sessionid may name its own proxy (`proxy@sessionid`). */
  allowTokenProxy: boolean;
  /** Minutes between liveness and credit checks of stored accounts; 0 = off. */
  accountCheckIntervalMin: number;
  /** Whether the daily free credits are claimed for every stored account. */
  dailyClaim: boolean;
  /** IANA time zone whose calendar day the daily claim and key quotas follow. */
  claimTimeZone: string;
  /** Admin created at start when there is none (with `adminPassword`). */
  adminUser: string | null;
  adminPassword: string | null;
  /** Lifetime of a console login. */
  sessionTtlHours: number;
  /** Whether X-Forwarded-For names the client (only behind a reverse proxy you run). */
  trustProxy: boolean;
  /** Peers whose X-Forwarded-For is read (with `trustProxy`); the client is the right-most other entry. */
  trustedProxies: readonly Cidr[];
  /** Host names served besides IP addresses, localhost and PUBLIC_BASE_URL's host (`*` = any). */
  allowedHosts: string[];
  /** Seconds a client has to send a request head (and an idle connection stays open); 0 = none. */
  headerTimeoutS: number;
  /** Seconds a request body may go without a byte; 0 = none. */
  bodyTimeoutS: number;
  /** Open connections per client address; 0 = no limit. */
  maxConnectionsPerIp: number;
  /** The browser transport (its mode is the runtime setting `JIMENG_BROWSER_TRANSPORT`). */
  browser: BrowserConfig;
}

/** Settings of the browser transport for calls Jimeng accepts only from its web page. */
export interface BrowserConfig {
  /** The Chromium executable; `null` = look for it on `searchPath`. */
  chromiumPath: string | null;
  /** `PATH` of the server's environment, where Chromium is looked for. */
  searchPath: string;
  /** The site page the CN calls run in. */
  jimengPageUrl: string;
  /** The site page the Dreamina calls run in. */
  dreaminaPageUrl: string;
  /** Extra Chromium arguments. */
  args: string[];
  /** Seconds without a call after which the browser is closed. */
  idleCloseS: number;
  /** Days a route learned to need the page keeps going there. */
  routeTtlDays: number;
}

/** Turns a raw value into a typed one; throws `TypeError`/`RangeError` naming `name`. */
export type Parser<T> = (raw: string, name: string) => T;

/** One documented setting; the README table is checked against this list. */
export interface Setting {
  env: string;
  default: string;
  description: string;
  /** A secret: shown only as set/unset. */
  secret?: boolean;
  /** Changeable from the console at run time (an explicit environment value still wins). */
  runtime?: boolean;
}

/**
 * A setting the console may change while the server runs. Its value is read
 * through `RuntimeSettings` (`src/runtime_settings.ts`), never from
 * {@linkcode Config}.
 */
export interface RuntimeSetting<T> {
  env: string;
  parse: Parser<T>;
  fallback: T;
  secret: boolean;
}

const SETTINGS: Setting[] = [];

function setting(
  env: string,
  defaultValue: string,
  description: string,
  options: { secret?: boolean } = {},
): string {
  SETTINGS.push({ env, default: defaultValue, description, ...options });
  return env;
}

const KEYS = {
  port: setting("PORT", "8000", "HTTP port"),
  host: setting("HOST", "0.0.0.0", "Listen address"),
  dataDir: setting("DATA_DIR", "./data", "Where the SQLite database and media cache live"),
  logLevel: setting("LOG_LEVEL", "info", "debug, info, warn or error"),
  logFormat: setting(
    "LOG_FORMAT",
    "auto",
    "`text`: readable lines (time, level, message, fields); `json`: one JSON object per line; `auto`: text on a terminal, JSON otherwise",
  ),
  requestsKeepDays: setting(
    "REQUESTS_KEEP_DAYS",
    "90",
    "Days the usage log (`requests` rows) and stored log records are kept; older ones are deleted hourly (statistics keep their totals)",
  ),
  maxBodyMb: setting("MAX_BODY_MB", "32", "Largest request body, in MiB (larger → 413)"),
  localFilesDir: setting(
    "LOCAL_FILES_DIR",
    "(unset)",
    "Lets `filePath`/`file_paths` read local files, only inside this directory",
  ),
  fetchAllowlist: setting(
    "FETCH_ALLOWLIST",
    "(empty)",
    "Comma list of `host` or `host:port` that reference-image URLs may reach even if private",
  ),
  maxImageMb: setting("MAX_IMAGE_MB", "20", "Largest reference image, in MiB"),
  maxVideoMb: setting(
    "MAX_VIDEO_MB",
    "50",
    "Largest reference video of an omni-reference video, in MiB (uploaded files also need MAX_BODY_MB)",
  ),
  maxAudioMb: setting(
    "MAX_AUDIO_MB",
    "15",
    "Largest reference audio of an omni-reference video, in MiB",
  ),
  fetchTimeoutMs: setting("FETCH_TIMEOUT_MS", "20000", "Timeout of one reference-image download"),
  upstreamTimeoutMs: setting("JIMENG_TIMEOUT_MS", "30000", "Timeout of one upstream call"),
  imageTimeoutS: setting("IMAGE_TIMEOUT_S", "300", "Timeout of a whole image generation"),
  videoTimeoutS: setting("VIDEO_TIMEOUT_S", "1800", "Timeout of a whole video generation"),
  cnBase: setting("JIMENG_BASE_URL", "https://jimeng.jianying.com", "Jimeng (CN) API host"),
  cnImagex: setting(
    "JIMENG_IMAGEX_URL",
    "https://imagex.bytedanceapi.com",
    "ImageX upload API (CN); its scheme is also used for the upload host it hands out",
  ),
  cnVod: setting(
    "JIMENG_VOD_URL",
    "https://vod.bytedanceapi.com",
    "VOD upload API (CN) for the videos and audio of omni-reference videos",
  ),
  usBase: setting(
    "DREAMINA_US_BASE_URL",
    "https://dreamina-api.us.capcut.com",
    "Dreamina US API host",
  ),
  usCommerce: setting(
    "DREAMINA_US_COMMERCE_URL",
    "https://commerce-us-ttp2.us.capcut.com",
    "Dreamina US credits host",
  ),
  usImagex: setting(
    "DREAMINA_US_IMAGEX_URL",
    "https://imagex16-normal-us-ttp.capcutapi.us",
    "Dreamina US ImageX host",
  ),
  asiaBase: setting(
    "DREAMINA_ASIA_BASE_URL",
    "https://mweb-api-sg.capcut.com",
    "Dreamina HK/JP/SG API host",
  ),
  asiaCommerce: setting(
    "DREAMINA_ASIA_COMMERCE_URL",
    "https://commerce-api-sg.capcut.com",
    "Dreamina HK/JP/SG credits host",
  ),
  asiaImagex: setting(
    "DREAMINA_ASIA_IMAGEX_URL",
    "https://imagex-normal-sg.capcutapi.com",
    "Dreamina HK/JP/SG ImageX host",
  ),
  modelCatalogTtlMin: setting(
    "MODEL_CATALOG_TTL_MIN",
    "5",
    "Minutes each account's own model catalog (read from Jimeng) is used before it is read again; 0 uses only the built-in model table",
  ),
  appVersion: setting(
    "JIMENG_APPVR",
    DEFAULT_PROTOCOL.appVersion,
    "`Appvr` header (CN); raise it if the upstream answers 3018",
  ),
  intlAppVersion: setting(
    "DREAMINA_APPVR",
    DEFAULT_PROTOCOL.intlAppVersion,
    "`Appvr` header (Dreamina)",
  ),
  daVersion: setting(
    "JIMENG_DA_VERSION",
    DEFAULT_PROTOCOL.daVersion,
    "`da_version` query and draft `version` (CN)",
  ),
  intlDaVersion: setting(
    "DREAMINA_DA_VERSION",
    DEFAULT_PROTOCOL.intlDaVersion,
    "`da_version` query and draft `version` on Dreamina",
  ),
  webVersion: setting("JIMENG_WEB_VERSION", DEFAULT_PROTOCOL.webVersion, "`web_version` query"),
  draftMinVersion: setting(
    "JIMENG_DRAFT_MIN_VERSION",
    DEFAULT_PROTOCOL.draftMinVersion,
    "Image draft `min_version`",
  ),
  userAgent: setting("JIMENG_USER_AGENT", "(Chrome 142 on Windows)", "Browser User-Agent sent"),
  mediaCache: setting(
    "MEDIA_CACHE",
    "true",
    "Save generated images and videos under `DATA_DIR/media` (upstream links expire); `false` keeps only the records",
  ),
  videoQuality: setting(
    "VIDEO_QUALITY",
    "best",
    "`best`: keep each video's best file the account is entitled to (watermark-free, else high bitrate, else the preview); `preview`: keep the preview",
  ),
  mediaMaxGb: setting(
    "MEDIA_MAX_GB",
    "10",
    "Size of the media cache in GiB (fractions allowed); the oldest files are evicted beyond it",
  ),
  publicBaseUrl: setting(
    "PUBLIC_BASE_URL",
    "(unset)",
    "Public URL of this server (e.g. `https://img.example.com`), used for `/media/…` links and shown with new API keys; unset = taken from each request's `Host` (`X-Forwarded-Host`/`-Proto` only with TRUST_PROXY)",
  ),
  mediaUrls: setting(
    "MEDIA_URLS",
    "(local, unless MEDIA_CACHE=false, then upstream)",
    "`local`: hand out this server's `/media/<id>.<ext>` links (PUBLIC_BASE_URL or the request's host); `upstream`: Jimeng's expiring CDN links",
  ),
  logKeep: setting("LOG_KEEP", "10000", "Log records (info and above) kept in the database"),
  metricsToken: setting(
    "METRICS_TOKEN",
    "(unset)",
    "If set, `GET /metrics` needs `Authorization: Bearer <token>` or `?token=<token>` and adds per-account series; unset, it is open and serves aggregates only",
    { secret: true },
  ),
  sessions: setting(
    "JIMENG_SESSIONS",
    "(empty)",
    "Comma list of sessionids (`us-`/`hk-`/`jp-`/`sg-` prefix for Dreamina, `proxy@` prefix for the account's proxy) stored as accounts at start",
    { secret: true },
  ),
  secretKey: setting(
    "SECRET_KEY",
    "(key file)",
    "Encrypts stored sessionids (at least 16 characters); unset = `DATA_DIR/secret.key`, created with mode 0600",
    { secret: true },
  ),
  allowSessionIdAuth: setting(
    "ALLOW_SESSIONID_AUTH",
    "true",
    "Accept a Bearer value that is not an issued key as sessionids (the seed's behaviour); false = 401, the /token routes too",
  ),
  allowTokenProxy: setting(
    "ALLOW_TOKEN_PROXY",
    "false",
    "Accept a proxy inside a Bearer sessionid (`<proxy URL>@<sessionid>`, as some clients send it); it lets any client make the server connect anywhere, so it is refused (400) unless true",
  ),
  accountCheckIntervalMin: setting(
    "ACCOUNT_CHECK_INTERVAL_MIN",
    "30",
    "Minutes between liveness and credit checks of stored accounts; 0 turns them off",
  ),
  dailyClaim: setting(
    "DAILY_CLAIM",
    "true",
    "Claim the daily free credits for every stored account once a day",
  ),
  claimTimeZone: setting(
    "CLAIM_TIME_ZONE",
    "Asia/Shanghai",
    "IANA time zone whose day the daily claim and the API keys' daily quotas follow",
  ),
  adminUser: setting(
    "ADMIN_USER",
    "(unset)",
    "Console admin created at first start (with ADMIN_PASSWORD) instead of the one-time setup link",
  ),
  adminPassword: setting(
    "ADMIN_PASSWORD",
    "(unset)",
    "Password of ADMIN_USER, at least 8 characters",
    { secret: true },
  ),
  sessionTtlHours: setting("SESSION_TTL_HOURS", "24", "Lifetime of a console login, in hours"),
  trustProxy: setting(
    "TRUST_PROXY",
    "false",
    "Take the client address from X-Forwarded-For, sent by a proxy in TRUSTED_PROXIES (only behind your own reverse proxy)",
  ),
  trustedProxies: setting(
    "TRUSTED_PROXIES",
    DEFAULT_TRUSTED_PROXIES,
    "With TRUST_PROXY: comma list of proxy addresses or CIDR ranges whose X-Forwarded-For is read; the client is the right-most entry that is not one of them",
  ),
  headerTimeoutS: setting(
    "HEADER_TIMEOUT_S",
    "15",
    "Seconds a client has to send a request's head (also how long an idle kept-alive connection stays open); 0 = no limit",
  ),
  bodyTimeoutS: setting(
    "BODY_TIMEOUT_S",
    "60",
    "Seconds a request body may stall without a byte arriving; 0 = no limit",
  ),
  maxConnectionsPerIp: setting(
    "MAX_CONNECTIONS_PER_IP",
    "200",
    "Open connections per client address (behind a reverse proxy: the proxy's); more get 429; 0 = no limit",
  ),
  allowedHosts: setting(
    "ALLOWED_HOSTS",
    "(IP addresses, localhost, PUBLIC_BASE_URL's host)",
    "Comma list of further `Host` names served (`name`, `name:port`, `.suffix`, `*` = any); other names get 400 (DNS-rebinding protection)",
  ),
  chromiumPath: setting(
    "CHROMIUM_PATH",
    "(chromium, chromium-browser or google-chrome on PATH)",
    "Chromium executable of the browser transport (see JIMENG_BROWSER_TRANSPORT)",
  ),
  jimengPageUrl: setting(
    "JIMENG_PAGE_URL",
    "https://jimeng.jianying.com/ai-tool/video/generate",
    "Jimeng page the browser transport opens and sends calls from",
  ),
  dreaminaPageUrl: setting(
    "DREAMINA_PAGE_URL",
    "https://dreamina.capcut.com/ai-tool/home",
    "Dreamina page the browser transport opens and sends calls from",
  ),
  browserArgs: setting(
    "BROWSER_ARGS",
    "(none)",
    "Extra Chromium arguments, separated by spaces (e.g. `--proxy-server=http://127.0.0.1:3128`)",
  ),
  browserIdleCloseS: setting(
    "BROWSER_IDLE_CLOSE_S",
    "300",
    "Seconds without a call after which the browser transport closes Chromium",
  ),
  browserRouteTtlDays: setting(
    "BROWSER_ROUTE_TTL_DAYS",
    "7",
    "Days a call learned to need the site's page keeps going there before it is tried directly again",
  ),
} as const;

/** Every setting with its default and meaning, in documentation order. */
export function listSettings(): readonly Setting[] {
  return SETTINGS;
}

const int = (min: number, max: number): Parser<number> => (raw, name) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Invalid ${name} "${raw}": expected an integer from ${min} to ${max}`);
  }
  return value;
};

/** `raw` as a URL if it is one with an http(s) scheme. */
function httpUrl(raw: string, name: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    // Reported below with the scheme check's message.
  }
  if (parsed?.protocol !== "http:" && parsed?.protocol !== "https:") {
    throw new TypeError(`Invalid ${name} "${raw}": expected an http(s) URL`);
  }
  return parsed;
}

const url: Parser<string> = (raw, name) => {
  const parsed = httpUrl(raw, name);
  return parsed.origin;
};

const text: Parser<string> = (raw) => raw;

/** A duration in seconds, fractions allowed; 0 turns the limit off. */
const seconds = (max: number): Parser<number> => (raw, name) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max) {
    throw new RangeError(`Invalid ${name} "${raw}": expected seconds from 0 (off) to ${max}`);
  }
  return value;
};

const bool: Parser<boolean> = (raw, name) => {
  const value = raw.toLowerCase();
  if (["true", "1", "yes", "on"].includes(value)) return true;
  if (["false", "0", "no", "off"].includes(value)) return false;
  throw new TypeError(`Invalid ${name} "${raw}": expected true or false`);
};

const positive = (max: number): Parser<number> => (raw, name) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new RangeError(`Invalid ${name} "${raw}": expected a number above 0 and up to ${max}`);
  }
  return value;
};

/** An http(s) URL with an optional path prefix; no query or fragment; no trailing slash. */
const baseUrl: Parser<string> = (raw, name) => {
  const parsed = httpUrl(raw, name);
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new TypeError(
      `Invalid ${name} "${raw}": expected a plain URL without query, fragment or credentials`,
    );
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
};

const level: Parser<LogLevel> = (raw, name) => {
  const value = raw.toLowerCase();
  if (value === "debug" || value === "info" || value === "warn" || value === "error") return value;
  throw new RangeError(`Invalid ${name} "${raw}": expected debug, info, warn or error`);
};

const logFormat: Parser<LogFormat> = (raw, name) => {
  const value = raw.toLowerCase();
  if (value === "auto" || value === "text" || value === "json") return value;
  throw new RangeError(`Invalid ${name} "${raw}": expected auto, text or json`);
};

/**
 * `from=to` pairs separated by commas: client model names (e.g. OpenAI's)
 * mapped to this server's models. A target must be a model; a source must
 * not already be one of this server's names.
 */
const modelMap: Parser<ReadonlyMap<string, string>> = (raw, name) => {
  const map = new Map<string, string>();
  for (const pair of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    const from = eq === -1 ? "" : pair.slice(0, eq).trim().toLowerCase();
    const to = eq === -1 ? "" : pair.slice(eq + 1).trim();
    if (!from || !to) {
      throw new TypeError(
        `Invalid ${name} entry "${pair}": expected name=model, e.g. dall-e-3=jimeng-image-4.5`,
      );
    }
    const target = findModel(to);
    if (!target) {
      throw new RangeError(
        `Invalid ${name} entry "${pair}": '${to}' is not a model of this server (GET /v1/models lists them)`,
      );
    }
    if (findModel(from)) {
      throw new RangeError(
        `Invalid ${name} entry "${pair}": '${from}' is already a model name of this server`,
      );
    }
    map.set(from, target.id);
  }
  return map;
};

const choice = <T extends string>(values: readonly T[]): Parser<T> => (raw, name) => {
  const value = raw.toLowerCase();
  if ((values as readonly string[]).includes(value)) return value as T;
  throw new RangeError(`Invalid ${name} "${raw}": expected ${values.join(" or ")}`);
};

/** An http(s) URL kept whole (path and query included). */
const pageUrl: Parser<string> = (raw, name) => httpUrl(raw, name).href;

const words: Parser<string[]> = (raw) => raw.split(/\s+/).filter(Boolean);

const list: Parser<string[]> = (raw) =>
  raw.split(",").map((item) => item.trim().toLowerCase()).filter(Boolean);

/** A comma list whose items keep their case (secrets). */
const tokens: Parser<string[]> = (
  raw,
) => [...new Set(raw.split(",").map((item) => item.trim()).filter(Boolean))];

const cidrs: Parser<Cidr[]> = (raw, name) => {
  try {
    return parseCidrList(raw);
  } catch (error) {
    throw new RangeError(`Invalid ${name}: ${(error as Error).message}`);
  }
};

const timeZone: Parser<string> = (raw, name) => {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: raw }).resolvedOptions().timeZone;
  } catch {
    throw new RangeError(
      `Invalid ${name} "${raw}": expected an IANA time zone such as Asia/Shanghai`,
    );
  }
};

const username: Parser<string> = (raw, name) => {
  if (!/^[\w.@-]{1,64}$/.test(raw)) {
    throw new RangeError(
      `Invalid ${name} "${raw}": 1 to 64 letters, digits or the characters _ . @ -`,
    );
  }
  return raw;
};

const minLength = (min: number, what: string): Parser<string> => (raw, name) => {
  if (raw.length < min) {
    throw new RangeError(`Invalid ${name}: ${what} needs at least ${min} characters`);
  }
  return raw;
};

/** A proxy URL; the error never repeats the value, which may hold a password. */
const proxyUrl: Parser<ProxySpec> = (raw, name) => {
  try {
    return parseProxyUrl(raw);
  } catch (error) {
    throw new TypeError(`Invalid ${name}: ${(error as Error).message}`);
  }
};

/** One or more http(s) URLs, comma-separated, kept whole (path and query). */
const urlList: Parser<string[]> = (raw, name) => {
  const urls = [...new Set(raw.split(",").map((item) => item.trim()).filter(Boolean))];
  if (urls.length > 10) throw new RangeError(`Invalid ${name}: at most 10 URLs`);
  return urls.map((item) => {
    const parsed = httpUrl(item, name);
    if (parsed.hash) throw new TypeError(`Invalid ${name} "${item}": a URL without a fragment`);
    return parsed.href;
  });
};

/**
 * A Standard Webhooks secret: `whsec_` + base64 of 24 to 64 bytes. The
 * message never repeats the value.
 */
const webhookSecret: Parser<string> = (raw, name) => {
  const base64 = raw.startsWith("whsec_") ? raw.slice("whsec_".length) : "";
  let bytes = 0;
  try {
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) bytes = atob(base64).length;
  } catch {
    bytes = 0;
  }
  if (bytes < 24 || bytes > 64) {
    throw new TypeError(
      `Invalid ${name}: expected whsec_ followed by the base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))`,
    );
  }
  return raw;
};

const RUNTIME = new Map<string, RuntimeSetting<unknown>>();

function runtimeSetting<T>(
  env: string,
  defaultValue: string,
  description: string,
  parse: Parser<T>,
  fallback: T,
  options: { secret?: boolean } = {},
): RuntimeSetting<T> {
  SETTINGS.push({ env, default: defaultValue, description, runtime: true, ...options });
  const entry: RuntimeSetting<T> = { env, parse, fallback, secret: options.secret ?? false };
  RUNTIME.set(env, entry as RuntimeSetting<unknown>);
  return entry;
}

/** The settings the console can change at run time, read through `RuntimeSettings`. */
export const RUNTIME_SETTINGS = {
  browserTransport: runtimeSetting(
    "JIMENG_BROWSER_TRANSPORT",
    "auto",
    "Calls Jimeng accepts only from its web page: `off` sends them directly; `auto` retries a risk-control refusal through headless Chromium and remembers the route; `always` sends them through Chromium",
    choice(["off", "auto", "always"] as const),
    "auto" as "off" | "auto" | "always",
  ),
  proxy: runtimeSetting<ProxySpec | null>(
    "JIMENG_PROXY",
    "(unset)",
    "Proxy of every account without its own (`http://`, `https://`, `socks5://`, `socks5h://`, optional `user:password@`): its API calls, uploads, downloads and browser context",
    proxyUrl,
    null,
    { secret: true },
  ),
  webhookUrls: runtimeSetting(
    "WEBHOOK_URL",
    "(unset)",
    "Where webhook events go (`video.completed`, `video.failed`, `jimeng.account.*`): one or more http(s) URLs, comma-separated",
    urlList,
    [] as string[],
  ),
  webhookSecret: runtimeSetting(
    "WEBHOOK_SECRET",
    "(unset)",
    "Signs webhooks as OpenAI does (Standard Webhooks): `whsec_` + base64 of 24–64 random bytes; unset = unsigned",
    webhookSecret,
    null as string | null,
    { secret: true },
  ),
  webhookLowCredits: runtimeSetting(
    "WEBHOOK_LOW_CREDITS",
    "10",
    "An operator account whose credits fall below this sends `jimeng.account.low_credits`; 0 = never",
    int(0, 1_000_000_000),
    10,
  ),
  modelMap: runtimeSetting(
    "MODEL_MAP",
    "(empty)",
    "Client model names for this server's models, `name=model` pairs: `dall-e-3=jimeng-image-4.5,gpt-image-1=jimeng-image-5.0-lite,sora-2=jimeng-video-seedance-2.0`; other unknown names stay a 404",
    modelMap,
    new Map<string, string>() as ReadonlyMap<string, string>,
  ),
} as const;

/** The runtime setting of an environment name, if it is one. */
export function findRuntimeSetting(env: string): RuntimeSetting<unknown> | undefined {
  return RUNTIME.get(env);
}

/** Turns `--flag value` / `--flag=value` arguments into env-style names. */
export function parseFlags(args: readonly string[]): Record<string, string> {
  const known = new Set(SETTINGS.map((s) => s.env));
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) throw new TypeError(`Unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const env = flag.toUpperCase().replaceAll("-", "_");
    if (!known.has(env)) throw new TypeError(`Unknown flag "--${flag}"`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = args[++i];
    if (value === undefined) throw new TypeError(`Flag "--${flag}" needs a value`);
    values[env] = value;
  }
  return values;
}

/**
 * Resolves the configuration from environment variables and flags.
 *
 * @param env environment variables (e.g. `Deno.env.toObject()`)
 * @param args command-line arguments; flags override the environment
 * @throws {TypeError | RangeError} naming the setting and the bad value
 */
export function loadConfig(env: Record<string, string | undefined>, args: readonly string[] = []) {
  const source: Record<string, string | undefined> = { ...env, ...parseFlags(args) };
  function read<T>(key: string, parse: Parser<T>, fallback: T): T {
    const raw = source[key];
    if (raw === undefined || raw.trim() === "") return fallback;
    return parse(raw.trim(), key);
  }
  const publicBaseUrl = read<string | null>(KEYS.publicBaseUrl, baseUrl, null);
  const mediaCache = read(KEYS.mediaCache, bool, true);
  const mediaUrls = read<"upstream" | "local">(
    KEYS.mediaUrls,
    choice(["upstream", "local"] as const),
    mediaCache ? "local" : "upstream",
  );
  if (mediaUrls === "local" && !mediaCache) {
    throw new TypeError(
      `${KEYS.mediaUrls}=local needs ${KEYS.mediaCache}=true (local links serve the cached files)`,
    );
  }
  const explicit: Record<string, string> = {};
  for (const { env: name } of SETTINGS) {
    const raw = source[name];
    if (raw !== undefined && raw.trim() !== "") explicit[name] = raw.trim();
  }
  const config: Config = {
    explicit: Object.freeze(explicit),
    port: read(KEYS.port, int(0, 65535), 8000),
    host: read(KEYS.host, text, "0.0.0.0"),
    dataDir: read(KEYS.dataDir, text, "./data"),
    logLevel: read(KEYS.logLevel, level, "info"),
    logFormat: read(KEYS.logFormat, logFormat, "auto"),
    requestsKeepDays: read(KEYS.requestsKeepDays, int(1, 36_500), 90),
    maxBodyMb: read(KEYS.maxBodyMb, int(1, 1024), 32),
    localFilesDir: read<string | null>(KEYS.localFilesDir, text, null),
    fetchAllowlist: read(KEYS.fetchAllowlist, list, []),
    maxImageMb: read(KEYS.maxImageMb, int(1, 200), 20),
    maxVideoMb: read(KEYS.maxVideoMb, int(1, 1024), 50),
    maxAudioMb: read(KEYS.maxAudioMb, int(1, 1024), 15),
    fetchTimeoutMs: read(KEYS.fetchTimeoutMs, int(100, 600_000), 20_000),
    sessions: read(KEYS.sessions, tokens, []),
    secretKey: read<string | null>(KEYS.secretKey, minLength(16, "the key"), null),
    allowSessionIdAuth: read(KEYS.allowSessionIdAuth, bool, true),
    allowTokenProxy: read(KEYS.allowTokenProxy, bool, false),
    accountCheckIntervalMin: read(KEYS.accountCheckIntervalMin, int(0, 10_080), 30),
    dailyClaim: read(KEYS.dailyClaim, bool, true),
    claimTimeZone: read(KEYS.claimTimeZone, timeZone, "Asia/Shanghai"),
    adminUser: read<string | null>(KEYS.adminUser, username, null),
    adminPassword: read<string | null>(KEYS.adminPassword, minLength(8, "the password"), null),
    sessionTtlHours: read(KEYS.sessionTtlHours, int(1, 8760), 24),
    trustProxy: read(KEYS.trustProxy, bool, false),
    trustedProxies: read(KEYS.trustedProxies, cidrs, parseCidrList(DEFAULT_TRUSTED_PROXIES)),
    allowedHosts: read(KEYS.allowedHosts, list, []),
    headerTimeoutS: read(KEYS.headerTimeoutS, seconds(3600), 15),
    bodyTimeoutS: read(KEYS.bodyTimeoutS, seconds(86_400), 60),
    maxConnectionsPerIp: read(KEYS.maxConnectionsPerIp, int(0, 1_000_000), 200),
    browser: {
      chromiumPath: read<string | null>(KEYS.chromiumPath, text, null),
      searchPath: source.PATH ?? "",
      jimengPageUrl: read(
        KEYS.jimengPageUrl,
        pageUrl,
        "https://jimeng.jianying.com/ai-tool/video/generate",
      ),
      dreaminaPageUrl: read(
        KEYS.dreaminaPageUrl,
        pageUrl,
        "https://dreamina.capcut.com/ai-tool/home",
      ),
      args: read(KEYS.browserArgs, words, []),
      idleCloseS: read(KEYS.browserIdleCloseS, int(1, 86_400), 300),
      routeTtlDays: read(KEYS.browserRouteTtlDays, positive(3650), 7),
    },
    upstreamTimeoutMs: read(KEYS.upstreamTimeoutMs, int(100, 600_000), 30_000),
    imageTimeoutS: read(KEYS.imageTimeoutS, int(1, 86_400), 300),
    videoTimeoutS: read(KEYS.videoTimeoutS, int(1, 86_400), 1800),
    mediaCache,
    videoQuality: read(KEYS.videoQuality, choice(["best", "preview"] as const), "best"),
    modelCatalogTtlMin: read(KEYS.modelCatalogTtlMin, int(0, 1440), 5),
    mediaMaxGb: read(KEYS.mediaMaxGb, positive(1_000_000), 10),
    publicBaseUrl,
    mediaUrls,
    logKeep: read(KEYS.logKeep, int(0, 10_000_000), 10_000),
    metricsToken: read<string | null>(KEYS.metricsToken, text, null),
    upstream: {
      cn: {
        base: read(KEYS.cnBase, url, "https://jimeng.jianying.com"),
        commerce: read(KEYS.cnBase, url, "https://jimeng.jianying.com"),
        imagex: read(KEYS.cnImagex, url, "https://imagex.bytedanceapi.com"),
        vod: read(KEYS.cnVod, url, "https://vod.bytedanceapi.com"),
      },
      us: {
        base: read(KEYS.usBase, url, "https://dreamina-api.us.capcut.com"),
        commerce: read(KEYS.usCommerce, url, "https://commerce-us-ttp2.us.capcut.com"),
        imagex: read(KEYS.usImagex, url, "https://imagex16-normal-us-ttp.capcutapi.us"),
      },
      asia: {
        base: read(KEYS.asiaBase, url, "https://mweb-api-sg.capcut.com"),
        commerce: read(KEYS.asiaCommerce, url, "https://commerce-api-sg.capcut.com"),
        imagex: read(KEYS.asiaImagex, url, "https://imagex-normal-sg.capcutapi.com"),
      },
    },
    protocol: {
      ...DEFAULT_PROTOCOL,
      appVersion: read(KEYS.appVersion, text, DEFAULT_PROTOCOL.appVersion),
      intlAppVersion: read(KEYS.intlAppVersion, text, DEFAULT_PROTOCOL.intlAppVersion),
      daVersion: read(KEYS.daVersion, text, DEFAULT_PROTOCOL.daVersion),
      intlDaVersion: read(KEYS.intlDaVersion, text, DEFAULT_PROTOCOL.intlDaVersion),
      webVersion: read(KEYS.webVersion, text, DEFAULT_PROTOCOL.webVersion),
      draftMinVersion: read(KEYS.draftMinVersion, text, DEFAULT_PROTOCOL.draftMinVersion),
      userAgent: read(KEYS.userAgent, text, DEFAULT_PROTOCOL.userAgent),
    },
  };
  // Runtime settings are read elsewhere, but a bad value must stop the start like any other.
  for (const entry of RUNTIME.values()) read(entry.env, entry.parse, entry.fallback);
  if ((config.adminUser === null) !== (config.adminPassword === null)) {
    throw new TypeError("ADMIN_USER and ADMIN_PASSWORD must be set together");
  }
  return Object.freeze(config);
}

/**
 * The environment variables the server itself reads, and only those: its
 * settings, and `PATH` (where the browser transport looks for Chromium).
 */
export function readEnvironment(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const { env: name } of SETTINGS) env[name] = Deno.env.get(name);
  // Where the browser transport looks for Chromium when CHROMIUM_PATH is unset.
  env.PATH = Deno.env.get("PATH");
  return env;
}

/** A setting as the console shows it: secrets only as set or unset. */
export interface SettingView extends Setting {
  /** The raw value given, masked for secrets; `null` when the default applies. */
  value: string | null;
}

/** Every setting with the value this configuration was given. */
export function describeSettings(config: Config): SettingView[] {
  return SETTINGS.map((setting) => {
    const raw = config.explicit[setting.env];
    const value = raw === undefined ? null : setting.secret ? "(set)" : raw;
    return { ...setting, value };
  });
}
