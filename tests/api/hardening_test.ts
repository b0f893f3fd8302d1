/**
 * Small hardening cases found by the outside attack rounds (issue 16.17):
 * private data files, a key's rate window across a rename, Idempotency-Key
 * reuse with another body, Dreamina account checks.
 * @module
 */
import assert from "node:assert/strict";
import { type APIError } from "openai";
import { KEY_FILE } from "../../src/accounts/secrets.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

async function modeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mode! & 0o777;
}

Deno.test({
  name: "the data files are 0600 and their directories 0700; wider ones are narrowed at start",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "jimeng-modes-" });
    const dataDir = `${root}/data`;
    try {
      const env = { DATA_DIR: dataDir, LOG_LEVEL: "info" };
      const first = await startStack({ env });
      try {
        await first.openai().images.generate({ prompt: "a private fox" });
        await first.server.deps.media.idle();
      } finally {
        await first.close();
      }
      const media = [...Deno.readDirSync(`${dataDir}/media`)].map((e) =>
        `${dataDir}/media/${e.name}`
      );
      assert.equal(media.length, 1, "the image was cached");
      const files = [`${dataDir}/jimeng.db`, `${dataDir}/${KEY_FILE}`, ...media];
      const second = await startStack({ env });
      try {
        // While it runs, SQLite's -wal and -shm exist: they take the database's mode.
        for (const path of [`${dataDir}/jimeng.db-wal`, `${dataDir}/jimeng.db-shm`, ...files]) {
          assert.equal((await modeOf(path)).toString(8), "600", path);
        }
        for (const path of [dataDir, `${dataDir}/media`]) {
          assert.equal((await modeOf(path)).toString(8), "700", path);
        }
      } finally {
        await second.close();
      }

      // An older version left them open to everyone: the next start narrows them.
      for (const path of files) await Deno.chmod(path, 0o644);
      for (const path of [dataDir, `${dataDir}/media`]) await Deno.chmod(path, 0o755);
      const third = await startStack({ env });
      try {
        for (const path of [`${dataDir}/jimeng.db`, `${dataDir}/${KEY_FILE}`]) {
          assert.equal((await modeOf(path)).toString(8), "600", path);
        }
        for (const path of [dataDir, `${dataDir}/media`]) {
          assert.equal((await modeOf(path)).toString(8), "700", path);
        }
        assert.ok(third.logs.some((l) => l.includes("jimeng.db was open to other users")));
      } finally {
        await third.close();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("renaming a key (or changing its limits) keeps its rate window", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, JIMENG_SESSIONS: GOOD_SESSION, DAILY_CLAIM: "false", LOG_LEVEL: "warn" },
  });
  try {
    const admin = await loginAdmin(stack);
    const created = await admin.json<{ id: number; key: string }>("POST", "/keys", {
      name: "two a minute",
      ratePerMinute: 2,
    }, 201);
    const client = stack.openai(created.key);
    for (let i = 0; i < 2; i++) await client.images.generate({ prompt: `fox ${i}` });
    for (const patch of [{ name: "renamed" }, { quotaPerDay: 1000 }, { ratePerMinute: 2 }]) {
      await admin.json("PATCH", `/keys/${created.id}`, patch);
      await assert.rejects(
        client.images.generate({ prompt: "one more" }),
        (error: APIError) => error.status === 429 && error.code === "rate_limit_exceeded",
        JSON.stringify(patch),
      );
    }
  } finally {
    await stack.close();
  }
});
