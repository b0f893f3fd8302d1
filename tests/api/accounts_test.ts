import assert from "node:assert/strict";
import { type APIError } from "openai";
import { tokenKey } from "../../src/accounts/pool.ts";
import { listAccounts } from "../../src/store/accounts.ts";
import { recentRequests } from "../../src/store/requests.ts";
import type { AccountJson } from "../../src/dashboard/accounts_routes.ts";
import { ADMIN_ENV, type AdminClient, loginAdmin } from "../helpers/admin.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";

const DRY = "d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";
const OLD = "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e";
/** Background work off: tests drive checks and claims through the admin API. */
const QUIET = { ...ADMIN_ENV, DAILY_CLAIM: "false", ACCOUNT_CHECK_INTERVAL_MIN: "0" };

async function accountsByLabel(admin: AdminClient): Promise<Map<string, AccountJson>> {
  const { data } = await admin.json<{ data: AccountJson[] }>("GET", "/accounts");
  return new Map(data.map((a) => [a.label, a]));
}

/** The masked label: the region prefix, then the sessionid's first and last four. */
function label(token: string): string {
  const prefix = /^(us|hk|jp|sg)-/.exec(token)?.[0] ?? "";
  const id = token.slice(prefix.length);
  return `${prefix}${id.slice(0, 4)}…${id.slice(-4)}`;
}

async function createKey(admin: AdminClient, body: Record<string, unknown> = { name: "test" }) {
  return await admin.json<{ id: number; key: string; prefix: string }>("POST", "/keys", body, 201);
}

function assertNoSecrets(stack: Stack, texts: string[], secrets: string[]): void {
  for (const secret of secrets) {
    for (const text of [...texts, ...stack.logs]) {
      assert.ok(!text.includes(secret), `a secret leaked: ${text.slice(0, 200)}`);
    }
  }
}

Deno.test("a key request fails over from a dry and an expired stored account to the good one", async () => {
  const stack = await startStack({
    env: { ...QUIET, JIMENG_SESSIONS: `${DRY}, ${OLD},${GOOD_SESSION}` },
    overrides: { creditRefreshMs: 0 },
  });
  try {
    stack.fake.addSession(DRY, { credits: 1000, dailyGift: 0 });
    stack.fake.addSession(OLD, { credits: 999 });
    const admin = await loginAdmin(stack);
    const stored = await accountsByLabel(admin);
    assert.equal(stored.size, 3);
    for (const account of stored.values()) {
      assert.equal(account.health, "unknown");
      await admin.json("POST", `/accounts/${account.id}/check`);
    }
    // The cache now prefers DRY (1000), then OLD (999), then GOOD (100); the upstream disagrees.
    stack.fake.setCredits(DRY, 0);
    stack.fake.expire(OLD);
    const key = await createKey(admin);

    const result = await stack.openai(key.key).images.generate({ prompt: "a harbour at dawn" });
    assert.equal(result.data?.length, 1);
    const records = stack.fake.records();
    assert.deepEqual(records.map((r) => r.sessionId), [GOOD_SESSION]);

    const after = await accountsByLabel(admin);
    assert.equal(after.get(label(DRY))!.health, "cooling");
    assert.equal(after.get(label(DRY))!.credits!.total, 0);
    assert.equal(after.get(label(OLD))!.health, "expired");
    assert.equal(after.get(label(GOOD_SESSION))!.health, "ok");
    const rows = new Map(listAccounts(stack.server.db).map((row) => [row.label, row]));
    assert.equal(rows.get(label(OLD))!.expired, true);
    assert.ok(rows.get(label(DRY))!.coolingUntil > Date.now());
    assert.equal(rows.get(label(GOOD_SESSION))!.expired, false);

    // The credits of the request land once the balance is re-read in the background.
    await stack.server.deps.credits.idle();
    const [row] = recentRequests(stack.server.db, 1);
    const left = stack.fake.session(GOOD_SESSION).credits;
    assert.equal(row.accountKey, tokenKey(GOOD_SESSION));
    assert.equal(row.apiKeyId, key.id);
    assert.equal(row.creditsSpent, 100 - left);
    assert.ok(row.creditsSpent! > 0);
    assert.equal(row.creditsRemaining, left);
    assert.equal(
      listAccounts(stack.server.db).find((r) => r.label === label(GOOD_SESSION))!
        .credits!.total,
      left,
    );
    assertNoSecrets(stack, [JSON.stringify([...after.values()])], [DRY, OLD, GOOD_SESSION]);
  } finally {
    await stack.close();
  }
});

