/**
 * Usage records and statistics are about generations: a request that
 * creates work is a row (route pattern, model, key, account, outcome,
 * credits, latency); reads and calls refused before authentication are only
 * counted in `/metrics`. The usage log API filters and exports those rows.
 * @module
 */
import assert from "node:assert/strict";
import { type APIError } from "openai";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";
import type { UsageRow } from "../../src/dashboard/usage_routes.ts";
import { queryLogs } from "../../src/store/logs.ts";
import { recentRequests } from "../../src/store/requests.ts";
import { ADMIN_ENV, type AdminClient, loginAdmin } from "../helpers/admin.ts";
import { parseExposition } from "../helpers/prometheus.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

const ENV = { ...ADMIN_ENV, DAILY_CLAIM: "false", JIMENG_SESSIONS: GOOD_SESSION };

type CreatedKey = KeyJson & { key: string };
type Stats = {
  totals: Record<string, number | string | null>;
  byModel: { model: string; requests: number; errors: number }[];
  byKey: { keyId: number | null; requests: number; errors: number }[];
};

function createKey(admin: AdminClient, name: string): Promise<CreatedKey> {
  return admin.json<CreatedKey>("POST", "/keys", { name }, 201);
}

Deno.test("only generations are usage records; reads and refused calls are counted in /metrics", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    const key = await createKey(admin, "worker");
    const client = stack.openai(key.key);
    await client.images.generate({ model: "jimeng-image-4.5", prompt: "one" });
    await client.images.generate({ model: "jimeng-image-4.5", prompt: "two" });
    await assert.rejects(
      client.images.generate({ model: "jimeng-image-9", prompt: "unknown model" }),
      (error: APIError) => error.status === 404,
    );
    for (let i = 0; i < 5; i++) await client.models.list();
    for (let i = 0; i < 3; i++) await client.videos.list();
    const refused = [
      ...Array.from({ length: 20 }, (_, i) =>
        fetch(`${stack.url}/v1/images/generations`, {
          method: "POST",
          headers: { Authorization: `Bearer sk-wrong${i}`, "Content-Type": "application/json" },
          body: JSON.stringify({ prompt: "x" }),
        })),
      fetch(`${stack.url}/v1/images/generations`, { method: "POST", body: "{}" }),
      // A 60 KB path, refused before authentication.
      fetch(`${stack.url}/v1/videos/${"v".repeat(60_000)}`),
    ];
    for (const response of await Promise.all(refused)) {
      assert.equal(response.status, 401);
      await response.body?.cancel();
    }

    const rows = recentRequests(stack.server.db, 100);
    assert.deepEqual(
      rows.map((r) => [r.endpoint, r.status, r.errorCode]),
      [
        ["/v1/images/generations", "error", "model_not_found"],
        ["/v1/images/generations", "ok", null],
        ["/v1/images/generations", "ok", null],
      ],
    );
    assert.ok(rows.every((r) => r.apiKeyId === key.id));
    assert.equal(rows[0].errorMessage?.includes("jimeng-image-9"), true);

    // Statistics: three generations, two succeeded — the 22 refused calls change nothing.
    const stats = await admin.json<Stats>("GET", "/stats?range=24h");
    assert.equal(stats.totals.requestsToday, 3);
    assert.equal(stats.totals.successRate, 2 / 3);
    // A request whose model is unknown has none (a client cannot add model rows at will).
    assert.deepEqual(stats.byModel.map((m) => m.model), ["jimeng-image-4.5", "(none)"]);
    assert.deepEqual(
      stats.byKey.map((k) => [k.keyId, k.requests, k.errors]),
      [[key.id, 3, 1]],
    );
    const [listed] = (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data;
    assert.equal(listed.requestsToday, 3);
    assert.equal(listed.errorsToday, 1);

    const scrape = parseExposition(await (await fetch(`${stack.url}/metrics`)).text());
    assert.equal(scrape.value("jimeng_api_requests_total", { class: "generation" }), 3);
    assert.equal(scrape.value("jimeng_api_requests_total", { class: "read" }), 8);
    assert.equal(scrape.value("jimeng_api_requests_total", { class: "refused" }), 22);

    // The log records the route, never the 60 KB path; the console's own calls stay out.
    stack.server.deps.logs.flush();
    const logged = queryLogs(stack.server.db, { limit: 1000 });
    assert.ok(logged.every((entry) => JSON.stringify(entry).length < 2000));
    assert.ok(logged.some((entry) => entry.message === "GET /v1/videos/:id 401"));
    assert.ok(!logged.some((entry) => entry.message.includes("/api/admin/")));
    assert.ok(stack.logs.some((line) => line.includes("GET /api/admin/stats 200")), "at debug");
  } finally {
    await stack.close();
  }
});

