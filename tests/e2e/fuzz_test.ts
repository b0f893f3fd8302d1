import assert from "node:assert/strict";
import type { ResolvedAddress } from "../../src/net/safe_fetch.ts";
import { countMedia } from "../../src/store/media.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { type FuzzCase, generateAdminCase, generateCase } from "./fuzz_cases.ts";
import { mulberry32 } from "../helpers/prng.ts";
import { startCanary } from "../helpers/canary.ts";
import { type Outcome, outcomeOf, problemWith } from "../helpers/api_error.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20261202);
const CASES = Number(Deno.env.get("FUZZ_CASES") ?? 10_000);
const CONCURRENCY = 8;

/** Every name resolves to a private address: nothing may be fetched, no DNS leaves the machine. */
const privateResolver = (): Promise<ResolvedAddress[]> =>
  Promise.resolve([{ address: "10.11.12.13", family: 4 }]);

async function send(base: string, fuzz: FuzzCase): Promise<Outcome> {
  const response = await fetch(`${base}${fuzz.path}`, {
    method: fuzz.method,
    headers: fuzz.headers,
    body: fuzz.body,
    redirect: "manual",
  });
  return await outcomeOf(response);
}

Deno.test(`${CASES} malformed and hostile requests get well-formed 4xx errors (seed ${SEED})`, async () => {
  const canary = startCanary();
  const stack = await startStack({
    env: { MAX_BODY_MB: "1", LOG_LEVEL: "warn" },
    overrides: { resolver: privateResolver },
  });
  try {
    const random = mulberry32(SEED);
    const options = { auth: GOOD_SESSION, oversizedBytes: 1_100_000, canaryUrl: canary.url };
    const cases = Array.from({ length: CASES }, () => generateCase(random, options));
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const fuzz = cases[index];
        const outcome = await send(stack.url, fuzz);
        const problem = problemWith(outcome);
        if (problem && failures.length < 20) {
          failures.push(
            `#${index} ${fuzz.label} (${fuzz.method} ${fuzz.path.slice(0, 60)}): ${problem}: ${
              outcome.text.slice(0, 200)
            }`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    assert.deepEqual(failures, [], `seed ${SEED}:\n${failures.join("\n")}`);

    const ping = await fetch(`${stack.url}/ping`);
    assert.equal(await ping.text(), "pong", "the server still answers");
    assert.equal(canary.connections(), 0, "no reference URL was ever fetched");
    assert.equal(stack.fake.records().length, 0, "no generation was submitted");
    assert.equal(stack.fake.stats.uploads, 0, "no image was uploaded");
    const jobs = stack.server.deps.jobs.counts();
    assert.deepEqual(jobs, { queued: 0, in_progress: 0, completed: 0, failed: 0 }, "no job");
    assert.equal(countMedia(stack.server.db, {}), 0, "no media row");
  } finally {
    await stack.close();
    canary.close();
  }
});

Deno.test(`hostile calls to the console's API get JSON 4xx errors and change nothing (seed ${SEED})`, async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, MAX_BODY_MB: "1", LOG_LEVEL: "warn" } });
  try {
    const admin = await loginAdmin(stack);
    const random = mulberry32(SEED + 1);
    const options = { cookie: admin.cookie, csrfToken: admin.csrfToken, origin: stack.url };
    const failures: string[] = [];
    for (let i = 0; i < Math.min(CASES, 2000); i++) {
      const fuzz = generateAdminCase(random, options);
      const outcome = await send(stack.url, fuzz);
      const problem = problemWith(outcome);
      if (problem && failures.length < 20) {
        failures.push(
          `#${i} ${fuzz.label} (${fuzz.method} ${fuzz.path}): ${problem}: ${
            outcome.text.slice(0, 200)
          }`,
        );
      }
    }
    assert.deepEqual(failures, [], `seed ${SEED}:\n${failures.join("\n")}`);
    // The session survived (no logout or password change got through), and nothing was created.
    const session = await admin.call("GET", "/session");
    assert.equal(session.status, 200);
    await session.body?.cancel();
    const keys = await admin.json<{ data: unknown[] }>("GET", "/keys");
    assert.equal(keys.data.length, 0, "no key was created");
    const accounts = await admin.json<{ data: unknown[] }>("GET", "/accounts");
    assert.equal(accounts.data.length, 0, "no account was added");
  } finally {
    await stack.close();
  }
});