Deno.test("when every stored account is expired a key request is a 401; none at all is a 503 no_account_available", async () => {
  const stack = await startStack({ env: QUIET });
  try {
    const admin = await loginAdmin(stack);
    const key = await createKey(admin);
    // No account is a state of the server, not the caller's authentication failing.
    await assert.rejects(
      stack.openai(key.key).images.generate({ prompt: "x" }),
      (error: APIError) => {
        assert.equal(error.status, 503);
        assert.equal(error.code, "no_account_available");
        assert.match(error.message, /No Jimeng account is available: add one in the console/);
        return true;
      },
    );
    stack.fake.addSession(OLD, { expired: true });
    await admin.json("POST", "/accounts", { sessionids: OLD }, 201);
    await assert.rejects(
      stack.openai(key.key).images.generate({ prompt: "x" }),
      (error: APIError) => error.status === 401 && error.code === "session_expired",
    );
  } finally {
    await stack.close();
  }
});

Deno.test("the admin API adds pasted sessionids, masks them, disables, checks, claims and removes", async () => {
  // Dreamina takes writes only from its page: the browser transport sends the image there.
  const stack = await startStack({ env: { ...QUIET, CHROMIUM_PATH } });
  try {
    const admin = await loginAdmin(stack);
    const a = "aaaa1111aaaa1111aaaa1111aaaa1111";
    const b = "bbbb2222bbbb2222bbbb2222bbbb2222";
    const intl = "5555cccc5555cccc5555cccc5555cccc";
    stack.fake.addSession(a, { credits: 5, dailyGift: 66 });
    stack.fake.addSession(b);
    stack.fake.addSession(intl, { region: "us" });
    const added = await admin.json<{
      added: AccountJson[];
      existing: AccountJson[];
      invalid: { line: number; label: string; code: string; reason: string }[];
    }>("POST", "/accounts", {
      sessionids:
        `${a}, sessionid=${b}\n us-${intl}\nshort; SK-abcdefghijklmnop; ${a}\n${a} ${b}\nus-us-${b}`,
    }, 201);
    assert.deepEqual(added.added.map((x) => x.label), [label(a), label(b), label(`us-${intl}`)]);
    assert.deepEqual(added.added.map((x) => x.region), ["cn", "cn", "us"]);
    assert.deepEqual(added.existing, []);
    // Each refusal names its line and why; a line with a space is one (refused) entry.
    assert.deepEqual(added.invalid.map((x) => [x.line, x.code]), [
      [3, "too_short"],
      [3, "api_key"],
      [4, "spaces"],
      [5, "double_prefix"],
    ]);
    assert.equal(added.invalid[1].reason, "this is an API key, not a Jimeng sessionid");
    assert.ok(!JSON.stringify(added.invalid).includes(b), "refused lines are masked");
    const again = await admin.json<{ added: AccountJson[]; existing: AccountJson[] }>(
      "POST",
      "/accounts",
      { sessionids: [a] },
    );
    assert.equal(again.added.length, 0);
    assert.equal(again.existing[0].label, label(a));

    const [first, second, third] = added.added;
    assert.deepEqual(Object.keys(first).sort(), [
      "cookies",
      "createdAt",
      "credits",
      "disabled",
      "health",
      "id",
      "inFlight",
      "label",
      "lastCheckAt",
      "lastCheckError",
      "lastClaimAt",
      "lastClaimReceived",
      "name",
      "note",
      "proxy",
      "region",
    ]);
    const checked = await admin.json<AccountJson>("POST", `/accounts/${first.id}/check`);
    assert.deepEqual(checked.credits, { gift: 5, purchase: 0, vip: 0, total: 5 });
    assert.equal(checked.health, "ok");
    assert.ok(checked.lastCheckAt! > 0);

    const claim = await admin.json<{ received: number; account: AccountJson }>(
      "POST",
      `/accounts/${first.id}/claim`,
    );
    assert.equal(claim.received, 66);
    assert.equal(claim.account.credits!.total, 71);
    assert.ok(claim.account.lastClaimAt! > 0);
    const twice = await admin.json<{ received: number }>("POST", `/accounts/${first.id}/claim`);
    assert.equal(twice.received, 0);

    const us = await admin.json<AccountJson>("POST", `/accounts/${third.id}/check`);
    assert.equal(us.region, "us");
    assert.equal(us.credits!.total, 100);

    const off = await admin.json<AccountJson>("PATCH", `/accounts/${second.id}`, {
      disabled: true,
    });
    assert.equal(off.health, "disabled");
    assert.equal(listAccounts(stack.server.db).find((r) => r.id === second.id)!.disabled, true);
    const bad = await admin.call("PATCH", `/accounts/${second.id}`, { disabled: "yes" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const missing = await admin.call("POST", "/accounts/999/check");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    // Routing: a CN-only model is not sent to the Dreamina account; the disabled one is skipped.
    const key = await createKey(admin);
    await admin.json("PATCH", `/accounts/${first.id}`, { disabled: true });
    await assert.rejects(
      stack.openai(key.key).images.generate({ prompt: "x", model: "jimeng-image-4.7" }),
      (error: APIError) => error.status === 400 && error.code === "model_not_available",
    );
    const ok = await stack.openai(key.key).images.generate({
      prompt: "x",
      model: "jimeng-image-3.0",
    });
    assert.equal(ok.data?.length, 1);
    assert.deepEqual(stack.fake.records().map((r) => r.sessionId), [intl]);
    assert.deepEqual(stack.fake.stats.signedCalls, { "/mweb/v1/aigc_draft/generate": 1 });

    const removed = await admin.json<{ id: number; deleted: boolean }>(
      "DELETE",
      `/accounts/${second.id}`,
    );
    assert.deepEqual(removed, { id: second.id, deleted: true });
    const list = await accountsByLabel(admin);
    assert.deepEqual([...list.keys()], [label(a), label(`us-${intl}`)]);
    assert.equal(listAccounts(stack.server.db).length, 2);
    assertNoSecrets(stack, [JSON.stringify(added), JSON.stringify([...list.values()])], [
      a,
      b,
      intl,
    ]);
  } finally {
    await stack.close();
  }
});

Deno.test("stored accounts survive a restart (sealed with the key file); the scheduler claims for them", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-restart-" });
  const token = "7777aaaa7777aaaa7777aaaa7777aaaa";
  try {
    const first = await startStack({
      env: { ...QUIET, DATA_DIR: dataDir, JIMENG_SESSIONS: token },
    });
    try {
      first.fake.addSession(token, { credits: 3 });
      const admin = await loginAdmin(first);
      const [account] = (await accountsByLabel(admin)).values();
      await admin.json("PATCH", `/accounts/${account.id}`, { disabled: true });
    } finally {
      await first.close();
    }
    const second = await startStack({
      env: { ...ADMIN_ENV, DATA_DIR: dataDir },
      fake: {},
    });
    try {
      // The new fake knows the session before the scheduler's first round reaches it.
      second.fake.addSession(token, { credits: 3, dailyGift: 66 });
      const admin = await loginAdmin(second);
      let [account] = (await accountsByLabel(admin)).values();
      assert.equal(account.label, label(token));
      assert.equal(account.health, "disabled");
      await admin.json("PATCH", `/accounts/${account.id}`, { disabled: false });
      await second.server.scheduler.idle();
      second.server.scheduler.adopt(second.server.accounts.list());
      await second.server.scheduler.idle();
      [account] = (await accountsByLabel(admin)).values();
      assert.equal(account.lastClaimReceived, 66);
      assert.equal(account.credits!.total, 69);
      assert.equal(account.health, "ok");
      assert.equal(second.fake.session(token).credits, 69);
    } finally {
      await second.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the failover says 'trying the next account' only when there is one to try", async () => {
  const stack = await startStack({ env: { ...QUIET, JIMENG_SESSIONS: `${DRY},${GOOD_SESSION}` } });
  try {
    stack.fake.addSession(DRY, { credits: 1000, dailyGift: 0 });
    const admin = await loginAdmin(stack);
    // The cache prefers DRY (1000 credits); the upstream then says it has none.
    for (const account of (await accountsByLabel(admin)).values()) {
      await admin.json("POST", `/accounts/${account.id}/check`);
    }
    stack.fake.setCredits(DRY, 0);
    const key = await createKey(admin);
    await stack.openai(key.key).images.generate({ prompt: "two accounts" });
    const next = stack.logs.filter((line) => line.includes("has no credits"));
    assert.equal(next.length, 1, stack.logs.join("\n"));
    assert.ok(next[0].includes("trying the next account"), next[0]);

    const alone = await startStack({ env: { ...QUIET, JIMENG_SESSIONS: DRY } });
    try {
      alone.fake.addSession(DRY, { credits: 0, dailyGift: 0 });
      const lonely = await loginAdmin(alone);
      const only = await createKey(lonely);
      await assert.rejects(
        alone.openai(only.key).images.generate({ prompt: "one account" }),
        (error: APIError) => error.status === 429 && error.code === "insufficient_quota",
      );
      const lines = alone.logs.filter((line) => line.includes("has no credits"));
      assert.equal(lines.length, 1, alone.logs.join("\n"));
      assert.ok(!lines[0].includes("next account"), lines[0]);
    } finally {
      await alone.close();
    }
  } finally {
    await stack.close();
  }
});
