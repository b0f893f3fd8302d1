/**
 * The console's ways in and out, in Chromium against the real server: setup
 * with the token from the server's log, login and its throttle, the
 * password change and the configuration, logout.
 *
 * The signed-in pages are driven by `console_flows_data_test.ts` (overview,
 * logs, media, jobs) and `console_flows_manage_test.ts` (accounts, keys,
 * playground). Screenshots go to `test-artifacts/console/flow-*.png`.
 * @module
 */
import assert from "node:assert/strict";
import { ADMIN, adminFetch, loginAdmin } from "../helpers/admin.ts";
import { signIn, withFlow } from "../helpers/console_flow.ts";

// The page's globals, typed just enough for the checks run inside it.
declare const document: { body: { innerText: string } };

Deno.test("console setup takes the token from the server's log; a wrong or missing one is refused", async () => {
  await withFlow({ setup: true }, async ({ stack, browser, page, shot }) => {
    const link = stack.logs.map((line) => /(http:\/\/\S+\/setup\?token=[\w-]+)/.exec(line)?.[1])
      .find(Boolean);
    assert.ok(link, `no setup link in the log:\n${stack.logs.join("\n")}`);
    assert.ok(link.startsWith(`${stack.url}/setup?token=`), link);

    // Without the token the page asks for it and sends nothing.
    const posts: string[] = [];
    page.on("request", (request) => {
      if (request.method() === "POST") posts.push(new URL(request.url()).pathname);
    });
    await page.goto(`${stack.url}/setup`);
    await page.getByLabel("Password", { exact: true }).fill("a long new password");
    await page.getByLabel("Confirm password").fill("a long new password");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await page.getByText("Paste the setup token from the server's log").waitFor();
    assert.deepEqual(posts, []);

    // A wrong token goes to the server, which refuses it; its message is shown.
    browser.expect("POST", "/api/admin/setup", 403);
    await page.getByLabel("Setup token").fill("not-the-token-from-the-log");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await page.getByRole("alert").filter({ hasText: "The setup token is missing or wrong" })
      .waitFor();
    await shot("flow-setup-refused");
    assert.deepEqual(posts, ["/api/admin/setup"]);
    assert.equal(stack.server.adminAuth.setupNeeded(), true);

    // The link from the log creates the administrator and signs them in.
    await page.goto(link);
    await page.getByText("The setup token was taken from the link").waitFor();
    await page.getByLabel("Username").fill("owner");
    await page.getByLabel("Password", { exact: true }).fill("a long new password");
    await page.getByLabel("Confirm password").fill("a long new password");
    await page.getByRole("button", { name: "Create administrator" }).click();
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await page.getByText("Administrator created; you are signed in").waitFor();
    assert.equal(new URL(page.url()).pathname, "/overview");
    assert.ok(!page.url().includes("token"), page.url());
    assert.equal(await page.locator(".user-chip").innerText(), "owner");
    assert.equal(stack.server.adminAuth.setupNeeded(), false);
    await shot("flow-setup-done");

    // The token is spent.
    const again = await adminFetch(stack, "POST", "/setup", {
      body: {
        token: new URL(link).searchParams.get("token"),
        username: "x",
        password: "y".repeat(9),
      },
    });
    assert.equal(again.status, 409);
    await again.body?.cancel();
  });
});

Deno.test("console login shows a wrong password, then the throttle with Retry-After, then signs in after the window", async () => {
  let shiftMs = 0;
  await withFlow({
    signedIn: false,
    // The server's clock, moved past the throttle's window below.
    overrides: { upstream: { now: () => Date.now() + shiftMs } },
  }, async ({ browser, page, shot, stack }) => {
    browser.expect("GET", "/api/admin/session", 401);
    browser.expect("POST", "/api/admin/login", 401);
    browser.expect("POST", "/api/admin/login", 429);
    await page.goto(`${stack.url}/overview`);
    await page.waitForURL(`${stack.url}/login`);
    const password = page.getByLabel("Password");
    const submit = page.getByRole("button", { name: "Sign in" });
    await page.getByLabel("Username").fill(ADMIN.username);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await password.fill(`wrong password ${attempt}`);
      const answer = page.waitForResponse((r) => r.url().endsWith("/api/admin/login"));
      await submit.click();
      assert.equal((await answer).status(), 401);
      await page.getByRole("alert").filter({ hasText: "Wrong username or password" }).waitFor();
      // The form clears the password after a failure.
      assert.equal(await password.inputValue(), "");
    }
    await shot("flow-login-wrong");

    // The sixth try is throttled, even with the right password.
    await password.fill(ADMIN.password);
    const throttled = page.waitForResponse((r) => r.url().endsWith("/api/admin/login"));
    await submit.click();
    const response = await throttled;
    assert.equal(response.status(), 429);
    const retryAfter = Number(response.headers()["retry-after"]);
    assert.ok(retryAfter > 890 && retryAfter <= 900, `Retry-After: ${retryAfter}`);
    const notice = page.getByRole("alert");
    await notice.filter({ hasText: "Too many attempts." }).waitFor();
    assert.match(await notice.innerText(), /Try again in 1[45] min \d\d s\./);
    assert.equal(await submit.isDisabled(), true);
    await shot("flow-login-throttled");

    // Past the window, the right password gets in.
    shiftMs = 15 * 60_000 + 1000;
    await page.reload();
    await signIn(page);
    assert.equal(new URL(page.url()).pathname, "/overview");
  });
});

