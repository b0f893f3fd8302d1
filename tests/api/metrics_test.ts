import assert from "node:assert/strict";
import { maskSecret } from "../../src/redact.ts";
import { parseExposition, type Scrape } from "../helpers/prometheus.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";

const EXPIRED = "dead0000dead0000dead0000dead0000";

async function scrape(stack: Stack, init: RequestInit = {}, query = ""): Promise<Scrape> {
  const response = await fetch(`${stack.url}/metrics${query}`, init);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await response.text());
}

Deno.test("GET /metrics counts a generation end to end", async () => {
  const stack = await startStack();
  try {
    const before = await scrape(stack);
    const route = "/v1/images/generations";
    const labels = { route, method: "POST", model: "jimeng-image-4.5", status: "200" };
    assert.equal(before.value("jimeng_http_requests_total", labels), undefined);

    await stack.openai().images.generate({ model: "jimeng-image-4.5", prompt: "a fox" });
    stack.fake.addSession(EXPIRED, { expired: true });
    await assert.rejects(stack.openai(EXPIRED).images.generate({ prompt: "nope" }));
    await stack.server.deps.credits.idle();
    await stack.server.deps.media.idle();

    const text = await (await fetch(`${stack.url}/metrics`)).text();
    assert.ok(!text.includes(GOOD_SESSION) && !text.includes(EXPIRED), "no sessionid in metrics");
    const after = parseExposition(text);
    assert.equal(after.value("jimeng_http_requests_total", labels), 1);
    assert.equal(
      after.value("jimeng_http_requests_total", { route, status: "401", method: "POST" }),
      1,
    );
    assert.equal(after.value("jimeng_http_request_duration_seconds_count", { route }), 2);
    assert.equal(
      after.value("jimeng_http_request_duration_seconds_bucket", { route, le: "+Inf" }),
      2,
    );
    assert.equal(
      after.value("jimeng_http_requests_total", { route: "/metrics", status: "200" }),
      1,
      "the first scrape was counted",
    );
    const generate = "/mweb/v1/aigc_draft/generate";
    assert.ok(after.value("jimeng_upstream_calls_total", { path: generate })! >= 2);
    assert.equal(
      after.value("jimeng_upstream_errors_total", { path: generate, code: "1015" }),
      1,
      "the expired session shows as an upstream error with its ret code",
    );
    assert.equal(after.value("jimeng_generations_in_flight"), 0);
    assert.equal(after.value("jimeng_http_requests_in_flight"), 1, "this scrape");
    const credits = stack.fake.session(GOOD_SESSION).credits;
    assert.ok(credits < 100, "the generation cost credits");
    // Open metrics (no METRICS_TOKEN) serve aggregates only: nothing per account.
    assert.equal(after.value("jimeng_credits_remaining"), credits);
    assert.ok(!after.types.has("jimeng_account_credits"), "no per-account balances");
    assert.ok(!after.types.has("jimeng_account_in_flight"), "no per-account series");
    assert.ok(!text.includes(maskSecret(GOOD_SESSION)), "no masked account label");
    assert.equal(after.value("jimeng_accounts", { state: "expired" }), 1);
    assert.equal(after.value("jimeng_media_downloads_total", { kind: "image", outcome: "ok" }), 1);
    assert.ok(after.value("jimeng_media_cache_bytes")! > 0);
    assert.equal(after.value("jimeng_jobs", { state: "completed" }), 0, "jobs are counted");
  } finally {
    await stack.close();
  }
});

Deno.test("GET /metrics needs METRICS_TOKEN when it is set", async () => {
  const token = "scrape-secret-1234";
  const stack = await startStack({ env: { METRICS_TOKEN: token } });
  try {
    for (
      const [init, query] of [
        [{}, ""],
        [{ headers: { authorization: "Bearer wrong" } }, ""],
        [{}, "?token=wrong"],
      ] as [RequestInit, string][]
    ) {
      const response = await fetch(`${stack.url}/metrics${query}`, init);
      assert.equal(response.status, 401);
      assert.match(response.headers.get("content-type")!, /application\/json/);
      const body = await response.json();
      assert.equal(body.error.code, "invalid_metrics_token");
      assert.ok(!JSON.stringify(body).includes(token));
    }
    await stack.openai().images.generate({ prompt: "a fox" });
    await stack.server.deps.credits.idle();
    const byHeader = await scrape(stack, { headers: { authorization: `Bearer ${token}` } });
    assert.ok(byHeader.types.has("jimeng_http_requests_total"));
    // The token holder sees each account (masked) and its balance.
    const credits = stack.fake.session(GOOD_SESSION).credits;
    assert.equal(
      byHeader.value("jimeng_account_credits", { account: maskSecret(GOOD_SESSION) }),
      credits,
    );
    assert.equal(byHeader.value("jimeng_credits_remaining"), credits);
    const byQuery = await scrape(stack, {}, `?token=${token}`);
    assert.equal(
      byQuery.value("jimeng_http_requests_total", { route: "/metrics", status: "401" }),
      3,
    );
  } finally {
    await stack.close();
  }
});
