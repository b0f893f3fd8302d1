import assert from "node:assert/strict";
import { BrowserUnavailableError } from "../../src/jimeng/browser.ts";
import type { BrowserStatus, BrowserTransport } from "../../src/jimeng/browser_transport.ts";
import { JimengError } from "../../src/jimeng/errors.ts";
import { createSession } from "../../src/jimeng/http.ts";
import {
  createPageRouting,
  type LearnedRoute,
  type PageRouting,
  routeKeyOf,
  type RouteStore,
  type TransportMode,
} from "../../src/jimeng/page_routing.ts";
import { PATHS } from "../../src/jimeng/protocol.ts";
import { createLogger } from "../../src/log.ts";
import { toApiError } from "../../src/api/errors.ts";
import {
  deleteAllBrowserRoutes,
  deleteBrowserRoute,
  listBrowserRoutes,
  touchBrowserRoute,
  upsertBrowserRoute,
} from "../../src/store/browser_routes.ts";
import { type Db, openDatabase } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";

const CN = createSession("5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f");
const US = createSession("us-6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e6e");
const DAY = 86_400_000;

function refusal(code = "4013"): JimengError {
  return new JimengError("risk_control", `Jimeng's risk control refused the call (ret ${code})`, {
    code,
    retriable: false,
  });
}

function storeOf(db: Db): RouteStore {
  return {
    list: () => listBrowserRoutes(db) as LearnedRoute[],
    learn: (key, now) => upsertBrowserRoute(db, key, now) as LearnedRoute,
    touch: (id, now) => touchBrowserRoute(db, id, now),
    remove: (id) => deleteBrowserRoute(db, id),
    removeAll: () => deleteAllBrowserRoutes(db),
  };
}

/** A transport that only records resets: each test hands `run()` its own page way. */
function idleTransport(): BrowserTransport & { resets: number } {
  const status: BrowserStatus = {
    running: false,
    pages: 0,
    launches: 0,
    active: 0,
    executable: null,
    problem: null,
    blockedRequests: 0,
  };
  return {
    resets: 0,
    send: () => Promise.reject(new Error("not used")),
    reset() {
      this.resets++;
    },
    status: () => status,
    close: () => Promise.resolve(),
  };
}

interface Rig {
  routing: PageRouting;
  transport: ReturnType<typeof idleTransport>;
  db: Db;
  clock: { now: number };
  mode: { value: TransportMode };
  lines: string[];
}

function rig(db = migratedDb(), clock = { now: 1_000_000 }): Rig {
  const transport = idleTransport();
  const mode = { value: "auto" as TransportMode };
  const lines: string[] = [];
  const routing = createPageRouting({
    transport,
    mode: () => mode.value,
    store: storeOf(db),
    routeTtlMs: 7 * DAY,
    log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    now: () => clock.now,
  });
  return { routing, transport, db, clock, mode, lines };
}

function migratedDb(): Db {
  const db = openDatabase(":memory:");
  migrate(db);
  return db;
}

/** Ways that count their calls: `direct` refuses while `refuse` holds, `page` answers. */
function ways(outcome: { refuse: boolean; page?: () => Promise<string> }) {
  const calls = { direct: 0, page: 0 };
  return {
    calls,
    direct: () => {
      calls.direct++;
      return outcome.refuse ? Promise.reject(refusal()) : Promise.resolve("direct");
    },
    page: () => {
      calls.page++;
      return outcome.page ? outcome.page() : Promise.resolve("page");
    },
  };
}

const seedance = {
  session: CN,
  path: PATHS.generate,
  body: { extend: { root_model: "dreamina_seedance_40_pro" } },
};

Deno.test("routeKeyOf() names the site, the endpoint and the generate call's root model", () => {
  assert.deepEqual(routeKeyOf(CN, PATHS.generate, seedance.body), {
    site: "jimeng",
    endpoint: PATHS.generate,
    model: "dreamina_seedance_40_pro",
  });
  assert.deepEqual(routeKeyOf(US, PATHS.creditReceive, { time_zone: "Asia/Shanghai" }), {
    site: "dreamina",
    endpoint: PATHS.creditReceive,
    model: "",
  });
});

Deno.test("run() in auto: a refusal is retried once from the page, learned, and kept in SQLite", async () => {
  const { routing, db, lines } = rig();
  const first = ways({ refuse: true });
  assert.equal(await routing.run(seedance, first), "page");
  assert.deepEqual(first.calls, { direct: 1, page: 1 });
  assert.ok(
    lines.some((line) =>
      /now goes through the site's page \(refused directly with ret 4013/.test(line)
    ),
  );
  const second = ways({ refuse: true });
  assert.equal(await routing.run(seedance, second), "page");
  assert.deepEqual(second.calls, { direct: 0, page: 1 });
  // Another model of the same endpoint goes direct.
  const other = ways({ refuse: false });
  const otherCall = { ...seedance, body: { extend: { root_model: "dreamina_seedance_45_pro" } } };
  assert.equal(await routing.run(otherCall, other), "direct");
  assert.deepEqual(other.calls, { direct: 1, page: 0 });

  const stored = listBrowserRoutes(db);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].calls, 2);
  // A new routing on the same database (a restart) goes straight to the page.
  const restarted = rig(db);
  const third = ways({ refuse: true });
  assert.equal(await restarted.routing.run(seedance, third), "page");
  assert.deepEqual(third.calls, { direct: 0, page: 1 });
  assert.equal(restarted.routing.status().calls.ok, 1);
});