Deno.test("the usage log filters by key, model, outcome and date, pages, and exports CSV and JSON", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    const a = await createKey(admin, "alpha");
    const b = await createKey(admin, 'beta, "the second"');
    await stack.openai(a.key).images.generate({ model: "jimeng-image-4.5", prompt: "a1" });
    await stack.openai(a.key).images.generate({ model: "jimeng-image-4.0", prompt: "a2" });
    await stack.openai(b.key).images.generate({ model: "jimeng-image-4.5", prompt: "b1" });
    await stack.openai().images.generate({ model: "jimeng-image-4.5", prompt: "by sessionid" });
    await assert.rejects(
      stack.openai(b.key).images.generate({ model: "jimeng-image-4.5", prompt: "" }),
      (error: APIError) => error.status === 400,
    );
    const all = await admin.json<{ data: UsageRow[]; nextBefore: number | null }>("GET", "/usage");
    assert.equal(all.data.length, 5);
    assert.equal(all.nextBefore, null);
    const [refused, sid, b1, a2, a1] = all.data;
    assert.deepEqual(
      [refused.outcome, refused.code, refused.httpStatus, refused.keyName],
      ["error", "empty_prompt", 400, 'beta, "the second"'],
    );
    assert.ok(refused.message!.length > 0);
    assert.equal(sid.keyId, null);
    assert.equal(sid.keyName, null);
    assert.equal(sid.account, "0f1e…e1f0");
    assert.deepEqual([b1.model, b1.kind, b1.n, b1.route], [
      "jimeng-image-4.5",
      "image",
      1,
      "/v1/images/generations",
    ]);
    assert.ok(a1.latencyMs >= 0 && a1.requestId.length > 0 && a2.time >= a1.time);

    const ids = async (query: string) =>
      (await admin.json<{ data: UsageRow[] }>("GET", `/usage?${query}`)).data.map((r) => r.id);
    assert.deepEqual(await ids(`key=${a.id}`), [a2.id, a1.id]);
    assert.deepEqual(await ids("key=none"), [sid.id]);
    assert.deepEqual(await ids("model=jimeng-image-4.0"), [a2.id]);
    assert.deepEqual(await ids("outcome=error"), [refused.id]);
    assert.deepEqual(await ids("outcome=empty_prompt"), [refused.id]);
    assert.equal((await ids("outcome=ok")).length, 4);
    assert.deepEqual(await ids(`since=${b1.time}&key=${b.id}`), [refused.id, b1.id]);
    assert.deepEqual(await ids(`until=${new Date(a1.time + 1).toISOString()}&key=${a.id}`), [
      a1.id,
    ]);
    const page = await admin.json<{ data: UsageRow[]; nextBefore: number }>(
      "GET",
      "/usage?limit=2",
    );
    assert.deepEqual(page.data.map((r) => r.id), [refused.id, sid.id]);
    assert.deepEqual(await ids(`limit=2&before=${page.nextBefore}`), [b1.id, a2.id]);
    for (const bad of ["key=alpha", "limit=0", "since=yesterday", "outcome=DROP%20TABLE"]) {
      const response = await admin.call("GET", `/usage?${bad}`);
      assert.equal(response.status, 400, bad);
      await response.body?.cancel();
    }

    const facets = await admin.json<{ models: string[]; outcomes: string[] }>(
      "GET",
      "/usage/facets",
    );
    assert.deepEqual(facets.models, ["jimeng-image-4.0", "jimeng-image-4.5"]);
    assert.deepEqual(facets.outcomes, ["ok", "error", "client_closed", "empty_prompt"]);

    const csv = await admin.call("GET", `/usage/export?format=csv&key=${b.id}`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type")!, /text\/csv/);
    assert.match(csv.headers.get("content-disposition")!, /attachment; filename="jimeng-usage-/);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^id,time,requestId,route,keyId,keyName,/);
    assert.ok(lines[1].includes(`,"beta, ""the second""",`), lines[1]);
    const json = await admin.call("GET", "/usage/export?format=json&outcome=ok");
    assert.equal(json.status, 200);
    const exported = await json.json() as UsageRow[];
    assert.deepEqual(exported.map((r) => r.id), [sid.id, b1.id, a2.id, a1.id]);
    const empty = await admin.call("GET", "/usage/export?format=json&model=none");
    assert.deepEqual(await empty.json(), []);
  } finally {
    await stack.close();
  }
});
