/**
 * Which way an upstream call goes: direct, or through the site's page (the
 * browser transport). `JIMENG_BROWSER_TRANSPORT` decides:
 *
 * - `off`: always direct; a risk-control refusal says how to turn it on.
 * - `auto` (default): direct first; a risk-control refusal is retried once
 *   through the page, and when that worked the route (site + endpoint +
 *   model) is remembered — in the database, so also after a restart — and its
 *   later calls go straight to the page until the route expires.
 * - `always`: writes (generate, the daily credit claim) go through the page.
 *
 * When the browser cannot carry a call, the original refusal is what the
 * caller gets, saying exactly how to enable the transport.
 * @module
 */
import type { Logger } from "../log.ts";
import { BrowserUnavailableError, type Site, siteOf } from "./browser.ts";
import type { BrowserStatus, BrowserTransport } from "./browser_transport.ts";
import { JimengError } from "./errors.ts";
import type { Session } from "./http.ts";
import { PATHS } from "./protocol.ts";

/** `JIMENG_BROWSER_TRANSPORT`. */
export type TransportMode = "off" | "auto" | "always";

/** The calls that change something upstream: `always` sends them through the page. */
export const PAGE_WRITES: ReadonlySet<string> = new Set([PATHS.generate, PATHS.creditReceive]);

/** What a learned route is known by. */
export interface RouteKey {
  site: Site;
  endpoint: string;
  /** Root model of the call, `""` when it has none. */
  model: string;
}

/** A learned route. */
export interface LearnedRoute extends RouteKey {
  id: number;
  learnedAt: number;
  lastUsedAt: number;
  calls: number;
}

/** Where learned routes are kept (the database). */
export interface RouteStore {
  list(): LearnedRoute[];
  /** Stores a route learned now (again); returns it. */
  learn(key: RouteKey, now: number): LearnedRoute;
  touch(id: number, now: number): void;
  remove(id: number): boolean;
  removeAll(): number;
}

/** The key of a call: `model` is the generate body's `extend.root_model`. */
export function routeKeyOf(session: Session, endpoint: string, body: unknown): RouteKey {
  const extend = (body as { extend?: { root_model?: unknown } } | null | undefined)?.extend;
  const model = typeof extend?.root_model === "string" ? extend.root_model : "";
  return { site: siteOf(session), endpoint, model };
}

/** A routed call. */
export interface RoutedCall {
  session: Session;
  path: string;
  body: unknown;
}

/** The two ways of one call. */
export interface CallWays<T> {
  direct: () => Promise<T>;
  page: () => Promise<T>;
}

/** What the console and `/metrics` show. */
export interface PageRoutingStatus {
  mode: TransportMode;
  browser: BrowserStatus;
  /** Calls sent through the page: answered successfully, or failed (browser or upstream). */
  calls: { ok: number; failed: number };
  /** Routes remembered to go through the page. */
  routes: number;
  /** Routes learned since the start. */
  switches: number;
}

/** The routing of calls between direct and page. */
export interface PageRouting {
  /** Runs a call the way the mode and the learned routes say. */
  run<T>(call: RoutedCall, ways: CallWays<T>): Promise<T>;
  /** The browser transport's `send`. */
  send: BrowserTransport["send"];
  status(): PageRoutingStatus;
  /** The routes remembered to go through the page. */
  routes(): LearnedRoute[];
  /** Forgets one route (by id) or all; returns how many were forgotten. */
  forget(id?: number): number;
  close(): Promise<void>;
}

/** What {@linkcode createPageRouting} needs. */
export interface PageRoutingDeps {
  transport: BrowserTransport;
  mode: () => TransportMode;
  store: RouteStore;
  /** How long a learned route goes to the page before it is tried directly again. */
  routeTtlMs: number;
  log: Logger;
  now: () => number;
}

const ENABLE_HELP =
  "install Chromium (Debian/Ubuntu: `apt install chromium`), set CHROMIUM_PATH to its executable, " +
  "or run the Docker image built with `--build-arg WITH_CHROMIUM=true`";

function isRiskControl(error: unknown): error is JimengError {
  return error instanceof JimengError && error.kind === "risk_control";
}

/** The refusal, with what the transport could not do about it. */
function explained(refusal: JimengError, detail: string): JimengError {
  return new JimengError("risk_control", `${refusal.message}. ${detail}`, {
    code: refusal.code,
    retriable: false,
    cause: refusal,
  });
}

function browserProblem(refusal: JimengError, failure: unknown): JimengError {
  if (failure instanceof BrowserUnavailableError && failure.reason === "missing") {
    return explained(
      refusal,
      `The browser transport, which sends such calls from the site's page, needs Chromium, and ${
        failure.message.replace(/^Chromium was not found: /, "it was not found (")
      }): ${ENABLE_HELP}`,
    );
  }
  return explained(
    refusal,
    `The browser transport could not send it from the site's page: ${(failure as Error).message}`,
  );
}

function describeRoute(key: RouteKey): string {
  return `${key.site} ${key.endpoint}${key.model ? ` (model ${key.model})` : ""}`;
}