Deno.test("run() forgets a route after its time to live; forget() resets one or all", async () => {
  const clock = { now: 5_000_000 };
  const { routing, db } = rig(migratedDb(), clock);
  await routing.run(seedance, ways({ refuse: true }));
  clock.now += 7 * DAY - 1;
  const fresh = ways({ refuse: true });
  await routing.run(seedance, fresh);
  assert.deepEqual(fresh.calls, { direct: 0, page: 1 });
  clock.now += 1;
  // Expired: direct again; risk control is still there, so it is learned again.
  const expired = ways({ refuse: true });
  await routing.run(seedance, expired);
  assert.deepEqual(expired.calls, { direct: 1, page: 1 });
  assert.equal(listBrowserRoutes(db)[0].learnedAt, clock.now);

  await routing.run({ session: US, path: PATHS.creditReceive, body: {} }, ways({ refuse: true }));
  assert.equal(routing.routes().length, 2);
  const [first] = routing.routes();
  assert.equal(routing.forget(first.id), 1);
  assert.equal(routing.forget(first.id), 0);
  assert.equal(routing.forget(), 1);
  assert.deepEqual(listBrowserRoutes(db), []);
  const direct = ways({ refuse: false });
  await routing.run(seedance, direct);
  assert.deepEqual(direct.calls, { direct: 1, page: 0 });
});

Deno.test("run() in always sends writes to the page and reads direct; off never uses the page", async () => {
  const { routing, mode } = rig();
  mode.value = "always";
  const write = ways({ refuse: false });
  await routing.run({ session: US, path: PATHS.creditReceive, body: {} }, write);
  assert.deepEqual(write.calls, { direct: 0, page: 1 });
  const read = ways({ refuse: false });
  await routing.run({ session: US, path: PATHS.userCredit, body: {} }, read);
  assert.deepEqual(read.calls, { direct: 1, page: 0 });
  assert.equal(routing.routes().length, 0);

  mode.value = "off";
  const off = ways({ refuse: true });
  await assert.rejects(routing.run(seedance, off), (error: JimengError) => {
    assert.equal(error.kind, "risk_control");
    assert.match(
      error.message,
      /ret 4013\)\. The browser transport.*is off: set JIMENG_BROWSER_TRANSPORT to auto/,
    );
    // The message already says what to do: the API adds no generic hint.
    assert.equal(toApiError(error).message, error.message);
    return true;
  });
  assert.deepEqual(off.calls, { direct: 1, page: 0 });
});

Deno.test("run() keeps the refusal when the browser cannot help, saying why", async () => {
  const { routing } = rig();
  const missing = new BrowserUnavailableError(
    "missing",
    'Chromium was not found: CHROMIUM_PATH "/x" is not an executable file',
  );
  const noBrowser = ways({ refuse: true, page: () => Promise.reject(missing) });
  await assert.rejects(routing.run(seedance, noBrowser), (error: JimengError) => {
    assert.equal(error.kind, "risk_control");
    assert.equal(error.code, "4013");
    assert.match(
      error.message,
      /needs Chromium, and it was not found \(CHROMIUM_PATH "\/x" is not an executable file\): install Chromium/,
    );
    return true;
  });
  assert.equal(routing.routes().length, 0);
  assert.deepEqual(routing.status().calls, { ok: 0, failed: 1 });

  // A learned route whose browser went away tries direct (risk control may have ended).
  await routing.run(seedance, ways({ refuse: true }));
  const crashed = new BrowserUnavailableError(
    "launch",
    "Chromium (/usr/bin/chromium) could not start: gone",
  );
  const lifted = ways({ refuse: false, page: () => Promise.reject(crashed) });
  assert.equal(await routing.run(seedance, lifted), "direct");
  assert.deepEqual(lifted.calls, { direct: 1, page: 1 });
  const still = ways({ refuse: true, page: () => Promise.reject(crashed) });
  await assert.rejects(
    routing.run(seedance, still),
    /could not send it from the site's page: Chromium \(\/usr\/bin\/chromium\) could not start: gone/,
  );
});

Deno.test("run() passes other failures through and reports a refusal from the page too", async () => {
  const { routing, transport } = rig();
  const expired = new JimengError("session_expired", "The Jimeng session has expired");
  await assert.rejects(
    routing.run(seedance, {
      direct: () => Promise.reject(expired),
      page: () => Promise.resolve(1),
    }),
    (error) => error === expired,
  );
  const refusedTwice = ways({ refuse: true, page: () => Promise.reject(refusal("4013")) });
  await assert.rejects(routing.run(seedance, refusedTwice), (error: JimengError) => {
    assert.equal(error.kind, "risk_control");
    assert.match(error.message, /Sent again from the site's page, it was refused too/);
    return true;
  });
  // The refused page is opened afresh next time; nothing is learned.
  assert.equal(transport.resets, 1);
  assert.equal(routing.routes().length, 0);
});
