import assert from "node:assert/strict";
import { KEY_FILE } from "../../src/accounts/secrets.ts";
import { listAccounts } from "../../src/store/accounts.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { startStack } from "../helpers/stack.ts";

const STORED = "Zq8StoredSecretSessionZq8Stored01";
const PASTED = "Pa5tedSecretSessionPa5tedSecret02";
const BEARER = "Be4rerSecretSessionBe4rerSecret03";

function contains(haystack: Uint8Array, needle: string): boolean {
  const bytes = new TextEncoder().encode(needle);
  outer: for (let i = 0; i <= haystack.length - bytes.length; i++) {
    for (let j = 0; j < bytes.length; j++) if (haystack[i + j] !== bytes[j]) continue outer;
    return true;
  }
  return false;
}

async function readIfExists(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Uint8Array();
    throw error;
  }
}

Deno.test("sessionids and key secrets are not in the database file, its WAL or the logs", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, JIMENG_SESSIONS: STORED },
    overrides: { creditRefreshMs: 0 },
  });
  try {
    for (const id of [STORED, PASTED, BEARER]) stack.fake.addSession(id);
    const admin = await loginAdmin(stack);
    const added = await admin.call("POST", "/accounts", { sessionids: `us-${PASTED}` });
    assert.equal(added.status, 201);
    const addedText = await added.text();
    stack.fake.addSession(PASTED, { region: "us" });
    const created = await admin.json<{ key: string }>("POST", "/keys", { name: "rest" }, 201);
    await stack.server.scheduler.idle();
    await stack.openai(created.key).images.generate({ prompt: "stored accounts", n: 2 });
    await stack.openai(BEARER).images.generate({ prompt: "bearer account" });
    await stack.server.deps.credits.idle();
    const listed = await (await admin.call("GET", "/accounts")).text();

    const rows = listAccounts(stack.server.db);
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.ok(row.secret.length >= 1 + 12 + STORED.length + 16);
      assert.match(row.label, /^(?:(?:us|hk|jp|sg)-)?.{4}….{4}$/);
    }
    const dataDir = stack.server.deps.config.dataDir;
    const files = [
      await Deno.readFile(`${dataDir}/jimeng.db`),
      await readIfExists(`${dataDir}/jimeng.db-wal`),
    ];
    assert.ok(files[0].length + files[1].length > 4096);
    // The WAL holds the recent writes: the account rows are in there or in the main file.
    assert.ok(files.some((bytes) => contains(bytes, rows[0].label)));
    for (const secret of [STORED, PASTED, BEARER, created.key]) {
      for (const bytes of files) assert.ok(!contains(bytes, secret), "a secret is in the db");
      for (const line of stack.logs) assert.ok(!line.includes(secret), `leaked in ${line}`);
      for (const text of [addedText, listed]) assert.ok(!text.includes(secret));
    }
    const key = await Deno.stat(`${dataDir}/${KEY_FILE}`);
    assert.equal(key.mode! & 0o777, 0o600);
  } finally {
    await stack.close();
  }
});

Deno.test("with SECRET_KEY no key file is written and another key cannot open the accounts", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-secret-" });
  try {
    const env = { ...ADMIN_ENV, DATA_DIR: dataDir, JIMENG_SESSIONS: STORED, DAILY_CLAIM: "false" };
    const first = await startStack({
      env: { ...env, SECRET_KEY: "first secret key, long enough" },
    });
    await first.close();
    await assert.rejects(Deno.stat(`${dataDir}/${KEY_FILE}`), Deno.errors.NotFound);

    const second = await startStack({
      env: {
        ...env,
        JIMENG_SESSIONS: "",
        SECRET_KEY: "another secret key, long too",
        ACCOUNT_CHECK_INTERVAL_MIN: "0",
      },
    });
    try {
      assert.equal(second.server.accounts.list().length, 0);
      assert.ok(second.logs.some((l) => l.includes("cannot be decrypted")));
      // Adding the sessionid again seals it with the current key.
      second.server.accounts.add([STORED]);
      assert.equal(second.server.accounts.list().length, 1);
    } finally {
      await second.close();
    }
    const third = await startStack({
      env: { ...env, JIMENG_SESSIONS: "", SECRET_KEY: "another secret key, long too" },
    });
    try {
      assert.equal(third.server.accounts.list().length, 1);
      assert.equal(third.server.accounts.list()[0].session.token, STORED);
    } finally {
      await third.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
