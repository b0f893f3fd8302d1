/**
 * The browser transport: sends an upstream call from inside the site's own
 * page in headless Chromium, so that the page's security script signs it
 * (`msToken`, `a_bogus`) the way Jimeng's risk control expects (fact sheet
 * 2026-10 §4).
 *
 * One browser, launched on first use (playwright-core is imported then too)
 * and closed after `idleCloseMs` without calls. One context per account with
 * that account's cookies, the user agent and client hints of the direct calls,
 * and its region's locale and time zone; in it one page, the configured site
 * page, opened once and reused. A call runs as `fetch()` in that page with the
 * URL, body and signed headers of the direct call; the answer is handed back
 * as a `Response` for the usual envelope parsing. Calls of one account are
 * serialized (bounded queue); a crashed browser or page is rebuilt once per
 * call. The browser may load only the configured page's site and the
 * region's API hosts: every other request is aborted, and nothing a client
 * sends is ever navigated to.
 * @module
 */
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import type { Logger } from "../log.ts";
import {
  browserIdentity,
  chromiumArgs,
  findChromium,
  type IsExecutable,
  regionLocale,
} from "./chromium.ts";
import {
  BrowserUnavailableError,
  type Site,
  siteOf,
  transportClosed,
  unusedStatus,
} from "./browser.ts";
import { JimengError } from "./errors.ts";
import { buildCookie, type Session } from "./http.ts";
import { loadPlaywright } from "./playwright.ts";
import type { ProtocolConstants } from "./protocol.ts";
import { regionHosts, siteName, type UpstreamHosts } from "./regions.ts";

/** A prepared upstream request (what `buildRequest` makes). */
export interface PreparedRequest {
  url: string;
  init: RequestInit;
}

/** Options of {@linkcode createBrowserTransport}. */
export interface BrowserTransportOptions {
  /** CHROMIUM_PATH, or `null` to look on `searchPath`. */
  chromiumPath: string | null;
  searchPath: string;
  pageUrls: Record<Site, string>;
  /** BROWSER_ARGS. */
  args: readonly string[];
  idleCloseMs: number;
  hosts: UpstreamHosts;
  protocol: Pick<ProtocolConstants, "userAgent" | "secChUa">;
  log: Logger;
  /**
   * The proxy of an account's browser context, for per-account proxies; none
   * by default. May throw when Chromium cannot use the account's proxy.
   */
  proxyFor?: (session: Session) => BrowserProxy | undefined;
  /** One call in the page. @default 60000 */
  callTimeoutMs?: number;
  /** Opening the site page until its security script is ready. @default 90000 */
  navigationTimeoutMs?: number;
  /** Calls of one account waiting or running at most. @default 16 */
  queueLimit?: number;
  /** Accounts with an open page at most; the least recently used idle one is closed. @default 8 */
  maxPages?: number;
  isExecutable?: IsExecutable;
}

/** What the console and `/metrics` show. */
export interface BrowserStatus {
  running: boolean;
  /** Accounts with an open page. */
  pages: number;
  /** Browser launches since the server started. */
  launches: number;
  /** Calls running or waiting. */
  active: number;
  /** The Chromium executable, or `null` when none was found. */
  executable: string | null;
  /** Why the transport cannot work (no Chromium) or the last launch or page failure. */
  problem: string | null;
  /** Requests of the page that were not allowed (other sites, images, fonts, media). */
  blockedRequests: number;
}

/** The transport. */
export interface BrowserTransport {
  /**
   * Sends one call from the session's site page. `prepare` builds the request
   * when its turn comes (so `Device-Time` and `Sign` are fresh).
   *
   * @throws {BrowserUnavailableError} when the browser cannot carry the call
   * @throws {JimengError} when the upstream cannot be reached from the page, or
   * the call times out or waits in a full queue
   */
  send(session: Session, prepare: () => PreparedRequest, signal?: AbortSignal): Promise<Response>;
  /** Makes the next call of `session` open a fresh page (e.g. after the page's call was refused). */
  reset(session: Session): void;
  status(): BrowserStatus;
  /** Closes the browser; later calls fail. */
  close(): Promise<void>;
}

/** Request headers a page's `fetch()` sets itself (sending them is forbidden or overridden). */
const BROWSER_OWNED_HEADERS =
  /^(cookie|origin|referer|user-agent|accept-encoding|accept-language|priority|sec-.*|host|content-length|connection)$/i;

