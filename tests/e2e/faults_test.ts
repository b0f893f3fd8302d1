/**
 * The server as a real process under injected upstream faults, signals and
 * an unusable DATA_DIR.
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SLOW_FAULT_MS } from "../fake_upstream/faults.ts";
import { type FakeUpstream, startFakeUpstream } from "../fake_upstream/server.ts";
import type { FaultKind } from "../fake_upstream/state.ts";
import { processEnv, type ServerProcess, spawnServer } from "../helpers/server_process.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { waitFor } from "../helpers/wait.ts";

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string } };

/** Codes a request may end with when the upstream misbehaves. */
const UPSTREAM_CODES = new Set([
  "upstream_unavailable",
  "upstream_timeout",
  "upstream_bad_response",
]);

async function post(server: ServerProcess, path: string, body: unknown) {
  const started = Date.now();
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: JSON.parse(text),
    ms: Date.now() - started,
    requestId: response.headers.get("x-request-id"),
  };
}

async function get(server: ServerProcess, path: string) {
  const response = await fetch(`${server.url}${path}`, {
    headers: { "Authorization": `Bearer ${GOOD_SESSION}` },
  });
  return { status: response.status, json: await response.json() };
}

/** Resident memory of a process, in MiB. */
async function rssMib(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function withFake(
  options: Parameters<typeof startFakeUpstream>[0],
  fn: (fake: FakeUpstream, dataDir: string) => Promise<void>,
): Promise<void> {
  const fake = await startFakeUpstream(options);
  fake.addSession(GOOD_SESSION, { credits: 1_000_000 });
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-faults-" });
  try {
    await fn(fake, dataDir);
  } finally {
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

function assertOneRecordPerPrompt(fake: FakeUpstream): void {
  const counts = new Map<string, number>();
  for (const record of fake.records()) {
    counts.set(record.prompt, (counts.get(record.prompt) ?? 0) + 1);
  }
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], "no generation was submitted twice");
}

async function waitForJobs(server: ServerProcess, ids: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const done = new Map<string, { status: string; error: { code: string } | null }>();
  while (done.size < ids.length && Date.now() < deadline) {
    for (const id of ids) {
      if (done.has(id)) continue;
      const { json } = await get(server, `/v1/videos/${id}`);
      if (json.status === "completed" || json.status === "failed") done.set(id, json);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return done;
}

Deno.test("200 image requests and 50 video jobs under 10 % upstream faults all end precisely", async () => {
  await withFake({ imageLatencyMs: 300, videoLatencyMs: 1500 }, async (fake, dataDir) => {
    const server = await spawnServer({
      env: processEnv(fake.url, dataDir, {
        // Ends each hang; far above what a healthy loopback call takes even on a busy machine,
        // so the failures counted below are the injected ones, not the machine's.
        JIMENG_TIMEOUT_MS: "5000",
        IMAGE_TIMEOUT_S: "60",
        VIDEO_TIMEOUT_S: "120",
        LOG_LEVEL: "warn",
        // 250 requests at once from this one address: above the default per-address cap.
        MAX_CONNECTIONS_PER_IP: "1000",
      }),
    });
    try {
      const idle = await rssMib(server.pid);
      fake.knobs.faults = { rate: 0.1, kinds: ["5xx", "hang"], afterProcessing: true };
      let peak = idle;
      const sampler = setInterval(async () => {
        peak = Math.max(peak, await rssMib(server.pid).catch(() => 0));
      }, 100);
      try {
        const images = Array.from(
          { length: 200 },
          (_, i) =>
            post(server, "/v1/images/generations", {
              prompt: `image ${i}`,
              model: "jimeng-image-4.0",
            }),
        );
        const jobs = await Promise.all(
          Array.from(
            { length: 50 },
            (_, i) => post(server, "/v1/videos", { prompt: `video ${i}` }),
          ),
        );
        const answers = await Promise.all(images);
        let ok = 0;
        for (const answer of answers) {
          assert.ok(answer.ms < 65_000, `answered within IMAGE_TIMEOUT_S (${answer.ms} ms)`);
          if (answer.status === 200) {
            ok++;
            assert.equal(answer.json.data.length, 1);
            continue;
          }
          const body = answer.json as ErrorBody;
          assert.ok(answer.status === 502 || answer.status === 504, JSON.stringify(body));
          assert.ok(UPSTREAM_CODES.has(body.error.code), body.error.code);
          assert.ok(body.error.message.length > 20);
        }
        assert.ok(ok >= 150, `most images succeed despite the faults (${ok} of 200)`);
        const created = jobs.filter((j) => j.status === 200).map((j) => j.json.id as string);
        for (const job of jobs.filter((j) => j.status !== 200)) {
          assert.ok(
            UPSTREAM_CODES.has((job.json as ErrorBody).error.code),
            JSON.stringify(job.json),
          );
        }
        const done = await waitForJobs(server, created, 180_000);
        assert.equal(done.size, created.length, "no job is lost or left running");
        for (const job of done.values()) {
          if (job.status === "failed") {
            assert.ok(UPSTREAM_CODES.has(job.error!.code), job.error!.code);
          }
        }
        const completed = [...done.values()].filter((j) => j.status === "completed").length;
        assert.ok(completed >= 45, `most jobs complete (${completed} of ${created.length})`);
      } finally {
        clearInterval(sampler);
      }
      assertOneRecordPerPrompt(fake);
      assert.ok(
        peak < idle + 200,
        `RSS stays bounded: idle ${idle.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB`,
      );
      assert.ok(fake.stats.faultsInjected > 50, "faults were injected");
      const ping = await fetch(`${server.url}/ping`);
      assert.equal(await ping.text(), "pong");
    } finally {
      await server.stop();
    }
  });
});

Deno.test("resets, truncated JSON, HTML pages and slow answers become precise errors", async () => {
  await withFake({}, async (fake, dataDir) => {
    /** One fault on every credit read and submit; the answer's status and code. */
    const answerTo = async (server: ServerProcess, kind: FaultKind) => {
      fake.knobs.faults = { rate: 1, kinds: [kind], pathPattern: /user_credit|generate/ };
      const answer = await post(server, "/v1/images/generations", { prompt: `fault ${kind}` });
      fake.knobs.faults = { rate: 0, kinds: [] };
      return [answer.status, (answer.json as ErrorBody).error?.code];
    };
    // The product's call timeout: a healthy call slowed down by a busy machine is no fault.
    const server = await spawnServer({ env: processEnv(fake.url, dataDir, { LOG_LEVEL: "warn" }) });
    try {
      for (const kind of ["reset", "truncated", "html"] as const) {
        assert.deepEqual(await answerTo(server, kind), [502, "upstream_unavailable"], kind);
      }
      const healthy = await post(server, "/v1/images/generations", { prompt: "after the storm" });
      assert.equal(healthy.status, 200);
    } finally {
      await server.stop();
    }
    // A call timeout below the slow answer's delay: every faulty call outlasts it, and a
    // healthy one slowed past it would be the same 504.
    assert.ok(SLOW_FAULT_MS > 1000);
    const impatient = await spawnServer({
      env: processEnv(fake.url, dataDir, { JIMENG_TIMEOUT_MS: "1000", LOG_LEVEL: "warn" }),
    });
    try {
      assert.deepEqual(await answerTo(impatient, "slow"), [504, "upstream_timeout"]);
    } finally {
      await impatient.stop();
    }
  });
});

Deno.test("an upstream that accepts no connection times out precisely", async () => {
  // A listener that is never accepted: the kernel completes the handshake, nobody answers.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const silentUrl = `http://127.0.0.1:${(silent.addr as Deno.NetAddr).port}`;
  await withFake({}, async (fake, dataDir) => {
    const server = await spawnServer({
      env: processEnv(fake.url, dataDir, {
        JIMENG_BASE_URL: silentUrl,
        JIMENG_TIMEOUT_MS: "500",
        LOG_LEVEL: "warn",
      }),
    });
    try {
      const answer = await post(server, "/v1/images/generations", { prompt: "nobody home" });
      assert.equal(answer.status, 504, JSON.stringify(answer.json));
      assert.equal((answer.json as ErrorBody).error.code, "upstream_timeout");
      // Bounded by the call timeout and its retries (about 2 s here), not by the upstream; the
      // margin is wide because a busy machine adds its own delays to each attempt.
      assert.ok(answer.ms < 20_000, `bounded by the call timeout and retries (${answer.ms} ms)`);
    } finally {
      await server.stop();
      silent.close();
    }
  });
});

Deno.test("kill -9 under load: the database is intact, answered requests are recorded, jobs resume", async () => {
  await withFake({ imageLatencyMs: 200, videoLatencyMs: 1500 }, async (fake, dataDir) => {
    const env = processEnv(fake.url, dataDir, { LOG_LEVEL: "warn" });
    const first = await spawnServer({ env });
    const jobIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      jobIds.push((await post(first, "/v1/videos", { prompt: `kept job ${i}` })).json.id);
    }
    const answered: string[] = [];
    let stop = false;
    const load = Array.from({ length: 16 }, async (_, worker) => {
      for (let i = 0; !stop; i++) {
        try {
          const answer = await post(first, "/v1/images/generations", {
            prompt: `load ${worker}-${i}`,
          });
          if (answer.requestId) answered.push(answer.requestId);
        } catch {
          return; // the connection died with the server
        }
      }
    });
    // Killed under load: once a good number of requests were answered (and more are in flight).
    await waitFor(() => answered.length > 10, "requests answered before the kill", 60_000);
    first.kill("SIGKILL");
    stop = true;
    await Promise.all(load);
    await first.exited();
    assert.ok(answered.length > 10, `requests were answered before the kill (${answered.length})`);

    const db = new DatabaseSync(`${dataDir}/jimeng.db`);
    try {
      const integrity = db.prepare("PRAGMA integrity_check").get() as { integrity_check: string };
      assert.equal(integrity.integrity_check, "ok");
      const stored = new Set(
        (db.prepare("SELECT request_id FROM requests").all() as { request_id: string }[])
          .map((row) => row.request_id),
      );
      const missing = answered.filter((id) => !stored.has(id));
      assert.deepEqual(missing, [], "every answered request is in the requests table");
    } finally {
      db.close();
    }

    const second = await spawnServer({ env });
    try {
      const done = await waitForJobs(second, jobIds, 60_000);
      assert.equal(done.size, 5);
      assert.ok(
        [...done.values()].every((job) => job.status === "completed"),
        JSON.stringify([...done]),
      );
      assertOneRecordPerPrompt(fake);
    } finally {
      await second.stop();
    }
  });
});

Deno.test("SIGTERM under load finishes in-flight requests, keeps jobs queued and closes SQLite", async () => {
  await withFake({ imageLatencyMs: 800, videoLatencyMs: 60_000 }, async (fake, dataDir) => {
    const env = processEnv(fake.url, dataDir, { LOG_LEVEL: "info" });
    const server = await spawnServer({ env });
    const job = (await post(server, "/v1/videos", { prompt: "outlives the server" })).json.id;
    const inFlight = Array.from(
      { length: 10 },
      (_, i) => post(server, "/v1/images/generations", { prompt: `in flight ${i}` }),
    );
    // Every one of them reached the upstream: in flight in the server when the signal comes.
    const submitted = () => fake.records().filter((r) => r.prompt.startsWith("in flight")).length;
    await waitFor(() => submitted() === 10, "the ten submits", 60_000);
    const started = Date.now();
    server.kill("SIGTERM");
    const answers = await Promise.all(inFlight);
    const status = await server.exited();
    assert.equal(status.code, 0);
    // The server waits at most its 10 s grace for in-flight work (these need about 1 s); the
    // margin is for a busy machine, the bound for a server that would wait for ever.
    assert.ok(Date.now() - started < 30_000, "within the grace period");
    assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200), "in-flight work finished");
    await assert.rejects(() => fetch(`${server.url}/ping`), "no longer accepting");
    const db = new DatabaseSync(`${dataDir}/jimeng.db`);
    try {
      assert.equal(
        (db.prepare("PRAGMA integrity_check").get() as Record<string, string>).integrity_check,
        "ok",
      );
      const row = db.prepare("SELECT status FROM jobs WHERE id = ?").get(job) as { status: string };
      assert.ok(row.status === "queued" || row.status === "in_progress", row.status);
    } finally {
      db.close();
    }
    // Closed cleanly: no WAL left to replay.
    const wal = await Deno.stat(`${dataDir}/jimeng.db-wal`).then((s) => s.size).catch(() => 0);
    assert.equal(wal, 0);
  });
});

Deno.test("an unusable DATA_DIR degrades to memory, says so, and still generates", async () => {
  await withFake({}, async (fake, dataDir) => {
    const blocked = `${dataDir}/a-file`;
    await Deno.writeTextFile(blocked, "not a directory");
    const server = await spawnServer({
      env: processEnv(fake.url, `${blocked}/data`, {
        LOG_LEVEL: "info",
        ADMIN_USER: "admin",
        ADMIN_PASSWORD: "degraded mode pw",
      }),
    });
    try {
      await server.waitForLine(/is not usable.*in-memory database/);
      const answer = await post(server, "/v1/images/generations", { prompt: "still works" });
      assert.equal(answer.status, 200, JSON.stringify(answer.json));
    } finally {
      await server.stop();
    }
  });
});
