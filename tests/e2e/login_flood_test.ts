/**
 * Hostile login traffic against a real server process: a flood of wrong
 * passwords from many (proxied) addresses must neither blow its memory nor
 * stall other requests, and every answer is a 401 or a 429.
 * @module
 */
import assert from "node:assert/strict";
import { mib, readStatusBytes, startRssSampler } from "../../bench/measure.ts";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { processEnv, spawnServer } from "../helpers/server_process.ts";

const FLOOD = 400;

Deno.test("400 parallel bad logins neither blow the memory nor stall /ping", async () => {
  const fake = await startFakeUpstream();
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-flood-" });
  const server = await spawnServer({
    env: processEnv(fake.url, dataDir, {
      LOG_LEVEL: "warn",
      ADMIN_USER: "admin",
      ADMIN_PASSWORD: "the right password",
      TRUST_PROXY: "true",
      TRUSTED_PROXIES: "127.0.0.1",
      // The flood comes through one "proxy" address: the connection cap is not what is tested.
      MAX_CONNECTIONS_PER_IP: "0",
    }),
  });
  try {
    // One login first, so the idle figure includes the password code's warm-up.
    const warm = await login(server.url, "203.0.113.250", "the right password");
    assert.equal(warm.status, 200);
    // The same flood without passwords first (its bodies are not JSON, refused before any
    // check): what 400 connections at once cost the process is then in the baseline, and the
    // figure below is what the password checks add.
    const cheap = startRssSampler(server.pid, 10);
    const refused = await Promise.all(
      Array.from({ length: FLOOD }, async (_, i) => {
        const response = await fetch(`${server.url}/api/admin/login`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            origin: server.url,
            "x-forwarded-for": `198.18.${i >> 8}.${i & 255}`,
          },
          body: `{"username":"user${i}","password":`,
        });
        await response.body?.cancel();
        return response.status;
      }),
    );
    const before = Math.max(cheap.stop(), readStatusBytes(server.pid)!);
    assert.ok(
      refused.every((status) => status === 400),
      "the bodies without passwords were refused",
    );
    const sampler = startRssSampler(server.pid, 10);
    let flooding = true;
    const pings: number[] = [];
    const pinger = (async () => {
      while (flooding) {
        const started = performance.now();
        const response = await fetch(`${server.url}/ping`);
        assert.equal(await response.text(), "pong");
        pings.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    // Each attempt comes from its own address (through the trusted proxy), for its own user
    // name: no per-address or per-user limit applies, only the bound on password checks.
    const statuses = await Promise.all(
      Array.from({ length: FLOOD }, async (_, i) => {
        const response = await login(
          server.url,
          `198.51.${100 + (i >> 8)}.${i & 255}`,
          `wrong password ${i}`,
          `user${i}`,
        );
        await response.body?.cancel();
        return response.status;
      }),
    );
    flooding = false;
    await pinger;
    const peak = sampler.stop();
    const counts = Object.fromEntries(
      [...new Set(statuses)].map((status) => [status, statuses.filter((s) => s === status).length]),
    );
    const slowest = Math.max(...pings);
    const middle = [...pings].sort((a, b) => a - b)[Math.floor(pings.length / 2)];
    console.log(
      `flood: answers ${JSON.stringify(counts)}, RSS ${mib(before).toFixed(0)} → peak ${
        mib(peak).toFixed(0)
      } MiB, /ping p50 ${middle.toFixed(0)} ms, max ${slowest.toFixed(0)} ms over ${pings.length}`,
    );
    assert.ok(statuses.every((s) => s === 401 || s === 429), JSON.stringify(counts));
    // Unbounded, each scrypt holds 16 MiB: 400 at once took ~670 MiB more; bounded, two run at
    // once (32 MiB) and the rest is the heap's noise.
    assert.ok(mib(peak - before) < 100, `RSS grew by ${mib(peak - before).toFixed(0)} MiB`);
    // /ping kept answering throughout; its latency is a figure to read (it depends on what else
    // the machine runs), not a pass mark.
    assert.ok(pings.length > 0, "/ping was answered during the flood");
    // The administrator still gets in afterwards, from another address.
    const after = await login(server.url, "203.0.113.251", "the right password");
    assert.equal(after.status, 200, await after.clone().text());
    await after.body?.cancel();
  } finally {
    await server.stop();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

function login(url: string, address: string, password: string, username = "admin") {
  return fetch(`${url}/api/admin/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url, "x-forwarded-for": address },
    body: JSON.stringify({ username, password }),
  });
}
