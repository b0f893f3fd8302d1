import assert from "node:assert/strict";
import { newAccount } from "../../src/accounts/pool.ts";
import { createRegistry } from "../../src/metrics/registry.ts";
import { createServerMetrics } from "../../src/metrics/server_metrics.ts";
import { parseExposition } from "../helpers/prometheus.ts";

Deno.test("createRegistry() renders counters, gauges and histograms in the text format", () => {
  const registry = createRegistry();
  const requests = registry.counter("app_requests_total", "Requests\nby route", ["route"]);
  const idle = registry.counter("app_idle_total", "Never incremented");
  const temperature = registry.gauge("app_temperature", "A gauge", ["room"]);
  const latency = registry.histogram("app_latency_seconds", "Latency", ["route"], [0.1, 1, 10]);
  requests.inc({ route: "/a" });
  requests.inc({ route: "/a" }, 2);
  requests.inc({ route: 'we"ird\\path\n' });
  temperature.set({ room: "lab" }, -3.5);
  for (const value of [0.05, 0.1, 0.5, 5, 50]) latency.observe({ route: "/a" }, value);

  const text = registry.render();
  assert.ok(text.includes("# HELP app_requests_total Requests\\nby route\n"));
  assert.ok(text.includes("# TYPE app_latency_seconds histogram\n"));
  assert.ok(text.includes('app_requests_total{route="we\\"ird\\\\path\\n"} 1\n'));
  const scrape = parseExposition(text);
  assert.equal(scrape.value("app_requests_total", { route: "/a" }), 3);
  assert.equal(scrape.value("app_requests_total", { route: 'we"ird\\path\n' }), 1);
  assert.equal(scrape.value("app_idle_total"), 0, "an unlabelled counter starts at 0");
  assert.equal(scrape.value("app_temperature", { room: "lab" }), -3.5);
  assert.deepEqual(
    scrape.find("app_latency_seconds_bucket").map((s) => [s.labels.le, s.value]),
    [["0.1", 2], ["1", 3], ["10", 4], ["+Inf", 5]],
  );
  assert.equal(scrape.value("app_latency_seconds_sum", { route: "/a" }), 55.65);
  assert.equal(scrape.value("app_latency_seconds_count", { route: "/a" }), 5);
  void idle;
});

Deno.test("createRegistry() refuses bad names, wrong labels and shrinking counters", () => {
  const registry = createRegistry();
  assert.throws(() => registry.counter("bad-name", "x"), TypeError);
  assert.throws(() => registry.gauge("ok_name", "x", ["le"]), TypeError);
  const counter = registry.counter("things_total", "x", ["a"]);
  assert.throws(() => registry.counter("things_total", "again"), /registered twice/);
  assert.throws(() => counter.inc({ b: "1" }), /takes labels \[a\]/);
  assert.throws(() => counter.inc({ a: "1" }, -1), RangeError);
  assert.throws(() => registry.histogram("h", "x", [], []), TypeError);
});

Deno.test("createServerMetrics() emits jobs only when the job runner supplies them", () => {
  const base = { pollerSize: () => 2, storedAccounts: () => [] };
  const without = parseExposition(createServerMetrics(base).render());
  assert.equal(without.types.has("jimeng_jobs"), false);
  assert.equal(without.value("jimeng_generations_in_flight"), 2);

  const withJobs = parseExposition(
    createServerMetrics({ ...base, jobsByState: () => ({ queued: 3, running: 1 }) }).render(),
  );
  assert.equal(withJobs.value("jimeng_jobs", { state: "queued" }), 3);
  assert.equal(withJobs.value("jimeng_jobs", { state: "running" }), 1);
});

Deno.test("createServerMetrics() labels account gauges with the masked token only", () => {
  const token = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
  const stored = newAccount(token, "stored", 1);
  stored.credits = { gift: 10, purchase: 0, vip: 5, total: 15 };
  const bearer = newAccount("ffffeeeeddddccccbbbbaaaa99998888", "bearer", null);
  bearer.expired = true;
  bearer.inFlight = 1;
  const metrics = createServerMetrics({ pollerSize: () => 0, storedAccounts: () => [stored] });
  metrics.noteAccounts([bearer, stored]);
  metrics.upstreamCall({ path: "/mweb/v1/aigc_draft/generate", ok: true, ms: 120 });
  metrics.upstreamCall({ path: "/mweb/v1/aigc_draft/generate", ok: false, code: "1015", ms: 80 });
  const text = metrics.render({ perAccount: true });
  assert.ok(!text.includes(token));
  const scrape = parseExposition(text);
  assert.equal(scrape.value("jimeng_account_credits", { account: stored.label }), 15);
  assert.equal(scrape.value("jimeng_credits_remaining"), 15);
  // By default only aggregates: no account label at all.
  const open = metrics.render();
  assert.ok(!open.includes(stored.label) && !open.includes(bearer.label), open);
  assert.equal(parseExposition(open).value("jimeng_credits_remaining"), 15);
  assert.equal(scrape.value("jimeng_account_credits", { account: bearer.label }), undefined);
  assert.equal(scrape.value("jimeng_account_in_flight", { account: bearer.label }), 1);
  assert.equal(scrape.value("jimeng_accounts", { state: "ok" }), 1);
  assert.equal(scrape.value("jimeng_accounts", { state: "expired" }), 1);
  const path = "/mweb/v1/aigc_draft/generate";
  assert.equal(scrape.value("jimeng_upstream_calls_total", { path }), 2);
  assert.equal(scrape.value("jimeng_upstream_errors_total", { path, code: "1015" }), 1);
  assert.equal(scrape.value("jimeng_upstream_call_duration_seconds_count", { path }), 2);
});
