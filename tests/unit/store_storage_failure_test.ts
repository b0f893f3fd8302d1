import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openDatabase, storageFailure } from "../../src/store/db.ts";

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  assert.fail("did not throw");
}

Deno.test("storageFailure() tells a full or read-only database from a bug in the SQL", async () => {
  const db = openDatabase(":memory:");
  const dir = await Deno.makeTempDir();
  try {
    db.exec("CREATE TABLE t (x TEXT)");
    db.exec("PRAGMA max_page_count = 2");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    const full = thrown(() => {
      for (let i = 0; i < 100; i++) insert.run("x".repeat(3000));
    });
    assert.equal(storageFailure(full), "full");

    const path = join(dir, "ro.db");
    new DatabaseSync(path).close();
    const readOnly = new DatabaseSync(path, { readOnly: true });
    try {
      assert.equal(storageFailure(thrown(() => readOnly.exec("CREATE TABLE t (x)"))), "read_only");
    } finally {
      readOnly.close();
    }

    assert.equal(storageFailure(thrown(() => db.exec("SELEC 1"))), undefined);
    assert.equal(
      storageFailure(thrown(() => db.exec("INSERT INTO missing VALUES (1)"))),
      undefined,
    );
    assert.equal(storageFailure(new Error("database or disk is full")), undefined);
    assert.equal(storageFailure("full"), undefined);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});