/** Resource kinds the page does not need for its security script. */
const BLOCKED_TYPES = new Set(["image", "media", "font"]);

/** How long the page's security script may take to get ready after the page loaded. */
const SCRIPT_READY_MS = 20_000;

/**
 * The site of a URL, for "same-site": scheme and registrable domain, close
 * enough for the two sites (`https://jimeng.jianying.com` →
 * `https://jianying.com`, `x.example.com.cn` → `example.com.cn`). A host
 * without a registrable domain (an IP address, `localhost`) is its own site,
 * port included.
 */
export function siteKey(url: URL): string {
  const host = url.hostname.toLowerCase();
  if (/^[\d.]+$/.test(host) || host.startsWith("[") || !host.includes(".")) return url.origin;
  const labels = host.split(".");
  const second = labels.at(-2) ?? "";
  const take = labels.at(-1)!.length === 2 && /^(com|net|org|gov|edu|co|ac)$/.test(second) ? 3 : 2;
  return `${url.protocol}//${labels.slice(-take).join(".")}`;
}

/** The first line of a failure, and what to do when Deno refused a permission. */
function failureText(error: unknown): string {
  const message = (error as Error).message.split("\n")[0];
  return error instanceof Deno.errors.NotCapable
    ? `${message} (the server needs --allow-run and --allow-sys=homedir,osRelease, as deno task start has)`
    : message;
}

/** The answer of `fetch()` inside the page. */
type PageAnswer = { status: number; text: string } | { error: string; timedOut: boolean };

/** What `fetch()` inside the page is called with. */
interface PageCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
  referrer: string | null;
  timeoutMs: number;
}

