/**
 * Dreamina as it is in late 2026 (2026-10 sheet §8): image submits carry the
 * account's workspace and Dreamina's own fields, `da_version` is its own
 * setting, credit answers come as a JSON string only.
 * @module
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { unwrapCommerce } from "../../src/jimeng/http.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";
import { startStack } from "../helpers/stack.ts";

const US_SESSION = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const US_TOKEN = `us-${US_SESSION}`;

/** What the server sent upstream: URL and parsed body of every call. */
interface Sent {
  url: URL;
  body: Record<string, unknown> | undefined;
}

/** A `fetch` that records every upstream call before sending it. */
function recordingFetch(sent: Sent[]): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const text = typeof init?.body === "string" ? init.body : undefined;
    sent.push({ url, body: text ? JSON.parse(text) : undefined });
    return fetch(input, init);
  };
}

const generateCalls = (sent: Sent[]) =>
  sent.filter((call) => call.url.pathname === "/mweb/v1/aigc_draft/generate");

Deno.test("a Dreamina image carries the account's workspace, no sceneOptions, Dreamina's core fields", async () => {
  const sent: Sent[] = [];
  // Dreamina takes generations only from its page: the first is tried directly (and recorded
  // here), refused with ret -6 and sent again, the same body, from the page; the second goes
  // straight to the page. The fake checks what the page sent as strictly.
  const stack = await startStack({
    env: { CHROMIUM_PATH },
    overrides: { upstream: { fetch: recordingFetch(sent) } },
  });
  try {
    stack.fake.addSession(US_SESSION, { region: "us" });
    const client = stack.openai(US_TOKEN);
    for (const prompt of ["a canyon at dawn", "a canyon at dusk"]) {
      const result = await client.images.generate({ model: "jimeng-image-4.5", prompt, n: 2 });
      assert.equal(result.data?.length, 2);
    }
    assert.deepEqual(stack.fake.stats.violations, []);
    assert.equal(
      stack.fake.stats.calls["/mweb/v1/workspace/list"],
      1,
      "the workspace is looked up once per account",
    );
    const calls = generateCalls(sent);
    assert.equal(calls.length, 1, "only the first submit is tried directly");
    assert.equal(stack.fake.records().filter((r) => r.sessionId === US_SESSION).length, 2);
    for (const call of calls) {
      const extend = call.body!.extend as Record<string, unknown>;
      assert.equal(extend.workspace_id, stack.fake.session(US_SESSION).workspaceId);
      const metrics = JSON.parse(call.body!.metrics_extra as string);
      assert.equal(metrics.sceneOptions, undefined);
      const draft = JSON.parse(call.body!.draft_content as string);
      assert.equal(draft.version, "3.3.28");
      const generate = draft.component_list[0].abilities.generate;
      assert.equal(generate.core_param.intelligent_ratio, false);
      assert.equal(generate.core_param.generate_type, 0);
      assert.equal(call.url.searchParams.get("da_version"), "3.3.28");
    }
  } finally {
    await stack.close();
  }
});

Deno.test("DREAMINA_DA_VERSION sets Dreamina's da_version; the CN site keeps its own", async () => {
  const sent: Sent[] = [];
  const stack = await startStack({
    env: { DREAMINA_DA_VERSION: "3.3.31", CHROMIUM_PATH },
    overrides: { upstream: { fetch: recordingFetch(sent) } },
  });
  try {
    stack.fake.addSession(US_SESSION, { region: "us" });
    await stack.openai(US_TOKEN).images.generate({ model: "jimeng-image-4.5", prompt: "dunes" });
    await stack.openai().images.generate({ model: "jimeng-image-4.5", prompt: "rice fields" });
    const [us, cn] = generateCalls(sent);
    assert.equal(us.url.searchParams.get("region"), "US");
    assert.equal(us.url.searchParams.get("da_version"), "3.3.31");
    assert.equal(JSON.parse(us.body!.draft_content as string).version, "3.3.31");
    assert.equal(cn.url.searchParams.get("region"), "CN");
    assert.equal(cn.url.searchParams.get("da_version"), "3.3.20");
    assert.equal(JSON.parse(cn.body!.draft_content as string).version, "3.3.20");
    assert.equal((cn.body!.extend as Record<string, unknown>).workspace_id, undefined);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("Dreamina credits, sent only as a JSON string, are read through /token/points", async () => {
  const stack = await startStack();
  try {
    stack.fake.addSession(US_SESSION, { region: "us", credits: 136 });
    const response = await fetch(`${stack.url}/token/points`, {
      method: "POST",
      headers: { Authorization: `Bearer ${US_TOKEN}` },
    });
    assert.equal(response.status, 200);
    const [entry] = await response.json();
    assert.equal(entry.points.totalCredit, 136);
    assert.equal(entry.points.giftCredit, 136);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("unwrapCommerce() parses a string-only response and prefers data when both come", () => {
  const payload = { credit: { gift_credit: 5, purchase_credit: 0, vip_credit: 0 } };
  assert.deepEqual(
    unwrapCommerce({ ret: "0", errmsg: "success", response: JSON.stringify(payload) }),
    payload,
  );
  assert.deepEqual(
    unwrapCommerce({ ret: "0", response: JSON.stringify({ other: 1 }), data: payload }),
    payload,
  );
  assert.throws(
    () => unwrapCommerce({ ret: "0", response: "{not json" }),
    /credit payload that is not JSON/,
  );
  assert.throws(() => unwrapCommerce({ ret: "1015", errmsg: "login error" }), /expired/);
});

Deno.test("the US credits host defaults to commerce-us-ttp2", () => {
  const config = loadConfig({});
  assert.equal(config.upstream.us.commerce, "https://commerce-us-ttp2.us.capcut.com");
  assert.equal(config.protocol.intlDaVersion, "3.3.28");
  assert.equal(loadConfig({ DREAMINA_DA_VERSION: "3.4.0" }).protocol.intlDaVersion, "3.4.0");
});
