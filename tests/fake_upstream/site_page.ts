/**
 * The site's own page and its security script (fact sheet 2026-10 §4), as far
 * as risk control needs them: `GET /ai-tool/…` serves the page, which loads a
 * stylesheet and the script from `/secsdk/`. The script wraps `window.fetch`
 * and appends `msToken=…&a_bogus=…` to every API call (/mweb, /commerce,
 * /passport), as the real `bdms` SDK does.
 *
 * How the signature is made, and why only a page in a real browser makes it:
 *
 * - Each page load gets a ticket (the `msToken`) and a secret. The ticket
 *   arrives as a cookie set by the script's response; the secret never leaves
 *   the fake, only two values derived from it, both through the stylesheet: a
 *   CSS custom property (`--bdms-salt`, read back through the CSSOM) and the
 *   width of a probe element (read back through layout). A client that does
 *   not apply CSS and lay the page out, keep cookies and run the script in a
 *   page has neither.
 * - The key is SHA-256 of `msToken|salt|width|navigator.userAgent|navigator.platform`.
 *   The fake takes the user agent from the call's `User-Agent` header and the
 *   platform a browser with that user agent reports (`Win32`, `MacIntel`,
 *   `Linux x86_64`): a page whose user agent or platform disagrees with its
 *   requests signs with the wrong key.
 * - `a_bogus` is the base64url HMAC-SHA256, with that key, of
 *   `METHOD\npath\nquery\nbody`, where `query` is the raw query up to and
 *   including `msToken` and `body` the exact body text: it is bound to the one
 *   request and verifies nowhere else.
 * - The script refuses to sign when the browser shows it is automated
 *   (`navigator.webdriver === true`) or headless (`HeadlessChrome` in the user
 *   agent): its `fetch` then sends calls unsigned.
 * - A ticket belongs to the account whose `sessionid` cookie loaded the page.
 *
 * {@linkcode verifyPageSignature} is the upstream's side of it.
 * @module
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { sessionIdOf } from "./validate.ts";
import type { Reply } from "./reply.ts";
import { type FakeState, randomHex, type SessionState } from "./state.ts";

/** Page loads remembered; older tickets stop verifying. */
const MAX_TICKETS = 1000;

function textReply(body: string, contentType: string, headers: Record<string, string> = {}): Reply {
  return {
    status: 200,
    headers: { "content-type": contentType, "cache-control": "no-store", ...headers },
    body,
  };
}

/** What the stylesheet of a ticket says. */
function stylesheetValues(secret: string): { salt: string; width: number } {
  const digest = createHash("sha256").update(`${secret}|stylesheet`).digest();
  return {
    salt: digest.subarray(0, 8).toString("hex"),
    width: 120 + (digest.readUInt16BE(8) % 600),
  };
}

/** The `navigator.platform` of a browser that sends this user agent. */
export function platformOf(userAgent: string): string {
  if (/Windows/.test(userAgent)) return "Win32";
  if (/Mac OS X/.test(userAgent)) return "MacIntel";
  return "Linux x86_64";
}

const escapeAttribute = (value: string) =>
  value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** `GET /ai-tool/…`: the site page, with a fresh ticket. */
export function handleSitePage(state: FakeState, req: Request): Reply {
  const ticket = randomHex(16);
  state.pageTickets.set(ticket, {
    secret: randomHex(16),
    sessionId: sessionIdOf(req.headers.get("cookie")),
  });
  if (state.pageTickets.size > MAX_TICKETS) {
    state.pageTickets.delete(state.pageTickets.keys().next().value!);
  }
  state.stats.pageLoads++;
  const extras = state.knobs.pageExtraResources.map((url) => {
    const src = escapeAttribute(url);
    return `<script async src="${src}"></script><iframe src="${src}" hidden></iframe>`;
  }).join("");
  const probes = state.knobs.pageExtraResources.map((url) =>
    `fetch(${JSON.stringify(url)}).catch(() => {});`
  ).join("");
  return textReply(
    `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>即梦AI - 一站式AI创作平台</title>
<link rel="stylesheet" href="/secsdk/bdms.css?t=${ticket}">
<script src="/secsdk/bdms.js?t=${ticket}"></script>
${extras}
</head>
<body>
<div id="root">即梦</div>
<div id="bdms-probe"></div>
<script>${probes}</script>
</body>
</html>`,
    "text/html; charset=utf-8",
  );
}

