import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type FakeUpstream, startFakeUpstream } from "../fake_upstream/server.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";
import { processEnv, type ServerProcess, spawnServer } from "../helpers/server_process.ts";

const RUN_MS = 3500;
const MODEL_KEY = "high_aes_general_v50";

/** One image generation; returns the fake's record id of it. */
async function generate(server: ServerProcess, prompt: string): Promise<string> {
  const response = await fetch(`${server.url}/v1/images/generations`, {
    method: "POST",
    headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "jimeng-image-5.0-lite", prompt, n: 1 }),
  });
  const json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  const match = /\/cdn\/image\/(\d+)\//.exec(json.data[0].url);
  assert.ok(match, json.data[0].url);
  return match[1];
}

/** The first generation of a server started on `dataDir`: how often its record was polled. */
async function firstGeneration(fake: FakeUpstream, dataDir: string): Promise<number> {
  const server = await spawnServer({
    env: processEnv(fake.url, dataDir, { MEDIA_URLS: "upstream" }),
  });
  try {
    const id = await generate(server, `first after a start ${dataDir}`);
    return fake.stats.historyIdsPolled[id];
  } finally {
    await server.stop();
  }
}

function storedRunMs(dataDir: string): number | undefined {
  const db = new DatabaseSync(`${dataDir}/jimeng.db`, { readOnly: true });
  try {
    const row = db.prepare("SELECT run_ms FROM poll_estimates WHERE model_key = ?").get(
      MODEL_KEY,
    ) as { run_ms: number } | undefined;
    return row?.run_ms;
  } finally {
    db.close();
  }
}

Deno.test("a restarted server polls its first generation as the learned run time says", async () => {
  const fake = await startFakeUpstream({ imageLatencyMs: RUN_MS });
  fake.addSession(GOOD_SESSION, { credits: 1000 });
  const learnedDir = await Deno.makeTempDir({ prefix: "jimeng-learned-" });
  const freshDir = await Deno.makeTempDir({ prefix: "jimeng-fresh-" });
  try {
    // A first life learns the model's run time from two generations.
    const first = await spawnServer({
      env: processEnv(fake.url, learnedDir, { MEDIA_URLS: "upstream" }),
    });
    try {
      await Promise.all([generate(first, "teach one"), generate(first, "teach two")]);
    } finally {
      await first.stop();
    }
    const stored = storedRunMs(learnedDir);
    assert.ok(stored !== undefined && Math.abs(stored - RUN_MS) <= 400, `stored ${stored}`);

    // The next life starts from it: a probe, one jump and a few dense polls.
    const restarted = await firstGeneration(fake, learnedDir);
    assert.ok(restarted <= 6, `polls after a restart: ${restarted}`);
    // Without it (a fresh database), the first generation has to be searched for.
    const cold = await firstGeneration(fake, freshDir);
    assert.ok(cold > restarted + 2, `polls cold ${cold}, after a restart ${restarted}`);
  } finally {
    await fake.close();
    await Deno.remove(learnedDir, { recursive: true });
    await Deno.remove(freshDir, { recursive: true });
  }
});
