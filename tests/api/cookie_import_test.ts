import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import type { AccountJson } from "../../src/dashboard/accounts_routes.ts";
import { createLogger } from "../../src/log.ts";
import { parseProxyUrl } from "../../src/net/proxy.ts";
import { startServer } from "../../src/server.ts";
import { listAccounts } from "../../src/store/accounts.ts";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { startHttpProxy } from "../helpers/proxies.ts";
import { type Stack, startStack, upstreamEnv } from "../helpers/stack.ts";

const SID = "6a5b4c3d2e1f00112233445566778899";
const US_SID = "7b6c5d4e3f2a00112233445566778899";
const WEB_ID = "7402938475610293847";
const UID = "1f2e3d4c5b6a79880796a5b4c3d2e1f0";
const QUIET = { ...ADMIN_ENV, DAILY_CLAIM: "false", ACCOUNT_CHECK_INTERVAL_MIN: "0" };

/** A Cookie header as the browser's DevTools copy it from a jimeng.jianying.com request. */
const JIMENG_HEADER =
  `Cookie: _tea_web_id=${WEB_ID}; is_staff_user=false; store-region=cn-gd; store-region-src=uid; uid_tt=${UID}; uid_tt_ss=${UID}; sid_tt=${SID}; sessionid=${SID}; sessionid_ss=${SID}; passport_csrf_token=9f8e7d6c5b4a`;

interface AddAnswer {
  added: AccountJson[];
  existing: AccountJson[];
  invalid: { label: string; reason: string }[];
}

function assertSecretsKept(stack: Stack, texts: string[]): void {
  for (const text of [...texts, ...stack.logs]) {
    assert.ok(!text.includes(SID) && !text.includes(UID), `a secret leaked: ${text.slice(0, 160)}`);
  }
}

Deno.test("a pasted Cookie header adds a working account whose webId is the browser's", async () => {
  const stack = await startStack({ env: QUIET, overrides: { creditRefreshMs: 0 } });
  try {
    stack.fake.addSession(SID);
    const admin = await loginAdmin(stack);
    const answer = await admin.json<AddAnswer>("POST", "/accounts", {
      sessionids: JIMENG_HEADER,
    }, 201);
    assert.equal(answer.added.length, 1, JSON.stringify(answer));
    const [account] = answer.added;
    assert.equal(account.region, "cn");
    assert.equal(account.label, "6a5b…8899");
    assert.equal(account.cookies, 10);
    assert.deepEqual(answer.invalid, []);

    // It works, and every call carries the browser's _tea_web_id (cookie and webId query alike).
    const result = await stack.openai(SID).images.generate({ prompt: "a paper boat" });
    assert.ok(result.data![0].url);
    const checked = await admin.json<AccountJson>("POST", `/accounts/${account.id}/check`);
    assert.equal(checked.health, "ok");
    assert.deepEqual(stack.fake.session(SID).webIds, [WEB_ID]);
    assert.deepEqual(stack.fake.stats.violations, []);

    // Stored encrypted: neither the sessionid nor the cookies appear in the row.
    const [row] = listAccounts(stack.server.db);
    const raw = new TextDecoder().decode(row.cookiesSecret!);
    assert.ok(!raw.includes(WEB_ID) && !raw.includes(UID) && !raw.includes("passport_csrf"));
    assertSecretsKept(stack, [JSON.stringify(answer), JSON.stringify(checked)]);
  } finally {
    await stack.close();
  }
});

