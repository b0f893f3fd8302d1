/**
 * Accounts from cookies copied out of a logged-in browser: a `Cookie:`
 * header, a cookie export (a JSON array as EditThisCookie, Cookie-Editor or
 * the DevTools write it, or Playwright's `{cookies: […]}`), or a Netscape
 * `cookies.txt`. Each site found (jimeng.jianying.com, dreamina.capcut.com)
 * with a `sessionid` becomes one account: its region (Dreamina's
 * `store-country-code` / `store-idc`), the browser's `_tea_web_id` and
 * `uid_tt`, and all of the site's cookies for the browser context.
 * @module
 */
import type { SiteCookie } from "../jimeng/http.ts";
import type { Region } from "../jimeng/regions.ts";

/** One account found in pasted cookies. */
export interface CookieAccount {
  /** `[region-]sessionid`, as an account token. */
  token: string;
  region: Region;
  /** The browser's `_tea_web_id`, when it holds one. */
  webId?: string;
  /** The browser's `uid_tt`, when it holds one. */
  userId?: string;
  /** Every cookie of the account's site, with its domain filled in. */
  cookies: SiteCookie[];
  /** The pasted line it came from (a `Cookie:` header per line); absent for a whole file. */
  line?: number;
}

/** What a paste held. */
export interface CookiePaste {
  format: "header" | "json" | "netscape";
  accounts: CookieAccount[];
  /** What could not become an account (no cookie values), and the line, when known. */
  problems: CookieProblem[];
}

/** Why (part of) a paste is no account. */
export interface CookieProblem {
  /** The pasted line it is about (a `Cookie:` header per line); absent for a whole file. */
  line?: number;
  reason: string;
}

type Site = "jimeng" | "dreamina";

const SITE_DOMAIN: Record<Site, string> = { jimeng: ".jianying.com", dreamina: ".capcut.com" };
const SITE_NAME: Record<Site, string> = {
  jimeng: "jimeng.jianying.com",
  dreamina: "dreamina.capcut.com",
};

/** Cookies of one site kept at most, and their total size. */
const MAX_COOKIES = 300;
const MAX_BYTES = 64 * 1024;

const SESSION_NAMES = ["sessionid", "sessionid_ss", "sid_tt"];

function siteOfDomain(domain: string): Site | undefined {
  const host = domain.toLowerCase().replace(/^\./, "");
  if (host === "jianying.com" || host.endsWith(".jianying.com")) return "jimeng";
  if (host === "capcut.com" || host.endsWith(".capcut.com")) return "dreamina";
  return undefined;
}

/** A cookie's site: by domain when it has one, else (a `Cookie:` header) by the set's own marks. */
function cookieSite(cookie: SiteCookie, fallback: Site): Site | undefined {
  return cookie.domain === "" ? fallback : siteOfDomain(cookie.domain);
}

/**
 * The Dreamina region of a cookie set: `store-country-code` when it names a
 * region the server knows, else the data centre in `store-idc`.
 */
export function dreaminaRegion(
  country: string | undefined,
  idc: string | undefined,
): Region | undefined {
  const code = country?.trim().toLowerCase();
  if (code === "us" || code === "hk" || code === "jp" || code === "sg") return code;
  const centre = idc?.trim().toLowerCase() ?? "";
  if (/^(useast|uswest|maliva|us)/.test(centre)) return "us";
  if (/^(alisg|sg|my)/.test(centre)) return "sg";
  return undefined;
}

function valueOf(cookies: readonly SiteCookie[], name: string): string | undefined {
  const found = cookies.find((c) => c.name === name && c.value !== "");
  return found?.value;
}

