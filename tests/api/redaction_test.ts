import assert from "node:assert/strict";
import { newAccount } from "../../src/accounts/pool.ts";
import { queryLogs } from "../../src/store/logs.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

/** An operator account whose sessionid is not hex (only registration can mask it). */
const STORED = "Zq7StoredSessionTokenAbc123xyz";
/** An expired sessionid, also not hex. */
const EXPIRED = "Expired_Session_Token_qwerty987";
/** A sessionid only ever sent to /token/check. */
const CHECKED = "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4";

const SECRETS = [GOOD_SESSION, STORED, EXPIRED, CHECKED];

Deno.test("sessionids never reach stdout, the log table or an error message", async () => {
  const stack = await startStack();
  const bodies: string[] = [];
  const call = async (path: string, token: string, body: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method: "POST",
      headers: { "Authorization": `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, text };
  };
  try {
    stack.fake.addSession(STORED);
    stack.fake.addSession(EXPIRED, { expired: true });
    stack.server.deps.pool.putStored(newAccount(STORED, "stored", 1));

    // Successes.
    const images = "/v1/images/generations";
    assert.equal((await call(images, GOOD_SESSION, { prompt: "a fox" })).status, 200);
    assert.equal(
      (await call(images, STORED, { prompt: "a fox", response_format: "b64_json" })).status,
      200,
    );
    const chat = await call("/v1/chat/completions", STORED, {
      messages: [{ role: "user", content: "a hat" }],
    });
    assert.equal(chat.status, 200);

    // An expired session, answered and streamed.
    const expired = await call(images, EXPIRED, { prompt: "a fox" });
    assert.equal(expired.status, 401);
    const stream = await call("/v1/chat/completions", EXPIRED, {
      stream: true,
      messages: [{ role: "user", content: "a hat" }],
    });
    assert.match(stream.text, /session_expired/);

    // Bad input that echoes the token back.
    for (
      const [field, status] of [
        ["size", 400],
        ["ratio", 400],
        ["response_format", 400],
        ["model", 404],
      ] as const
    ) {
      for (const token of [GOOD_SESSION, STORED]) {
        const answer = await call(images, GOOD_SESSION, { prompt: "x", [field]: token });
        assert.equal(answer.status, status, answer.text);
      }
    }
    const badChat = await call("/v1/chat/completions", GOOD_SESSION, {
      model: STORED,
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(badChat.status, 404);

    // Upstream failures.
    stack.fake.knobs.faults = { rate: 1, kinds: ["5xx"], pathPattern: /aigc_draft\/generate/ };
    const upstream = await call(images, STORED, { prompt: "a fox" });
    assert.equal(upstream.status, 502, upstream.text);
    stack.fake.knobs.faults = { rate: 0, kinds: [] };

    // The seed's token routes.
    const checked = await call("/token/check", GOOD_SESSION, { token: CHECKED });
    assert.deepEqual(JSON.parse(checked.text), { live: false });
    await call("/token/points", `${GOOD_SESSION},${EXPIRED}`, {});

    // Code that logs secrets in fields, as a careless module might.
    stack.server.deps.log.warn(`Bearer ${GOOD_SESSION} failed`, {
      cookie: `sessionid=${STORED}; sid_tt=${STORED}`,
      nested: { token: EXPIRED, list: [CHECKED] },
      error: new Error(`upstream refused ${STORED}`),
    });

    await stack.server.deps.media.idle();
    await stack.server.deps.credits.idle();
    stack.server.deps.logs.flush();
    const stored = queryLogs(stack.server.db, { limit: 1000 });
    assert.ok(stored.length > 10, "the log table has the run's records");
    assert.ok(stored.some((entry) => entry.message.includes("session expired")));
    assert.ok(stack.logs.length > 10);
    assert.ok(bodies.some((body) => body.includes("does not exist")));

    const places = {
      stdout: stack.logs.join("\n"),
      table: stored.map((entry) => JSON.stringify(entry)).join("\n"),
      answers: bodies.join("\n"),
    };
    for (const [place, text] of Object.entries(places)) {
      for (const secret of SECRETS) {
        assert.ok(!text.includes(secret), `${place} contains ${secret.slice(0, 6)}…`);
      }
    }
  } finally {
    await stack.close();
  }
});