/** Runs inside the page (serialized by Playwright): the page's own, wrapped `fetch`. */
async function fetchInPage(call: PageCall): Promise<PageAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), call.timeoutMs);
  try {
    const init: RequestInit = {
      method: call.method,
      headers: call.headers,
      credentials: "include",
      cache: "no-store",
      signal: controller.signal,
    };
    if (call.body !== null) init.body = call.body;
    if (call.referrer !== null) (init as { referrer?: string }).referrer = call.referrer;
    const response = await fetch(call.url, init);
    return { status: response.status, text: await response.text() };
  } catch (error) {
    return {
      error: String((error as Error)?.message ?? error),
      timedOut: controller.signal.aborted,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs inside the page: whether its security script is ready. It is once it
 * announced itself (`window.bdms.ready`) or replaced the native `fetch`.
 */
function scriptReady(): boolean {
  const page = globalThis as unknown as { bdms?: { ready?: unknown }; fetch: typeof fetch };
  if (page.bdms?.ready === true) return true;
  return !/\[native code\]/.test(Function.prototype.toString.call(page.fetch));
}

/** One account's context and page. */
/** A proxy as Chromium takes it. */
export interface BrowserProxy {
  server: string;
  username?: string;
  password?: string;
}

interface PageSlot {
  /** The account and its proxy: a changed proxy opens a new context. */
  key: string;
  /** The account's token (its calls' queue). */
  account: string;
  site: Site;
  context: BrowserContext;
  page: Page;
  /** The page crashed or closed, or should be opened afresh. */
  broken: boolean;
  lastUsed: number;
}

/** Calls of one account, one after the other. */
interface AccountQueue {
  tail: Promise<unknown>;
  pending: number;
}

/** Creates the transport; nothing starts until the first call. */
export function createBrowserTransport(options: BrowserTransportOptions): BrowserTransport {
  const { log } = options;
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const navigationTimeoutMs = options.navigationTimeoutMs ?? 90_000;
  const queueLimit = options.queueLimit ?? 16;
  const maxPages = options.maxPages ?? 8;
  const identity = browserIdentity(options.protocol);

  let browser: Browser | undefined;
  let launching: Promise<Browser> | undefined;
  let launches = 0;
  let problem: string | null = null;
  let executable: string | null = null;
  let blockedRequests = 0;
  let closed = false;
  let active = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const slots = new Map<string, PageSlot>();
  const opening = new Map<string, Promise<PageSlot>>();
  const queues = new Map<string, AccountQueue>();

  function locate(): string {
    const found = findChromium(options.chromiumPath, options.searchPath, options.isExecutable);
    if (found.problem !== undefined) {
      executable = null;
      problem = `Chromium was not found: ${found.problem}`;
      throw new BrowserUnavailableError("missing", problem);
    }
    executable = found.path;
    return found.path;
  }

  async function launch(): Promise<Browser> {
    const path = locate();
    let playwright;
    try {
      playwright = await loadPlaywright();
    } catch (error) {
      problem = `The browser driver (playwright-core) could not be loaded: ${failureText(error)}`;
      throw new BrowserUnavailableError("launch", problem, { cause: error });
    }
    let launched: Browser;
    try {
      launched = await playwright.chromium.launch({
        executablePath: path,
        headless: true,
        args: chromiumArgs(options.args),
        ignoreDefaultArgs: ["--enable-automation"],
        // Chromium needs no variable of the server's environment.
        env: {},
        timeout: navigationTimeoutMs,
      });
    } catch (error) {
      problem = `Chromium (${path}) could not start: ${failureText(error)}`;
      throw new BrowserUnavailableError("launch", problem, { cause: error });
    }
    launches++;
    problem = null;
    launched.on("disconnected", () => {
      if (browser === launched) browser = undefined;
      for (const slot of slots.values()) slot.broken = true;
      slots.clear();
      if (!closed) log.warn("Chromium of the browser transport exited");
    });
    log.info(`Browser transport: Chromium ${launched.version()} started`, { executable: path });
    return launched;
  }

  async function ensureBrowser(): Promise<Browser> {
    if (browser?.isConnected()) return browser;
    launching ??= launch().then((launched) => {
      browser = launched;
      return launched;
    }).finally(() => {
      launching = undefined;
    });
    return await launching;
  }

  function allowedOrigins(session: Session): Set<string> {
    const hosts = regionHosts(options.hosts, session.region);
    return new Set([new URL(hosts.base).origin, new URL(hosts.commerce).origin]);
  }

  function allowRoute(pageSite: string, apiOrigins: Set<string>) {
    return async (route: Route) => {
      const request = route.request();
      const url = URL.parse(request.url());
      const web = url?.protocol === "https:" || url?.protocol === "http:";
      const allowed = url !== null && web &&
        (siteKey(url) === pageSite || apiOrigins.has(url.origin)) &&
        !BLOCKED_TYPES.has(request.resourceType());
      if (!allowed) blockedRequests++;
      try {
        await (allowed ? route.continue() : route.abort("blockedbyclient"));
      } catch {
        // The page or its context closed meanwhile: nothing left to route.
      }
    };
  }

  async function openSlot(session: Session): Promise<PageSlot> {
    const current = await ensureBrowser();
    const site = siteOf(session);
    const pageUrl = new URL(options.pageUrls[site]);
    const apiOrigins = allowedOrigins(session);
    const { locale, timeZone } = regionLocale(session.region);
    const proxy = options.proxyFor?.(session);
    evictIdlePage();
    const context = await current.newContext({
      userAgent: identity.userAgent,
      locale,
      timezoneId: timeZone,
      viewport: { width: 1440, height: 900 },
      serviceWorkers: "block",
      ...(proxy ? { proxy } : {}),
    });
    try {
      // The cookies the account's own browser had (imported) first; the ones the direct
      // client sends fill in only what they lack.
      const imported = (session.cookies ?? []).filter((cookie) => cookie.domain !== "");
      const importedNames = new Set(imported.map((cookie) => cookie.name));
      const cookies = buildCookie(session, Math.floor(Date.now() / 1000)).split("; ").map(
        (pair) => {
          const eq = pair.indexOf("=");
          return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
        },
      ).filter((cookie) => !importedNames.has(cookie.name));
      const origins = new Set([pageUrl.origin, ...apiOrigins]);
      await context.addCookies([
        ...imported.map((cookie) => ({
          name: cookie.name,
          value: cookie.value,
          domain: cookie.domain,
          path: cookie.path || "/",
          expires: cookie.expires,
          httpOnly: cookie.httpOnly,
          secure: cookie.secure,
          ...(cookie.sameSite ? { sameSite: cookie.sameSite } : {}),
        })),
        ...[...origins].flatMap((origin) =>
          cookies.map((cookie) => ({ ...cookie, url: `${origin}/` }))
        ),
      ]);
      await context.route("**/*", allowRoute(siteKey(pageUrl), apiOrigins));
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send("Emulation.setUserAgentOverride", {
        userAgent: identity.userAgent,
        acceptLanguage: locale,
        platform: identity.platform,
        userAgentMetadata: identity.metadata,
      });
      const slot: PageSlot = {
        key: slotKey(session),
        account: session.token,
        site,
        context,
        page,
        broken: false,
        lastUsed: Date.now(),
      };
      page.on("crash", () => {
        slot.broken = true;
      });
      page.on("close", () => {
        slot.broken = true;
      });
      const started = performance.now();
      let response;
      try {
        response = await page.goto(pageUrl.href, {
          waitUntil: "domcontentloaded",
          timeout: navigationTimeoutMs,
        });
      } catch (error) {
        throw new BrowserUnavailableError(
          "page",
          `The site page ${pageUrl.href} did not load: ${(error as Error).message.split("\n")[0]}`,
          { cause: error },
        );
      }
      if (response && response.status() >= 400) {
        throw new BrowserUnavailableError(
          "page",
          `The site page ${pageUrl.href} answered HTTP ${response.status()}`,
        );
      }
      const remaining = navigationTimeoutMs - (performance.now() - started);
      try {
        await page.waitForFunction(scriptReady, undefined, {
          timeout: Math.max(1, Math.min(SCRIPT_READY_MS, remaining)),
          polling: 50,
        });
      } catch (error) {
        if (slot.broken || !current.isConnected()) throw error;
        // Calls still go out: the upstream then tells whether they were signed.
        log.warn(`The security script of ${pageUrl.href} did not get ready; calling anyway`);
      }
      log.debug(`Browser transport: ${site} page ready`, {
        ms: Math.round(performance.now() - started),
      });
      problem = null;
      return slot;
    } catch (error) {
      await context.close().catch(() => {});
      if (error instanceof BrowserUnavailableError) problem = error.message;
      throw error;
    }
  }

  function evictIdlePage(): void {
    if (slots.size < maxPages) return;
    let oldest: PageSlot | undefined;
    for (const slot of slots.values()) {
      if ((queues.get(slot.account)?.pending ?? 0) > 0) continue;
      if (!oldest || slot.lastUsed < oldest.lastUsed) oldest = slot;
    }
    if (oldest) dropSlot(oldest);
  }

  function dropSlot(slot: PageSlot): void {
    slot.broken = true;
    if (slots.get(slot.key) === slot) slots.delete(slot.key);
    slot.context.close().catch(() => {});
  }

  /** The page of an account with its current proxy (a proxy Chromium cannot use throws). */
  function slotKey(session: Session): string {
    return `${session.token}\u0000${options.proxyFor?.(session)?.server ?? ""}`;
  }

  async function slotFor(session: Session): Promise<PageSlot> {
    const key = slotKey(session);
    for (const slot of slots.values()) {
      // The account's page under a proxy it no longer has.
      if (slot.account === session.token && slot.key !== key) dropSlot(slot);
    }
    const existing = slots.get(key);
    if (existing && !existing.broken && browser?.isConnected()) return existing;
    if (existing) dropSlot(existing);
    let pending = opening.get(key);
    if (!pending) {
      pending = openSlot(session).catch((error) => {
        if (error instanceof BrowserUnavailableError) throw error;
        problem = `The site page could not be opened: ${(error as Error).message.split("\n")[0]}`;
        throw new BrowserUnavailableError("page", problem, { cause: error });
      }).finally(() => opening.delete(key));
      opening.set(key, pending);
    }
    const slot = await pending;
    slots.set(key, slot);
    return slot;
  }

  function toPageCall(session: Session, prepared: PreparedRequest, pageUrl: URL): PageCall {
    const url = new URL(prepared.url);
    if (!allowedOrigins(session).has(url.origin)) {
      throw new RangeError(
        `The browser transport only calls the upstream API hosts, not ${url.origin}`,
      );
    }
    const headers: Record<string, string> = {};
    let referrer: string | null = null;
    for (const [name, value] of Object.entries(prepared.init.headers as Record<string, string>)) {
      if (name.toLowerCase() === "referer") {
        if (URL.canParse(value) && new URL(value).origin === pageUrl.origin) referrer = value;
      } else if (!BROWSER_OWNED_HEADERS.test(name)) headers[name] = value;
    }
    const body = prepared.init.body;
    return {
      url: url.href,
      method: prepared.init.method ?? "POST",
      headers,
      body: typeof body === "string" ? body : null,
      referrer,
      timeoutMs: callTimeoutMs,
    };
  }

  async function runInPage(slot: PageSlot, call: PageCall): Promise<PageAnswer> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("the page stopped answering")),
        callTimeoutMs + 5000,
      );
    });
    try {
      return await Promise.race([slot.page.evaluate(fetchInPage, call), hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function execute(
    session: Session,
    prepare: () => PreparedRequest,
    signal?: AbortSignal,
  ): Promise<Response> {
    for (let attempt = 1;; attempt++) {
      if (signal?.aborted) throw signal.reason;
      if (closed) throw transportClosed();
      const slot = await slotFor(session);
      const call = toPageCall(session, prepare(), new URL(options.pageUrls[slot.site]));
      let answer: PageAnswer;
      try {
        answer = await runInPage(slot, call);
      } catch (error) {
        const crashed = slot.broken || !browser?.isConnected() || slot.page.isClosed();
        dropSlot(slot);
        if (closed) throw transportClosed();
        if (crashed && attempt === 1) {
          log.warn("The browser transport's page crashed; rebuilding it once", { error });
          continue;
        }
        problem = `The page could not run the call: ${(error as Error).message.split("\n")[0]}`;
        throw new BrowserUnavailableError("page", problem, { cause: error });
      }
      slot.lastUsed = Date.now();
      const path = new URL(call.url).pathname;
      if ("error" in answer) {
        if (answer.timedOut) {
          throw new JimengError(
            "timeout",
            `${
              siteName(session.region)
            } did not answer ${path} within ${callTimeoutMs} ms (through the site's page)`,
          );
        }
        throw new JimengError(
          "upstream_unavailable",
          `Could not reach ${
            siteName(session.region)
          } for ${path} from the site's page: ${answer.error}`,
          { retriable: false },
        );
      }
      return new Response(answer.text, { status: answer.status });
    }
  }

  function scheduleIdleClose(): void {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (active > 0 || closed || (!browser && !launching)) return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      if (active > 0 || !browser) return;
      log.info(`Browser transport: closing Chromium after ${options.idleCloseMs / 1000} idle s`);
      closeBrowser();
    }, options.idleCloseMs);
  }

  async function closeBrowser(): Promise<void> {
    const current = browser ?? await launching?.catch(() => undefined);
    browser = undefined;
    for (const slot of slots.values()) slot.broken = true;
    slots.clear();
    await current?.close().catch(() => {});
  }

  return {
    async send(session, prepare, signal) {
      if (closed) throw transportClosed();
      const key = session.token;
      const queue = queues.get(key) ?? { tail: Promise.resolve(), pending: 0 };
      if (queue.pending >= queueLimit) {
        throw new JimengError(
          "rate_limited",
          `The browser transport is busy: ${queue.pending} calls of this account are waiting for its page`,
          { retriable: false },
        );
      }
      queues.set(key, queue);
      queue.pending++;
      active++;
      clearTimeout(idleTimer);
      const run = queue.tail.then(() => execute(session, prepare, signal));
      queue.tail = run.catch(() => {});
      run.catch(() => {}).finally(() => {
        queue.pending--;
        active--;
        if (queue.pending === 0 && queues.get(key) === queue) queues.delete(key);
        scheduleIdleClose();
      });
      if (!signal) return await run;
      // The caller may leave; the call itself keeps its place until it ends.
      return await new Promise<Response>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        run.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
    },
    reset(session) {
      for (const slot of slots.values()) if (slot.account === session.token) slot.broken = true;
    },
    status() {
      // Not used yet: say whether it could be.
      if (!browser && !launching && executable === null && problem === null) {
        return unusedStatus(options, active);
      }
      return {
        running: browser?.isConnected() ?? false,
        pages: slots.size,
        launches,
        active,
        executable,
        problem,
        blockedRequests,
      };
    },
    async close() {
      closed = true;
      clearTimeout(idleTimer);
      idleTimer = undefined;
      await closeBrowser();
    },
  };
}