/** Turns one site's cookies into an account, or says why it cannot be one. */
function toAccount(site: Site, cookies: SiteCookie[]): CookieAccount | string {
  const where = `The cookies of ${SITE_NAME[site]}`;
  let sessionId: string | undefined;
  for (const name of SESSION_NAMES) sessionId ??= valueOf(cookies, name);
  if (sessionId === undefined) {
    return `${where} hold no sessionid cookie. Log in on the site first, then copy them again`;
  }
  let region: Region = "cn";
  if (site === "dreamina") {
    const country = valueOf(cookies, "store-country-code");
    const idc = valueOf(cookies, "store-idc");
    const found = dreaminaRegion(country, idc);
    if (!found) {
      return `${where} do not tell the Dreamina region (store-country-code ${
        JSON.stringify(country ?? null)
      }, store-idc ${
        JSON.stringify(idc ?? null)
      }): add the sessionid with its us-, hk-, jp- or sg- prefix instead`;
    }
    region = found;
  }
  if (cookies.length > MAX_COOKIES) {
    return `${where} are more than ${MAX_COOKIES} cookies; copy only the site's own`;
  }
  const size = cookies.reduce((sum, c) => sum + c.name.length + c.value.length, 0);
  if (size > MAX_BYTES) return `${where} are larger than ${MAX_BYTES / 1024} KiB`;
  const account: CookieAccount = {
    token: region === "cn" ? sessionId : `${region}-${sessionId}`,
    region,
    cookies: cookies.map((c) => ({ ...c, domain: c.domain || SITE_DOMAIN[site] })),
  };
  const webId = valueOf(cookies, "_tea_web_id");
  if (webId && /^\d{10,25}$/.test(webId)) account.webId = webId;
  const userId = valueOf(cookies, "uid_tt");
  if (userId && /^[0-9a-f]{32}$/i.test(userId)) account.userId = userId.toLowerCase();
  return account;
}

/** Groups cookies by site and turns each group into an account. */
function collect(format: CookiePaste["format"], cookies: SiteCookie[]): CookiePaste {
  const marked = cookies.some((c) => c.name === "store-country-code" || c.name === "store-idc");
  const fallback: Site = marked ? "dreamina" : "jimeng";
  const bySite = new Map<Site, SiteCookie[]>();
  for (const cookie of cookies) {
    const site = cookieSite(cookie, fallback);
    if (!site) continue;
    bySite.set(site, [...(bySite.get(site) ?? []), cookie]);
  }
  const paste: CookiePaste = { format, accounts: [], problems: [] };
  if (bySite.size === 0) {
    paste.problems.push({
      reason: "None of the cookies belongs to jimeng.jianying.com or dreamina.capcut.com",
    });
  }
  for (const [site, group] of bySite) {
    const result = toAccount(site, group);
    if (typeof result === "string") paste.problems.push({ reason: result });
    else paste.accounts.push(result);
  }
  return paste;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isCookieText(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

function headerCookie(name: string, value: string): SiteCookie {
  return { name, value, domain: "", path: "/", expires: -1, httpOnly: false, secure: true };
}

/** The pairs of one `Cookie:` header line, or `undefined` when it is not one. */
function parseHeaderLine(line: string): SiteCookie[] | undefined {
  const body = line.replace(/^\s*cookie\s*:/i, "");
  const cookies: SiteCookie[] = [];
  for (const part of body.split(";")) {
    const pair = part.trim();
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) return undefined;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1");
    if (!COOKIE_NAME.test(name) || !isCookieText(value)) return undefined;
    cookies.push(headerCookie(name, value));
  }
  return cookies.length > 0 ? cookies : undefined;
}

function sameSiteOf(value: unknown): SiteCookie["sameSite"] {
  const text = String(value ?? "").toLowerCase();
  if (text === "strict") return "Strict";
  if (text === "lax") return "Lax";
  if (text === "none" || text === "no_restriction") return "None";
  return undefined;
}

/**
 * One cookie object of a JSON export; `null` for a cookie no browser could
 * send (skipped), `undefined` when the entry is not a cookie at all.
 */
function jsonCookie(item: unknown): SiteCookie | null | undefined {
  if (item === null || typeof item !== "object") return undefined;
  const entry = item as Record<string, unknown>;
  const name = entry.name;
  const value = entry.value ?? "";
  if (typeof name !== "string" || typeof value !== "string") return undefined;
  if (!COOKIE_NAME.test(name) || !isCookieText(value)) return null;
  const rawExpiry = entry.expirationDate ?? entry.expires ?? entry.expiry;
  const expiry = Number(rawExpiry);
  const cookie: SiteCookie = {
    name,
    value,
    domain: typeof entry.domain === "string" ? entry.domain : "",
    path: typeof entry.path === "string" && entry.path.startsWith("/") ? entry.path : "/",
    expires: entry.session === true || !Number.isFinite(expiry) || expiry <= 0
      ? -1
      : Math.floor(expiry),
    httpOnly: entry.httpOnly === true,
    secure: entry.secure === true,
  };
  const sameSite = sameSiteOf(entry.sameSite);
  if (sameSite) cookie.sameSite = sameSite;
  return cookie;
}

/**
 * Reads a cookie export already parsed from JSON: an array of cookie objects
 * or an object with a `cookies` array.
 *
 * @returns `undefined` when `value` is not such an export
 */
export function cookiesFromJson(value: unknown): CookiePaste | undefined {
  const list = Array.isArray(value) ? value : value !== null && typeof value === "object" &&
      Array.isArray((value as { cookies?: unknown }).cookies)
    ? (value as { cookies: unknown[] }).cookies
    : undefined;
  if (list === undefined || list.length === 0) return undefined;
  const cookies = list.map(jsonCookie);
  if (cookies.some((c) => c === undefined)) {
    return {
      format: "json",
      accounts: [],
      problems: [{
        reason:
          "The cookie export holds an entry that is not a cookie (each needs a 'name' and a 'value' string)",
      }],
    };
  }
  return collect("json", cookies.filter((c) => c !== null) as SiteCookie[]);
}

/** The cookies of a Netscape `cookies.txt`, or `undefined` when `text` is not one. */
function parseNetscape(text: string): SiteCookie[] | undefined {
  const cookies: SiteCookie[] = [];
  let header = false;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    // Tabs separate the fields (the value may be empty): only a line's spaces are trimmed.
    let line = raw.replace(/^ +| +$/g, "");
    if (line.trim() === "") continue;
    let httpOnly = false;
    if (line.startsWith("#HttpOnly_")) {
      httpOnly = true;
      line = line.slice("#HttpOnly_".length);
    } else if (line.startsWith("#")) {
      if (/netscape http cookie file|http cookie file/i.test(line)) header = true;
      continue;
    }
    const fields = line.split("\t");
    if (fields.length < 6 || fields.length > 7) return undefined;
    const [domain, , path, secure, expiry, name, value = ""] = fields;
    if (!COOKIE_NAME.test(name) || !isCookieText(value)) return undefined;
    const seconds = Number(expiry);
    cookies.push({
      name,
      value,
      domain,
      path: path.startsWith("/") ? path : "/",
      expires: Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : -1,
      httpOnly,
      secure: secure.toUpperCase() === "TRUE",
    });
  }
  return cookies.length > 0 || header ? cookies : undefined;
}