Deno.test("a JSON cookie export and a Netscape cookies.txt add Dreamina and Jimeng accounts, with a proxy", async () => {
  const proxy = startHttpProxy();
  const stack = await startStack({ env: QUIET, overrides: { creditRefreshMs: 0 } });
  try {
    stack.fake.addSession(US_SID, { region: "us" });
    stack.fake.addSession(SID);
    const admin = await loginAdmin(stack);
    const exported = [
      {
        domain: ".capcut.com",
        expirationDate: 1893456000,
        httpOnly: true,
        name: "sessionid",
        path: "/",
        sameSite: "no_restriction",
        secure: true,
        value: US_SID,
      },
      { domain: ".capcut.com", name: "store-country-code", path: "/", value: "us" },
      { domain: ".capcut.com", name: "store-idc", path: "/", value: "useast5" },
      { domain: ".capcut.com", name: "_tea_web_id", path: "/", value: WEB_ID },
    ];
    // The admin API takes the export as a JSON value, with a proxy for the accounts it adds.
    const dreamina = await admin.json<AddAnswer>("POST", "/accounts", {
      cookies: exported,
      proxy: proxy.url,
    }, 201);
    assert.equal(dreamina.added.length, 1, JSON.stringify(dreamina));
    assert.equal(dreamina.added[0].region, "us");
    assert.equal(dreamina.added[0].label, "us-7b6c…8899");
    assert.deepEqual(dreamina.added[0].proxy, {
      source: "account",
      label: `http://127.0.0.1:${proxy.port}`,
    });
    const checked = await admin.json<AccountJson>(
      "POST",
      `/accounts/${dreamina.added[0].id}/check`,
    );
    assert.equal(checked.health, "ok", checked.lastCheckError ?? "");
    assert.deepEqual(stack.fake.session(US_SID).webIds, [WEB_ID]);
    assert.ok(proxy.requests.length > 0, "the check went through the account's proxy");

    const netscape = [
      "# Netscape HTTP Cookie File",
      `.jianying.com\tTRUE\t/\tFALSE\t1893456000\t_tea_web_id\t${WEB_ID.replace("74", "75")}`,
      `#HttpOnly_.jianying.com\tTRUE\t/\tTRUE\t1893456000\tsessionid\t${SID}`,
    ].join("\n");
    const jimeng = await admin.json<AddAnswer>("POST", "/accounts", { sessionids: netscape }, 201);
    assert.equal(jimeng.added[0].region, "cn");
    assert.equal(jimeng.added[0].proxy, null);

    // Importing again refreshes an existing account's cookies and webId.
    const again = await admin.json<AddAnswer>("POST", "/accounts", {
      sessionids: JIMENG_HEADER,
    });
    assert.equal(again.existing.length, 1);
    assert.equal(again.existing[0].cookies, 10);
    await stack.openai(SID).images.generate({ prompt: "after the import" });
    assert.equal(stack.fake.session(SID).webIds.at(-1), WEB_ID);
  } finally {
    await stack.close();
    await proxy.close();
  }
});

Deno.test("cookie imports that cannot add an account answer 400 saying why", async () => {
  const stack = await startStack({ env: QUIET });
  try {
    const admin = await loginAdmin(stack);
    const cases: [unknown, string, RegExp][] = [
      [{ sessionids: `_tea_web_id=${WEB_ID}; uid_tt=${UID}` }, "sessionids", /hold no sessionid/],
      [
        { sessionids: `sessionid=${SID}; store-country-code=de; store-idc=eu-ttp2` },
        "sessionids",
        /do not tell the Dreamina region/,
      ],
      [{ cookies: [{ name: "x", value: "y", domain: "example.org" }] }, "cookies", /None of/],
      [{ cookies: 42 }, "cookies", /must be a Cookie header/],
      [{ sessionids: JIMENG_HEADER, proxy: "ftp://proxy:21" }, "proxy", /not supported/],
      [
        { sessionids: SID, proxy: "http://user:hunter2-secret@proxy:8080/path" },
        "proxy",
        /no path/,
      ],
    ];
    for (const [body, param, message] of cases) {
      const response = await admin.call("POST", "/accounts", body);
      const text = await response.text();
      assert.equal(response.status, 400, text);
      const { error } = JSON.parse(text);
      assert.equal(error.param, param, text);
      assert.match(error.message, message);
      assert.ok(!text.includes("hunter2-secret") && !text.includes(UID), text);
    }
    assert.equal((await admin.json<{ data: unknown[] }>("GET", "/accounts")).data.length, 0);
  } finally {
    await stack.close();
  }
});

Deno.test("an imported account keeps its webId, cookies and proxy across a restart", async () => {
  const fake = await startFakeUpstream();
  fake.addSession(SID);
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-cookies-" });
  const proxy = startHttpProxy({ auth: { username: "restart", password: "kept-encrypted" } });
  const config = loadConfig({ ...upstreamEnv(fake.url, dataDir), ...QUIET });
  const quiet = () => createLogger({ level: "error", write: () => {} });
  try {
    const first = await startServer(config, { logger: quiet() });
    try {
      first.accounts.add([{
        token: SID,
        proxy: parseProxyUrl(proxy.url),
        cookies: {
          webId: WEB_ID,
          userId: UID,
          cookies: [{
            name: "sessionid",
            value: SID,
            domain: ".jianying.com",
            path: "/",
            expires: -1,
            httpOnly: true,
            secure: true,
          }],
        },
      }]);
    } finally {
      await first.close();
    }
    const second = await startServer(config, { logger: quiet() });
    try {
      const [account] = second.accounts.list();
      assert.equal(account.session.webId, WEB_ID);
      assert.equal(account.session.userId, UID);
      assert.equal(account.session.cookies?.length, 1);
      assert.equal(
        (account.session.proxy as { label: string }).label,
        `http://re…:****@127.0.0.1:${proxy.port}`,
      );
      await second.accounts.check(account);
      assert.equal(account.lastCheckError, null);
      assert.ok(proxy.requests.length > 0);
      assert.deepEqual(fake.session(SID).webIds, [WEB_ID]);
    } finally {
      await second.close();
    }
  } finally {
    await proxy.close();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
