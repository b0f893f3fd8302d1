/**
 * A whole session of use against a real server process — generations with
 * sessionids and with a key, failures, the token routes, every console page's
 * API — and then a search for the secrets in everything that left the
 * process: its output, the database files, and every answer.
 * @module
 */
import assert from "node:assert/strict";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { processEnv, type ServerProcess, spawnServer } from "../helpers/server_process.ts";
import { waitFor } from "../helpers/wait.ts";

const STORED = "5e7a3c9b1d2f4a6e8c0b7d9f1a3c5e7b";
const STORED_HK = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d";
const BEARER = "c0ffee00c0ffee00c0ffee00c0ffee00";
const EXPIRED = "deadbeefdeadbeefdeadbeefdeadbeef";
const CHECKED = "0badc0de0badc0de0badc0de0badc0de";
const ADDED = "feedface1234feedface1234feedface";
const ADMIN_PASSWORD = "a very secret console pass";
/** A password typed into the user name field by mistake. */
const TYPED_AS_NAME = "my-other-Passw0rd!";
const SECRET_KEY = "an encryption key only the operator knows";

Deno.test("no secret leaves the process: not in its output, its database or any answer", async () => {
  const fake = await startFakeUpstream({ videoLatencyMs: 100 });
  for (const sid of [STORED, BEARER, CHECKED, ADDED]) fake.addSession(sid, { credits: 500 });
  fake.addSession(STORED_HK, { credits: 500, region: "hk" });
  fake.addSession(EXPIRED, { expired: true });
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-secrets-" });
  const answers: string[] = [];
  let keySecret = "";
  let csrf = "";
  let server: ServerProcess | undefined;
  try {
    server = await spawnServer({
      env: processEnv(fake.url, dataDir, {
        LOG_LEVEL: "debug",
        JIMENG_SESSIONS: `${STORED},hk-${STORED_HK}`,
        ADMIN_USER: "admin",
        ADMIN_PASSWORD,
        SECRET_KEY,
        METRICS_TOKEN: "metrics-token-secret-123",
      }),
    });
    const url = server.url;
    const call = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${url}${path}`, init);
      const text = await response.text();
      answers.push(
        `${path} ${[...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${text}`,
      );
      return { status: response.status, text };
    };
    const api = (path: string, token: string, body?: unknown) =>
      call(path, {
        method: body === undefined ? "GET" : "POST",
        headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    // The console: a slip of the fingers, then log in, add an account, create a key, read every
    // page's data.
    const slip = await call("/api/admin/login", {
      method: "POST",
      headers: { "content-type": "application/json", origin: url },
      body: JSON.stringify({ username: TYPED_AS_NAME, password: ADMIN_PASSWORD }),
    });
    assert.equal(slip.status, 401);
    const login = await fetch(`${url}/api/admin/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: url },
      body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
    });
    const cookie = login.headers.get("set-cookie")!.split(";")[0];
    const { csrfToken } = await login.json();
    csrf = csrfToken;
    const admin = (method: string, path: string, body?: unknown) =>
      call(`/api/admin${path}`, {
        method,
        headers: {
          cookie,
          origin: url,
          "x-csrf-token": csrfToken,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    assert.equal(
      (await admin("POST", "/accounts", { sessionids: `${ADDED}\n${STORED}` })).status,
      201,
    );
    const created = await admin("POST", "/keys", { name: "secret test" });
    keySecret = JSON.parse(created.text).key;
    assert.match(keySecret, /^sk-/);
    answers.pop(); // The one answer that must show the key: its creation.

    // Generations and failures, with sessionids and with the key.
    assert.equal((await api("/v1/images/generations", BEARER, { prompt: "a fox" })).status, 200);
    assert.equal(
      (await api("/v1/images/generations", keySecret, { prompt: "a key fox" })).status,
      200,
    );
    assert.equal((await api("/v1/images/generations", EXPIRED, { prompt: "old" })).status, 401);
    assert.equal(
      (await api("/v1/images/generations", BEARER, { prompt: "x", size: BEARER })).status,
      400,
    );
    assert.equal(
      (await api("/v1/images/generations", BEARER, { prompt: "x", model: STORED })).status,
      404,
    );
    await api("/v1/chat/completions", `${BEARER},${EXPIRED}`, {
      model: "jimeng-image-4.0",
      stream: true,
      messages: [{ role: "user", content: "streamed" }],
    });
    const video = JSON.parse(
      (await api("/v1/videos", BEARER, { prompt: "a clip", seconds: "5" })).text,
    );
    // Its whole life is in the output checked below.
    await waitFor(
      async () => {
        const job = JSON.parse((await api(`/v1/videos/${video.id}`, BEARER)).text);
        return job.status === "completed" || job.status === "failed";
      },
      "the video to end",
      60_000,
    );
    await api("/token/check", BEARER, { token: CHECKED });
    await api("/token/points", `${BEARER},${EXPIRED}`, {});
    await api("/v1/models", BEARER);

    const accounts = JSON.parse((await admin("GET", "/accounts")).text).data as { id: number }[];
    for (const account of accounts) {
      await admin("POST", `/accounts/${account.id}/check`);
      await admin("POST", `/accounts/${account.id}/claim`);
    }
    for (
      const path of [
        "/session",
        "/keys",
        "/stats?range=24h",
        "/logs?limit=1000",
        "/media",
        "/jobs",
        "/config",
      ]
    ) {
      assert.equal((await admin("GET", path)).status, 200, path);
    }
    await call("/metrics", { headers: { Authorization: "Bearer metrics-token-secret-123" } });
    answers.push(await fetch(`${url}/`).then((r) => r.text()));
  } finally {
    await server?.stop();
    await fake.close();
  }
  try {
    const output = server!.lines().join("\n");
    const files: string[] = [];
    for (const name of ["jimeng.db", "jimeng.db-wal", "jimeng.db-shm"]) {
      const bytes = await Deno.readFile(`${dataDir}/${name}`).catch(() => new Uint8Array());
      files.push(new TextDecoder("latin1").decode(bytes));
    }
    const secrets = {
      STORED,
      STORED_HK,
      BEARER,
      EXPIRED,
      CHECKED,
      ADDED,
      ADMIN_PASSWORD,
      SECRET_KEY,
      keySecret,
      keySecretBody: keySecret.slice(3),
      metricsToken: "metrics-token-secret-123",
      TYPED_AS_NAME,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(!output.includes(secret), `${name} is in the server's output`);
      assert.ok(!files.some((text) => text.includes(secret)), `${name} is in the database files`);
      const leak = answers.find((text) => text.includes(secret));
      assert.equal(leak, undefined, `${name} is in an answer: ${leak?.slice(0, 300)}`);
    }
    // The console's CSRF token is in its own answers (login, session) only: never stored or logged.
    assert.ok(!output.includes(csrf), "the CSRF token is in the server's output");
    assert.ok(
      !files.some((text) => text.includes(csrf)),
      "the CSRF token is in the database files",
    );
    assert.ok(answers.length > 30, "the session made many calls");
    assert.ok(output.includes("POST /v1/images/generations 200"), "the output was captured");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