/**
 * Reads pasted text as cookies, or returns `undefined` when it is a plain
 * list of sessionids (one or many, `sessionid=` prefixes allowed), which the
 * caller splits as before.
 */
export function parseCookiePaste(text: string): CookiePaste | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      return {
        format: "json",
        accounts: [],
        problems: [{ reason: "The cookie export is not valid JSON: copy it again, whole" }],
      };
    }
    return cookiesFromJson(value) ?? {
      format: "json",
      accounts: [],
      problems: [{
        reason: "The JSON is not a cookie export (an array of {name, value, domain} objects)",
      }],
    };
  }
  if (trimmed.includes("\t") || /^#\s*(netscape )?http cookie file/i.test(trimmed)) {
    const cookies = parseNetscape(trimmed);
    if (cookies) return collect("netscape", cookies);
  }
  // A Cookie header: several name=value pairs, not only sessionids. One header per line.
  const lines = trimmed.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l !== "");
  const headers = lines.map(parseHeaderLine);
  const isHeader = (cookies: SiteCookie[] | undefined, line: string) =>
    cookies !== undefined &&
    (/^cookie\s*:/i.test(line) || cookies.some((c) => c.name.toLowerCase() !== "sessionid"));
  if (!headers.some((cookies, i) => isHeader(cookies, lines[i]))) return undefined;
  const paste: CookiePaste = { format: "header", accounts: [], problems: [] };
  headers.forEach((cookies, i) => {
    if (!cookies) {
      paste.problems.push({
        line: i + 1,
        reason: "is not a Cookie header (name=value pairs joined by ';')",
      });
      return;
    }
    const part = collect("header", cookies);
    paste.accounts.push(...part.accounts.map((account) => ({ ...account, line: i + 1 })));
    paste.problems.push(...part.problems.map((p) => ({ ...p, line: i + 1 })));
  });
  return paste;
}
