import assert from "node:assert/strict";
import { type APIError } from "openai";
import { MIN_SESSIONID_LENGTH, sessionTokenProblem } from "../../src/accounts/token_rule.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

const SID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/** Tokens and whether they may be a sessionid: one table for the Bearer and the console. */
const CASES: [string, boolean][] = [
  [SID, true],
  [SID.toUpperCase(), true],
  [`us-${SID}`, true],
  [`HK-${SID}`, true],
  ["Zq7StoredSessionTokenAbc123xyz", true],
  ["a".repeat(MIN_SESSIONID_LENGTH), true],
  ["us-", false],
  ["sg-", false],
  [`us-us-${SID}`, false],
  [`jp-SG-${SID}`, false],
  ["x", false],
  ["a".repeat(MIN_SESSIONID_LENGTH - 1), false],
  [`us-${"a".repeat(MIN_SESSIONID_LENGTH - 1)}`, false],
  [`SK-${"A".repeat(43)}`, false],
  [`Sk-${SID}`, false],
  [`us-sk-${SID}`, false],
  [`${SID}.${SID}`, false],
  [`sessionid%3D${SID}`, false],
  ["a".repeat(257), false],
];

Deno.test("sessionTokenProblem() accepts sessionid shapes and refuses junk and key shapes", () => {
  for (const [token, ok] of CASES) {
    assert.equal(sessionTokenProblem(token) === null, ok, token);
  }
});

Deno.test("Bearer values the rule refuses are 401 with the SDK and never reach the upstream", async () => {
  const stack = await startStack({ env: { LOG_LEVEL: "warn" } });
  try {
    stack.fake.resetStats();
    for (const [token, ok] of CASES) {
      if (ok) continue;
      for (const bearer of [token, `${GOOD_SESSION},${token}`]) {
        await assert.rejects(
          stack.openai(bearer).images.generate({ prompt: "a guess" }),
          (error: APIError) => {
            assert.equal(error.status, 401, bearer);
            assert.equal(error.code, "invalid_api_key");
            assert.ok(!error.message.includes(token) || token.length < 6, error.message);
            return true;
          },
        );
      }
    }
    // Not one call went out: no sessionid-shaped junk, and no key, was forwarded.
    assert.deepEqual(stack.fake.stats.calls, {});
    // Both points name which sessionid is wrong, masked.
    await assert.rejects(
      stack.openai(`${GOOD_SESSION},us-us-${SID}`).images.generate({ prompt: "x" }),
      /sessionid 2 of 2 \(us-u…e8f9\) has two region prefixes/,
    );
  } finally {
    await stack.close();
  }
});

Deno.test("a key with its prefix in another case is refused as a key, never sent upstream", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, LOG_LEVEL: "warn" } });
  try {
    const admin = await loginAdmin(stack);
    const { key } = await admin.json<{ key: string }>("POST", "/keys", { name: "k" }, 201);
    stack.fake.resetStats();
    for (const mangled of [`SK-${key.slice(3)}`, `Sk-${key.slice(3)}`, `us-${key}`]) {
      await assert.rejects(
        stack.openai(mangled).images.generate({ prompt: "x" }),
        (error: APIError) => error.status === 401 && error.code === "invalid_api_key",
      );
    }
    assert.deepEqual(stack.fake.stats.calls, {});
  } finally {
    await stack.close();
  }
});

Deno.test("the console's Add accounts and the Bearer header agree on every token", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, LOG_LEVEL: "warn", DAILY_CLAIM: "false" },
  });
  try {
    const admin = await loginAdmin(stack);
    const response = await admin.call("POST", "/accounts", {
      sessionids: CASES.map(([token]) => token),
    });
    const answer = await response.json();
    const refusedLines = new Set(
      (answer.invalid as { line: number }[]).map((refusal) => refusal.line),
    );
    CASES.forEach(([token, ok], i) => {
      assert.equal(!refusedLines.has(i + 1), ok, `console: ${token}`);
    });
    assert.equal(answer.added.length, CASES.filter(([, ok]) => ok).length);
  } finally {
    await stack.close();
  }
});
