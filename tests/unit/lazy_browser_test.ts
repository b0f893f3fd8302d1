import assert from "node:assert/strict";
import {
  BrowserUnavailableError,
  lazyBrowserTransport,
  unusedStatus,
} from "../../src/jimeng/browser.ts";
import type { BrowserTransportOptions } from "../../src/jimeng/browser_transport.ts";
import { createSession } from "../../src/jimeng/http.ts";
import { DEFAULT_PROTOCOL } from "../../src/jimeng/protocol.ts";
import { createLogger } from "../../src/log.ts";

const SESSION = createSession("5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f");
const LOOPBACK = "http://127.0.0.1:9";

function options(overrides: Partial<BrowserTransportOptions> = {}): BrowserTransportOptions {
  const host = { base: LOOPBACK, commerce: LOOPBACK, imagex: LOOPBACK };
  return {
    chromiumPath: null,
    searchPath: "/opt/chromium",
    pageUrls: { jimeng: `${LOOPBACK}/page`, dreamina: `${LOOPBACK}/page` },
    args: [],
    idleCloseMs: 60_000,
    hosts: { cn: host, us: host, asia: host },
    protocol: DEFAULT_PROTOCOL,
    log: createLogger({ level: "error", write: () => {} }),
    ...overrides,
  };
}

function prepare(): never {
  throw new Error("nothing is prepared without a page");
}

Deno.test("lazyBrowserTransport() says before its first call whether Chromium could be found", () => {
  const found = lazyBrowserTransport(
    options({ isExecutable: (p) => p === "/opt/chromium/chromium" }),
  );
  assert.deepEqual(found.status(), {
    running: false,
    pages: 0,
    launches: 0,
    active: 0,
    executable: "/opt/chromium/chromium",
    problem: null,
    blockedRequests: 0,
  });
  const missing = lazyBrowserTransport(options({ chromiumPath: "/x", isExecutable: () => false }));
  assert.equal(missing.status().executable, null);
  assert.equal(
    missing.status().problem,
    'Chromium was not found: CHROMIUM_PATH "/x" is not an executable file',
  );
  assert.deepEqual(
    missing.status(),
    unusedStatus(options({ chromiumPath: "/x", isExecutable: () => false })),
  );
});

Deno.test("lazyBrowserTransport() hands its first call to the real transport, which reports from then on", async () => {
  const transport = lazyBrowserTransport(
    options({ chromiumPath: "/x", isExecutable: () => false }),
  );
  await assert.rejects(
    transport.send(SESSION, prepare),
    (error: BrowserUnavailableError) => {
      assert.ok(error instanceof BrowserUnavailableError);
      assert.equal(error.reason, "missing");
      return true;
    },
  );
  // The loaded transport looked for Chromium and keeps what it found.
  assert.match(transport.status().problem!, /CHROMIUM_PATH "\/x" is not an executable file/);
  assert.equal(transport.status().launches, 0);
  await transport.close();
  await assert.rejects(
    transport.send(SESSION, prepare),
    (error: BrowserUnavailableError) => error.reason === "closed",
  );
});

Deno.test("lazyBrowserTransport() closed before its first call refuses calls", async () => {
  const transport = lazyBrowserTransport(options());
  await transport.close();
  await assert.rejects(
    transport.send(SESSION, prepare),
    (error: BrowserUnavailableError) => {
      assert.ok(error instanceof BrowserUnavailableError);
      assert.equal(error.reason, "closed");
      return true;
    },
  );
  transport.reset(SESSION);
  assert.equal(transport.status().running, false);
});