/** Creates the routing. */
export function createPageRouting(deps: PageRoutingDeps): PageRouting {
  const { transport, store, log, now } = deps;
  const learned = new Map<string, LearnedRoute>();
  const calls = { ok: 0, failed: 0 };
  let switches = 0;
  let localIds = 0;
  const keyText = (key: RouteKey) => `${key.site}\u0000${key.endpoint}\u0000${key.model}`;

  try {
    for (const route of store.list()) learned.set(keyText(route), route);
  } catch (error) {
    log.warn("Could not read the browser transport's learned routes", { error });
  }

  function expired(route: LearnedRoute): boolean {
    return route.learnedAt + deps.routeTtlMs <= now();
  }

  function drop(route: LearnedRoute): void {
    learned.delete(keyText(route));
    try {
      if (route.id > 0) store.remove(route.id);
    } catch (error) {
      log.warn("Could not forget a browser transport route", { error });
    }
  }

  function lookup(key: RouteKey): LearnedRoute | undefined {
    const route = learned.get(keyText(key));
    if (route && expired(route)) {
      log.info(`Browser transport: route ${describeRoute(route)} expired; it goes direct again`);
      drop(route);
      return undefined;
    }
    return route;
  }

  function learn(key: RouteKey, refusal: JimengError): void {
    const again = learned.has(keyText(key));
    let route: LearnedRoute;
    try {
      route = store.learn(key, now());
    } catch (error) {
      // Kept for this run only: a later call learns it again.
      log.warn("Could not store a browser transport route", { error });
      route = { ...key, id: -++localIds, learnedAt: now(), lastUsedAt: now(), calls: 1 };
    }
    learned.set(keyText(key), route);
    if (!again) switches++;
    log.info(
      `Browser transport: route ${
        describeRoute(key)
      } now goes through the site's page (refused directly with ret ${refusal.code}, accepted from the page)`,
    );
  }

  function used(route: LearnedRoute): void {
    route.lastUsedAt = now();
    route.calls++;
    try {
      if (route.id > 0) store.touch(route.id, route.lastUsedAt);
    } catch (error) {
      log.debug("Could not count a browser transport call", { error });
    }
  }

  async function viaPage<T>(call: RoutedCall, ways: CallWays<T>): Promise<T> {
    try {
      const result = await ways.page();
      calls.ok++;
      return result;
    } catch (error) {
      calls.failed++;
      // A refused page is opened afresh next time (its tokens may be stale).
      if (isRiskControl(error)) transport.reset(call.session);
      throw error;
    }
  }

  /** A call the mode or a learned route sends straight to the page. */
  async function pageFirst<T>(
    call: RoutedCall,
    ways: CallWays<T>,
    route?: LearnedRoute,
  ): Promise<T> {
    try {
      const result = await viaPage(call, ways);
      if (route) used(route);
      return result;
    } catch (failure) {
      if (!(failure instanceof BrowserUnavailableError)) throw failure;
      // The page cannot carry it; directly it may pass (risk control is not forever).
      log.warn(`Browser transport unavailable, sending ${call.path} directly: ${failure.message}`);
      try {
        return await ways.direct();
      } catch (error) {
        throw isRiskControl(error) ? browserProblem(error, failure) : error;
      }
    }
  }

  return {
    async run<T>(call: RoutedCall, ways: CallWays<T>): Promise<T> {
      const mode = deps.mode();
      if (mode === "off") {
        try {
          return await ways.direct();
        } catch (error) {
          if (!isRiskControl(error)) throw error;
          throw explained(
            error,
            "The browser transport, which sends such calls from the site's page, is off: set JIMENG_BROWSER_TRANSPORT to auto (console → Settings)",
          );
        }
      }
      const key = routeKeyOf(call.session, call.path, call.body);
      if (mode === "always" && PAGE_WRITES.has(call.path)) return await pageFirst(call, ways);
      const route = mode === "auto" ? lookup(key) : undefined;
      if (route) return await pageFirst(call, ways, route);
      let refusal: JimengError;
      try {
        return await ways.direct();
      } catch (error) {
        if (!isRiskControl(error)) throw error;
        refusal = error;
      }
      let result: T;
      try {
        result = await viaPage(call, ways);
      } catch (failure) {
        if (isRiskControl(failure)) {
          throw explained(
            failure,
            "Sent again from the site's page, it was refused too: open the site in a browser with this account once, or use another account",
          );
        }
        if (failure instanceof BrowserUnavailableError) throw browserProblem(refusal, failure);
        throw failure;
      }
      if (mode === "auto") learn(key, refusal);
      return result;
    },
    send: (session, prepare, signal) => transport.send(session, prepare, signal),
    status() {
      for (const route of [...learned.values()]) if (expired(route)) drop(route);
      return {
        mode: deps.mode(),
        browser: transport.status(),
        calls: { ...calls },
        routes: learned.size,
        switches,
      };
    },
    routes() {
      for (const route of [...learned.values()]) if (expired(route)) drop(route);
      return [...learned.values()].map((route) => ({ ...route }));
    },
    forget(id) {
      if (id === undefined) {
        const count = learned.size;
        learned.clear();
        try {
          store.removeAll();
        } catch (error) {
          log.warn("Could not forget the browser transport routes", { error });
        }
        if (count > 0) log.info(`Browser transport: ${count} learned route(s) reset`);
        return count;
      }
      const route = [...learned.values()].find((r) => r.id === id);
      if (!route) return 0;
      drop(route);
      log.info(`Browser transport: route ${describeRoute(route)} reset; it goes direct again`);
      return 1;
    },
    close: () => transport.close(),
  };
}