/** The security script; `delayMs` is how long it takes to get ready. */
function securityScript(delayMs: number): string {
  return `(() => {
  "use strict";
  const nativeFetch = window.fetch;
  const encoder = new TextEncoder();
  const automated = navigator.webdriver === true || /HeadlessChrome/.test(navigator.userAgent);
  const token = () => (document.cookie.match(/(?:^|;\\s*)msToken=([^;]+)/) || [])[1] || "";
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const base64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  async function deriveKey() {
    if (document.readyState === "loading") {
      await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
    }
    const probe = document.getElementById("bdms-probe");
    for (let i = 0; i < 500 && probe.getBoundingClientRect().width === 0; i++) await sleep(10);
    await sleep(${delayMs});
    const width = Math.round(probe.getBoundingClientRect().width);
    const salt = getComputedStyle(probe).getPropertyValue("--bdms-salt").trim().replace(/^"|"$/g, "");
    const material = [token(), salt, width, navigator.userAgent, navigator.platform].join("|");
    const raw = await crypto.subtle.digest("SHA-256", encoder.encode(material));
    return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  }
  deriveKey().then((key) => {
    window.fetch = async function fetch(input, init) {
      init = init || {};
      const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const url = new URL(href, location.href);
      if (automated || !/^\\/(mweb|commerce|passport)\\//.test(url.pathname)) {
        return nativeFetch.call(window, input, init);
      }
      const query = (url.search ? url.search.slice(1) + "&" : "") + "msToken=" + token();
      const method = String(init.method || "GET").toUpperCase();
      const body = typeof init.body === "string" ? init.body : "";
      const signature = await crypto.subtle.sign(
        "HMAC",
        key,
        encoder.encode([method, url.pathname, query, body].join("\\n")),
      );
      const signed = url.origin + url.pathname + "?" + query + "&a_bogus=" + base64url(signature);
      return nativeFetch.call(window, signed, init);
    };
    window.bdms = { ready: true, version: "fake-1.0", signing: !automated };
  });
})();
`;
}

/** `GET /secsdk/bdms.css` and `/secsdk/bdms.js` of a page load. */
export function handleSecsdk(state: FakeState, url: URL): Reply {
  const ticket = url.searchParams.get("t") ?? "";
  const page = state.pageTickets.get(ticket);
  if (!page) {
    return { status: 404, headers: { "content-type": "text/plain" }, body: "no such page" };
  }
  if (url.pathname === "/secsdk/bdms.css") {
    const { salt, width } = stylesheetValues(page.secret);
    return textReply(
      `#bdms-probe{position:absolute;left:-10000px;top:0;height:1px;width:${width}px;--bdms-salt:"${salt}"}`,
      "text/css; charset=utf-8",
    );
  }
  if (url.pathname === "/secsdk/bdms.js") {
    return textReply(securityScript(state.knobs.pageScriptDelayMs), "text/javascript", {
      "set-cookie": `msToken=${ticket}; Path=/; SameSite=Lax`,
    });
  }
  return { status: 404, headers: { "content-type": "text/plain" }, body: "not found" };
}

/** The value of one cookie. */
export function cookieValue(cookie: string | null, name: string): string | undefined {
  for (const part of (cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Outcome of {@linkcode verifyPageSignature}: valid, absent, or why it does not verify. */
export type SignatureCheck = { valid: true } | { valid: false; absent: true } | {
  valid: false;
  absent: false;
  reason: string;
};

/** Checks the page signature of an API call of `session`. */
export function verifyPageSignature(
  state: FakeState,
  req: Request,
  url: URL,
  bodyText: string,
  session: SessionState,
): SignatureCheck {
  const raw = url.search.slice(1);
  const signed = /^(.*&)?msToken=([0-9a-f]+)&a_bogus=([A-Za-z0-9_-]+)$/.exec(raw);
  if (!signed) {
    const partial = url.searchParams.has("a_bogus") || url.searchParams.has("msToken");
    return partial
      ? { valid: false, absent: false, reason: "msToken/a_bogus not at the end of the query" }
      : { valid: false, absent: true };
  }
  const [, , ticket, signature] = signed;
  const fail = (reason: string): SignatureCheck => ({ valid: false, absent: false, reason });
  const page = state.pageTickets.get(ticket);
  if (!page) return fail("unknown msToken");
  if (page.sessionId !== session.id) return fail("msToken of another account's page");
  if (cookieValue(req.headers.get("cookie"), "msToken") !== ticket) {
    return fail("msToken cookie missing or different");
  }
  const userAgent = req.headers.get("user-agent") ?? "";
  if (/HeadlessChrome/.test(userAgent)) return fail("headless user agent");
  const { salt, width } = stylesheetValues(page.secret);
  const key = createHash("sha256")
    .update([ticket, salt, width, userAgent, platformOf(userAgent)].join("|"))
    .digest();
  const query = raw.slice(0, raw.length - `&a_bogus=${signature}`.length);
  const expected = createHmac("sha256", key)
    .update([req.method, url.pathname, query, bodyText].join("\n"))
    .digest("base64url");
  const given = new TextEncoder().encode(signature);
  const wanted = new TextEncoder().encode(expected);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return fail("a_bogus does not match the request");
  }
  return { valid: true };
}
