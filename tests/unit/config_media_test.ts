import assert from "node:assert/strict";
import { listSettings, loadConfig } from "../../src/config.ts";

Deno.test("loadConfig() resolves the media, log and metrics settings", () => {
  const defaults = loadConfig({});
  assert.equal(defaults.mediaCache, true);
  assert.equal(defaults.mediaMaxGb, 10);
  assert.equal(defaults.publicBaseUrl, null);
  assert.equal(defaults.mediaUrls, "local", "the server's own links from the first run");
  assert.equal(defaults.logKeep, 10_000);
  assert.equal(defaults.logFormat, "auto");
  assert.equal(defaults.requestsKeepDays, 90);
  assert.equal(defaults.metricsToken, null);

  const set = loadConfig({
    PUBLIC_BASE_URL: "https://img.example.com/jimeng/",
    MEDIA_CACHE: "off",
    MEDIA_MAX_GB: "0.5",
    LOG_KEEP: "0",
    METRICS_TOKEN: "t0ken",
  });
  assert.equal(set.publicBaseUrl, "https://img.example.com/jimeng");
  assert.equal(set.mediaUrls, "upstream", "without the cache there is nothing local to link");
  assert.equal(set.mediaCache, false);
  assert.equal(set.mediaMaxGb, 0.5);
  assert.equal(set.logKeep, 0);
  assert.equal(set.metricsToken, "t0ken");
  assert.equal(
    loadConfig({ PUBLIC_BASE_URL: "http://a.test", MEDIA_URLS: "UPSTREAM" }).mediaUrls,
    "upstream",
  );
  assert.equal(loadConfig({}, ["--media-max-gb", "2.5"]).mediaMaxGb, 2.5);
  const other = loadConfig({ LOG_FORMAT: "JSON", REQUESTS_KEEP_DAYS: "7" });
  assert.equal(other.logFormat, "json");
  assert.equal(other.requestsKeepDays, 7);
});

Deno.test("loadConfig() names the setting and value it refuses", () => {
  assert.throws(
    () => loadConfig({ MEDIA_URLS: "local", MEDIA_CACHE: "false" }),
    /MEDIA_URLS=local needs MEDIA_CACHE=true/,
  );
  assert.throws(() => loadConfig({ LOG_FORMAT: "xml" }), /Invalid LOG_FORMAT "xml"/);
  assert.throws(() => loadConfig({ REQUESTS_KEEP_DAYS: "0" }), /Invalid REQUESTS_KEEP_DAYS "0"/);
  assert.throws(() => loadConfig({ MEDIA_URLS: "cdn" }), /Invalid MEDIA_URLS "cdn"/);
  assert.throws(() => loadConfig({ MEDIA_CACHE: "maybe" }), /Invalid MEDIA_CACHE "maybe"/);
  assert.throws(() => loadConfig({ MEDIA_MAX_GB: "0" }), /Invalid MEDIA_MAX_GB "0"/);
  assert.throws(() => loadConfig({ MEDIA_MAX_GB: "lots" }), /Invalid MEDIA_MAX_GB/);
  assert.throws(() => loadConfig({ LOG_KEEP: "-1" }), /Invalid LOG_KEEP "-1"/);
  for (const bad of ["ftp://x.test", "https://x.test/?a=1", "https://u:p@x.test", "nope"]) {
    assert.throws(() => loadConfig({ PUBLIC_BASE_URL: bad }), /Invalid PUBLIC_BASE_URL/, bad);
  }
});

Deno.test("listSettings() documents the media, log and metrics settings", () => {
  const names = listSettings().map((s) => s.env);
  for (
    const name of [
      "MEDIA_CACHE",
      "MEDIA_MAX_GB",
      "PUBLIC_BASE_URL",
      "MEDIA_URLS",
      "LOG_KEEP",
      "METRICS_TOKEN",
    ]
  ) {
    assert.ok(names.includes(name), name);
  }
});
