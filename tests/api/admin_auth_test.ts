import assert from "node:assert/strict";
import { adminRoutes, PUBLIC_ADMIN_ROUTES } from "../../src/dashboard/admin.ts";
import {
  ADMIN,
  ADMIN_ENV,
  adminClient,
  adminFetch,
  cookieOf,
  loginAdmin,
} from "../helpers/admin.ts";
import { type Stack, startStack } from "../helpers/stack.ts";

function setupToken(logs: string[]): string {
  const line = logs.find((l) => l.includes("/setup?token="));
  assert.ok(line, "the setup link is logged");
  return /\/setup\?token=([A-Za-z0-9_-]+)/.exec(line)![1];
}

Deno.test("setup is refused without the logged token and works once with it", async () => {
  const stack = await startStack();
  try {
    const token = setupToken(stack.logs);
    const link = stack.logs.find((l) => l.includes("/setup?token="))!;
    assert.ok(link.includes(`${stack.url}/setup?token=${token}`));
    const needed = await adminFetch(stack, "GET", "/setup");
    assert.equal(needed.status, 200);
    assert.deepEqual(await needed.json(), { needed: true });

    const page = await fetch(`${stack.url}/setup?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /text\/html/);
    await page.body?.cancel();

    const body = { username: "root", password: "long enough password" };
    for (const bad of [{}, { token: "" }, { token: "not-the-token" }]) {
      const refused = await adminFetch(stack, "POST", "/setup", { body: { ...body, ...bad } });
      assert.equal(refused.status, 403);
      const error = (await refused.json()).error;
      assert.equal(error.code, "invalid_setup_token");
      assert.equal(error.type, "permission_error");
    }
    const crossSite = await adminFetch(stack, "POST", "/setup", {
      body: { ...body, token },
      origin: "https://evil.example",
    });
    assert.equal(crossSite.status, 403);
    assert.equal((await crossSite.json()).error.code, "cross_origin");

    const short = await adminFetch(stack, "POST", "/setup", {
      body: { token, username: "root", password: "short" },
    });
    assert.equal(short.status, 400);
    assert.equal((await short.json()).error.param, "password");

    const done = await adminFetch(stack, "POST", "/setup", { body: { ...body, token } });
    assert.equal(done.status, 201);
    const answer = await done.json();
    assert.equal(answer.user.username, "root");
    const admin = adminClient(stack, cookieOf(done), answer.csrfToken);
    const session = await admin.json<{ user: { username: string } }>("GET", "/session");
    assert.equal(session.user.username, "root");

    const again = await adminFetch(stack, "POST", "/setup", { body: { ...body, token } });
    assert.equal(again.status, 409);
    assert.deepEqual(await (await adminFetch(stack, "GET", "/setup")).json(), { needed: false });
  } finally {
    await stack.close();
  }
});

Deno.test("ADMIN_USER/ADMIN_PASSWORD create the admin and no setup link is printed", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    assert.ok(!stack.logs.some((l) => l.includes("/setup?token=")));
    assert.deepEqual(await (await adminFetch(stack, "GET", "/setup")).json(), { needed: false });
    await loginAdmin(stack);
    assert.ok(!stack.logs.some((l) => l.includes(ADMIN.password)));
  } finally {
    await stack.close();
  }
});

Deno.test("login sets a strict HttpOnly cookie, Secure behind HTTPS, and rotates the session", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    const plain = await adminFetch(stack, "POST", "/login", { body: ADMIN });
    assert.equal(plain.status, 200);
    const cookie = plain.headers.get("set-cookie")!;
    assert.match(cookie, /^jimeng_admin=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/);
    const first = cookieOf(plain);
    await plain.body?.cancel();

    const tls = await fetch(`${stack.url}/api/admin/login`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Origin": stack.url,
        "X-Forwarded-Proto": "https",
        "Cookie": first,
      },
      body: JSON.stringify(ADMIN),
    });
    assert.equal(tls.status, 200);
    assert.match(tls.headers.get("set-cookie")!, /Secure/);
    const second = cookieOf(tls);
    assert.notEqual(second, first);
    await tls.body?.cancel();

    // The cookie the browser brought to the new login is no longer a session.
    const old = await adminFetch(stack, "GET", "/session", { cookie: first });
    assert.equal(old.status, 401);
    await old.body?.cancel();
    const current = await adminFetch(stack, "GET", "/session", { cookie: second });
    assert.equal(current.status, 200);
    await current.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("wrong passwords are 401 and the sixth try within 15 min is a 429 with Retry-After", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    for (let i = 0; i < 5; i++) {
      const wrong = await adminFetch(stack, "POST", "/login", {
        body: { username: ADMIN.username, password: `wrong password ${i}` },
      });
      assert.equal(wrong.status, 401);
      assert.equal((await wrong.json()).error.code, "invalid_credentials");
    }
    const throttled = await adminFetch(stack, "POST", "/login", { body: ADMIN });
    assert.equal(throttled.status, 429);
    const retryAfter = Number(throttled.headers.get("retry-after"));
    assert.ok(retryAfter > 800 && retryAfter <= 900, `Retry-After ${retryAfter}`);
    assert.equal((await throttled.json()).error.code, "too_many_login_attempts");
    // Other names from the same address have their own count (up to the per-address limit).
    const unknown = await adminFetch(stack, "POST", "/login", {
      body: { username: "nobody", password: "whatever it is" },
    });
    assert.equal(unknown.status, 401);
    await unknown.body?.cancel();
    assert.ok(!stack.logs.some((l) => l.includes("wrong password")));
  } finally {
    await stack.close();
  }
});

Deno.test("state-changing admin calls need the same origin and the CSRF token", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    const admin = await loginAdmin(stack);
    const body = { name: "ci" };
    const cases: { origin?: string | null; csrfToken?: string; code: string; site?: string }[] = [
      { origin: "https://evil.example", csrfToken: admin.csrfToken, code: "cross_origin" },
      { origin: null, csrfToken: admin.csrfToken, code: "cross_origin" },
      { origin: "null", csrfToken: admin.csrfToken, code: "cross_origin" },
      { csrfToken: undefined, code: "invalid_csrf_token" },
      { csrfToken: "x".repeat(43), code: "invalid_csrf_token" },
    ];
    for (const item of cases) {
      const response = await adminFetch(stack, "POST", "/keys", {
        body,
        cookie: admin.cookie,
        csrfToken: item.csrfToken,
        origin: item.origin,
      });
      assert.equal(response.status, 403, JSON.stringify(item));
      assert.equal((await response.json()).error.code, item.code);
    }
    // Without Origin, Sec-Fetch-Site: same-origin is accepted.
    const fetchMeta = await fetch(`${stack.url}/api/admin/keys`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Cookie": admin.cookie,
        "X-CSRF-Token": admin.csrfToken,
        "Sec-Fetch-Site": "same-origin",
      },
      body: JSON.stringify(body),
    });
    assert.equal(fetchMeta.status, 201);
    await fetchMeta.body?.cancel();
    const crossSite = await fetch(`${stack.url}/api/admin/keys`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Cookie": admin.cookie,
        "X-CSRF-Token": admin.csrfToken,
        "Sec-Fetch-Site": "cross-site",
      },
      body: JSON.stringify(body),
    });
    assert.equal(crossSite.status, 403);
    await crossSite.body?.cancel();
    // Reads need no CSRF token; the list has the one key created above.
    const list = await adminFetch(stack, "GET", "/keys", { cookie: admin.cookie, origin: null });
    assert.equal(list.status, 200);
    assert.equal((await list.json()).data.length, 1);
  } finally {
    await stack.close();
  }
});

Deno.test("logout ends the user's sessions; a password change ends the other ones", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    const laptop = await loginAdmin(stack);
    const phone = await loginAdmin(stack);
    const tablet = await loginAdmin(stack);

    const wrong = await laptop.call("POST", "/password", {
      current_password: "not it at all",
      new_password: "a new long password",
    });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
    const weak = await laptop.call("POST", "/password", {
      current_password: ADMIN.password,
      new_password: "short",
    });
    assert.equal(weak.status, 400);
    assert.equal((await weak.json()).error.param, "new_password");

    await laptop.json("POST", "/password", {
      current_password: ADMIN.password,
      new_password: "a new long password",
    });
    assert.equal((await laptop.call("GET", "/session")).status, 200);
    for (const other of [phone, tablet]) {
      const response = await other.call("GET", "/session");
      assert.equal(response.status, 401);
      await response.body?.cancel();
    }
    const oldPassword = await adminFetch(stack, "POST", "/login", { body: ADMIN });
    assert.equal(oldPassword.status, 401);
    await oldPassword.body?.cancel();
    const desk = await loginAdmin(stack, { username: "admin", password: "a new long password" });

    const out = await laptop.call("POST", "/logout");
    assert.equal(out.status, 200);
    assert.match(out.headers.get("set-cookie")!, /jimeng_admin=;/);
    await out.body?.cancel();
    for (const ended of [laptop, desk]) {
      const response = await ended.call("GET", "/session");
      assert.equal(response.status, 401);
      await response.body?.cancel();
    }
  } finally {
    await stack.close();
  }
});

/** The console API's routes, as the server builds them on the console's first call. */
function adminRouteList(stack: Stack) {
  const { server } = stack;
  return adminRoutes({
    db: server.db,
    auth: server.adminAuth,
    accounts: server.accounts,
    keys: server.keys,
    log: server.deps.log,
    now: server.deps.now,
    trustProxy: false,
    clientAddress: server.deps.clientAddress!,
    config: server.deps.config,
    settings: server.settings,
    degraded: server.degraded,
    logs: server.deps.logs,
    media: server.deps.media,
    jobs: server.deps.jobs,
    webhooks: server.webhooks,
    page: server.page,
  }).routes.map((r) => ({ ...r, path: `/api/admin${r.path}` }));
}

Deno.test("every admin route but setup and login answers 401 without a session", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    const routes = adminRouteList(stack)
      .filter((r) => r.path.startsWith("/api/admin/") && r.method !== "ALL")
      .map((r) => ({ method: r.method, path: r.path.slice("/api/admin".length) }));
    const guarded = routes.filter((r) => !PUBLIC_ADMIN_ROUTES.includes(`${r.method} ${r.path}`));
    assert.deepEqual(
      routes.filter((r) => PUBLIC_ADMIN_ROUTES.includes(`${r.method} ${r.path}`)).length,
      PUBLIC_ADMIN_ROUTES.length,
    );
    assert.ok(guarded.length >= 13, `found ${guarded.length} guarded routes`);
    for (
      const route of [
        "GET /session",
        "POST /logout",
        "POST /password",
        "GET /accounts",
        "POST /accounts",
        "PATCH /accounts/:id",
        "DELETE /accounts/:id",
        "POST /accounts/:id/check",
        "POST /accounts/:id/claim",
        "GET /keys",
        "POST /keys",
        "PATCH /keys/:id",
        "DELETE /keys/:id",
      ]
    ) {
      assert.ok(guarded.some((r) => `${r.method} ${r.path}` === route), `${route} is listed`);
    }
    const bogus = "jimeng_admin=" + "A".repeat(43);
    for (const route of guarded) {
      const path = route.path.replaceAll(":id", "1");
      for (const cookie of [undefined, bogus]) {
        const response = await adminFetch(stack, route.method, path, {
          cookie,
          body: route.method === "GET" ? undefined : {},
        });
        assert.equal(response.status, 401, `${route.method} ${path}`);
        const body = await response.json();
        assert.equal(body.error.code, "not_authenticated");
        assert.equal(body.error.type, "authentication_error");
      }
    }
  } finally {
    await stack.close();
  }
});
