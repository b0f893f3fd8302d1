/**
 * The part of the browser transport the server holds from the start: which
 * site's page a session takes, why the browser could not carry a call, and
 * {@linkcode lazyBrowserTransport}, which imports the transport itself
 * (`browser_transport.ts`; playwright-core follows on launch) with the first
 * call that needs a page. Most servers send every call directly, and a module
 * imported at start stays in memory for good.
 * @module
 */
import type {
  BrowserStatus,
  BrowserTransport,
  BrowserTransportOptions,
} from "./browser_transport.ts";
import { findChromium } from "./chromium.ts";
import type { Session } from "./http.ts";
import { regionInfo } from "./regions.ts";

/** Why the browser could not carry a call (Chromium missing, not starting, page not loading). */
export class BrowserUnavailableError extends Error {
  override name = "BrowserUnavailableError";
  /** `missing`: no Chromium; `launch`: it did not start; `page`: the site page failed. */
  readonly reason: "missing" | "launch" | "page" | "closed";

  constructor(
    reason: BrowserUnavailableError["reason"],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.reason = reason;
  }
}

/** The error of a call after the transport was closed. */
export function transportClosed(): BrowserUnavailableError {
  return new BrowserUnavailableError("closed", "The browser transport is closed");
}

/** The two sites, each with its own page. */
export type Site = "jimeng" | "dreamina";

/** The site a session belongs to. */
export function siteOf(session: Session): Site {
  return regionInfo(session.region).international ? "dreamina" : "jimeng";
}

/** The status of a transport that never looked for Chromium yet: whether it could start one. */
export function unusedStatus(
  options: Pick<BrowserTransportOptions, "chromiumPath" | "searchPath" | "isExecutable">,
  active = 0,
): BrowserStatus {
  const found = findChromium(options.chromiumPath, options.searchPath, options.isExecutable);
  return {
    running: false,
    pages: 0,
    launches: 0,
    active,
    executable: found.path ?? null,
    problem: found.problem === undefined ? null : `Chromium was not found: ${found.problem}`,
    blockedRequests: 0,
  };
}

/**
 * A transport that imports and creates the real one
 * (`createBrowserTransport`) on its first call; until then its status says
 * whether Chromium could be found.
 */
export function lazyBrowserTransport(options: BrowserTransportOptions): BrowserTransport {
  let transport: BrowserTransport | undefined;
  let loading: Promise<BrowserTransport> | undefined;
  let closed = false;
  function load(): Promise<BrowserTransport> {
    loading ??= import("./browser_transport.ts").then(
      ({ createBrowserTransport }) => transport = createBrowserTransport(options),
      (error) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  }
  return {
    async send(session, prepare, signal) {
      if (closed) throw transportClosed();
      return await (transport ?? await load()).send(session, prepare, signal);
    },
    reset(session) {
      transport?.reset(session);
    },
    status() {
      return transport?.status() ?? unusedStatus(options);
    },
    async close() {
      closed = true;
      await (transport ?? await loading?.catch(() => undefined))?.close();
    },
  };
}