Deno.test("console settings change the password, sign other sessions out and mask secrets", async () => {
  const secretKey = "s3cret-key-for-the-flows-test-0123456789";
  await withFlow(
    { env: { SECRET_KEY: secretKey, LOG_LEVEL: "info" } },
    async ({ stack, browser, page, shot }) => {
      const other = await loginAdmin(stack);
      await page.goto(`${stack.url}/settings`);
      await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
      const row = (env: string) =>
        page.locator(".config-table tbody tr").filter({
          has: page.locator("td:first-child", { hasText: new RegExp(`^${env}$`) }),
        });
      await row("SECRET_KEY").waitFor();
      assert.match(await row("SECRET_KEY").innerText(), /\(set\)/);
      assert.match(await row("ADMIN_PASSWORD").innerText(), /\(set\)/);
      assert.match(await row("LOG_LEVEL").innerText(), /info/);
      const text = await page.evaluate(() => document.body.innerText);
      assert.ok(!text.includes(secretKey), "the secret key is on the page");
      assert.ok(!text.includes(ADMIN.password), "the admin password is on the page");
      await shot("flow-settings");

      // A wrong current password is refused with the server's message.
      browser.expect("POST", "/api/admin/password", 403);
      const form = page.locator("form").filter({ hasText: "Current password" });
      await form.getByLabel("Current password").fill("not my password");
      await form.getByLabel("New password").fill("a brand new password");
      await form.getByLabel("Confirm password").fill("a brand new password");
      await form.getByRole("button", { name: "Change password" }).click();
      await form.getByRole("alert").filter({ hasText: "The current password is wrong" }).waitFor();

      await form.getByLabel("Current password").fill(ADMIN.password);
      await form.getByLabel("New password").fill("a brand new password");
      await form.getByLabel("Confirm password").fill("a brand new password");
      await form.getByRole("button", { name: "Change password" }).click();
      await page.getByText("Password changed; other sessions were signed out").waitFor();
      assert.equal(await form.getByLabel("Current password").inputValue(), "");
      await shot("flow-settings-changed");

      // The other session is over; this one lives on.
      const gone = await other.call("GET", "/session");
      assert.equal(gone.status, 401);
      await gone.body?.cancel();
      await page.reload();
      await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();

      // After signing out, the old password fails and the new one works.
      browser.expect("POST", "/api/admin/login", 401);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await page.getByLabel("Username").fill(ADMIN.username);
      await page.getByLabel("Password").fill(ADMIN.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "Wrong username or password" }).waitFor();
      await signIn(page, { username: ADMIN.username, password: "a brand new password" });
      assert.equal(new URL(page.url()).pathname, "/overview");
    },
  );
});

Deno.test("console logout returns to the login screen and ends the session on the server", async () => {
  await withFlow({}, async ({ stack, browser, page, shot }) => {
    await page.goto(`${stack.url}/accounts`);
    await page.getByRole("heading", { name: "Accounts", level: 1 }).waitFor();
    const [cookie] = await browser.context.cookies(stack.url);
    assert.equal(cookie.name, "jimeng_admin");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/login");
    await shot("flow-logout");
    assert.deepEqual(await browser.context.cookies(stack.url), []);

    // The session the browser had is dead on the server too.
    const stale = await adminFetch(stack, "GET", "/stats", {
      cookie: `${cookie.name}=${cookie.value}`,
    });
    assert.equal(stale.status, 401);
    assert.equal((await stale.json()).error.code, "not_authenticated");
    browser.expect("GET", "/api/admin/stats", 401);
    const fromPage = await page.evaluate(() =>
      fetch("/api/admin/stats", { credentials: "same-origin" }).then(async (r) => {
        await r.text();
        return r.status;
      })
    );
    assert.equal(fromPage, 401);

    // A signed-out visit to a page lands on the login screen.
    browser.expect("GET", "/api/admin/session", 401);
    await page.goto(`${stack.url}/keys`);
    await page.waitForURL(`${stack.url}/login`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  });
});
