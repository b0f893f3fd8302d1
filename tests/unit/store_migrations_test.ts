import assert from "node:assert/strict";
import { type Db, openDatabase } from "../../src/store/db.ts";
import { latestVersion, migrate, schemaVersion } from "../../src/store/migrate.ts";
import { MIGRATIONS } from "../../src/store/migrations/all.ts";
import { usageBy, usageSeries, usageTotal } from "../../src/store/request_hours.ts";
import {
  completeRequestCredits,
  insertRequest,
  recentRequests,
  type RequestRecord,
} from "../../src/store/requests.ts";

/** SQLite's plan for `sql`, its steps joined by "; ". */
function queryPlan(db: Db, sql: string): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
    .map((r) => r.detail).join("; ");
}

function tables(db: Db): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all() as { name: string }[];
  return rows.map((r) => r.name);
}

function columns(db: Db, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

function request(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    createdAt: 1_700_000_000_000,
    requestId: crypto.randomUUID(),
    endpoint: "/v1/images/generations",
    model: "jimeng-image-4.5",
    kind: "image",
    n: 1,
    status: "ok",
    httpStatus: 200,
    errorCode: null,
    accountKey: "a".repeat(32),
    accountLabel: "abcd…wxyz",
    creditsSpent: 2,
    creditsRemaining: 98,
    latencyMs: 1200,
    historyIds: "1",
    apiKeyId: null,
    ...overrides,
  };
}

Deno.test("migrate() builds every table on an empty database", () => {
  const db = openDatabase(":memory:");
  try {
    assert.deepEqual(migrate(db), MIGRATIONS.map((m) => m.version));
    assert.equal(schemaVersion(db), latestVersion());
    for (
      const table of [
        "requests",
        "request_hour_groups",
        "accounts",
        "api_keys",
        "admin_users",
        "jobs",
        "job_inputs",
        "job_references",
        "media",
        "logs",
      ]
    ) {
      assert.ok(tables(db).includes(table), table);
    }
    assert.ok(tables(db).includes("admin_sessions"));
    assert.ok(tables(db).includes("login_failures"));
    assert.ok(columns(db, "requests").includes("api_key_id"));
    const strict = db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main'")
      .all() as { name: string; strict: number }[];
    for (const { name, strict: isStrict } of strict) {
      if (!name.startsWith("sqlite_")) assert.equal(isStrict, 1, `${name} is STRICT`);
    }
    assert.deepEqual(migrate(db), []);
  } finally {
    db.close();
  }
});

Deno.test("migrate() upgrades a version-10 database and keeps its rows", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db, MIGRATIONS.filter((m) => m.version === 10));
    assert.equal(schemaVersion(db), 10);
    db.prepare(
      `INSERT INTO requests (created_at, request_id, endpoint, kind, n, status, http_status, latency_ms)
       VALUES (1, 'old', '/v1/images/generations', 'image', 1, 'ok', 200, 5)`,
    ).run();
    assert.deepEqual(migrate(db), MIGRATIONS.map((m) => m.version).filter((v) => v > 10));
    assert.equal(schemaVersion(db), latestVersion());
    const [row] = recentRequests(db, 1);
    assert.equal(row.requestId, "old");
    assert.equal(row.apiKeyId, null);
    insertRequest(db, request({ apiKeyId: 7 }));
    assert.equal(recentRequests(db, 1)[0].apiKeyId, 7);
  } finally {
    db.close();
  }
});

Deno.test("migrate() to version 70 keeps the stored log lines and their ids", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db, MIGRATIONS.filter((m) => m.version <= 60));
    const insert = db.prepare("INSERT INTO logs (id, time, level, message) VALUES (?, ?, ?, ?)");
    insert.run(7, 1, "info", "seven");
    insert.run(9, 2, "warn", "nine");
    assert.deepEqual(migrate(db, MIGRATIONS.filter((m) => m.version <= 70)), [70]);
    assert.deepEqual(
      db.prepare("SELECT id, level, message FROM logs ORDER BY id").all().map((r) => ({ ...r })),
      [{ id: 7, level: "info", message: "seven" }, { id: 9, level: "warn", message: "nine" }],
    );
    db.exec("DELETE FROM logs");
    const { id } = db.prepare(
      "INSERT INTO logs (time, level, message) VALUES (3, 'info', 'x') RETURNING id",
    )
      .get() as { id: number };
    assert.equal(id, 10);
    assert.ok(
      (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index'").all() as {
        name: string;
      }[])
        .some((r) => r.name === "logs_level"),
    );
  } finally {
    db.close();
  }
});

Deno.test("migrate() refuses a database from a newer build", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    db.exec(`PRAGMA user_version = ${latestVersion() + 10}`);
    assert.throws(
      () => migrate(db),
      new RegExp(`newer than this build knows \\(${latestVersion()}\\)`),
    );
  } finally {
    db.close();
  }
});

Deno.test("per-key and per-account queries read the covering indexes", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    const plan = (sql: string) => queryPlan(db, sql);
    const perKey = plan(
      "SELECT count(*), sum(credits_spent) FROM requests WHERE api_key_id = 1 AND created_at >= 0",
    );
    assert.match(perKey, /COVERING INDEX requests_key_time/);
    const perAccount = plan(
      "SELECT count(*), sum(credits_spent) FROM requests WHERE account_key = 'k' AND created_at >= 0",
    );
    assert.match(perAccount, /COVERING INDEX requests_account_time/);
  } finally {
    db.close();
  }
});

Deno.test("request_hour_groups follows inserts, late credits and deletions of requests", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db, MIGRATIONS.filter((m) => m.version === 10));
    insertLegacy(db, 3_600_000 * 5 + 1, "m-old");
    migrate(db);
    const hour = 3_600_000 * 100;
    insertRequest(db, request({ createdAt: hour, model: "a", apiKeyId: 1, creditsSpent: 2 }));
    const late = insertRequest(
      db,
      request({ createdAt: hour + 10, model: "a", apiKeyId: 1, creditsSpent: null }),
    );
    insertRequest(db, request({ createdAt: hour + 20, model: "b", apiKeyId: 2, status: "error" }));
    const gone = insertRequest(db, request({ createdAt: hour * 2, model: "a", apiKeyId: 1 }));
    completeRequestCredits(db, late, 4, 90);
    db.prepare("DELETE FROM requests WHERE id = ?").run(gone);

    assert.deepEqual(usageBy(db, "api_key_id", hour).map((u) => [u.group, u.requests, u.credits]), [
      [1, 2, 6],
      [2, 1, 2],
    ]);
    const models = usageBy(db, "model", 0);
    assert.deepEqual(models.map((u) => [u.group, u.requests, u.errors]), [
      ["a", 2, 0],
      ["b", 1, 1],
      ["m-old", 1, 0],
    ]);
    assert.equal(models[0].latencyMs, 1200);
    assert.deepEqual(usageBy(db, "api_key_id", 0, hour).map((u) => [u.group, u.requests]), [
      [null, 1],
    ]);
    const total = db.prepare(
      "SELECT count(*) AS n, sum(credits_spent) AS c FROM requests",
    ).get() as { n: number; c: number };
    const rolled = usageBy(db, "account_key", 0).reduce(
      (sum, u) => ({ n: sum.n + u.requests, c: sum.c + u.credits }),
      { n: 0, c: 0 },
    );
    assert.deepEqual(rolled, { n: total.n, c: total.c });
  } finally {
    db.close();
  }
});

function insertLegacy(db: Db, createdAt: number, model: string): void {
  db.prepare(
    `INSERT INTO requests (created_at, request_id, endpoint, model, kind, n, status, http_status,
       credits_spent, latency_ms) VALUES (?, 'old', '/v1/images/generations', ?, 'image', 1, 'ok',
       200, 1, 10)`,
  ).run(createdAt, model);
}

Deno.test("migrate() to version 80 rolls the old hourly rows up per dimension", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db, MIGRATIONS.filter((m) => m.version <= 70));
    const hour = 3_600_000 * 200;
    const rows = [
      { createdAt: hour, model: "a", apiKeyId: 1, accountKey: "k1", creditsSpent: 2 },
      { createdAt: hour + 5, model: "a", apiKeyId: 2, accountKey: "k1", creditsSpent: 3 },
      { createdAt: hour + 9, model: "b", apiKeyId: null, accountKey: "k2", status: "error" },
      { createdAt: hour * 2, model: null, apiKeyId: 1, accountKey: null, creditsSpent: 1 },
    ] as const;
    for (const row of rows) insertRequest(db, request({ ...row }));
    assert.deepEqual(migrate(db, MIGRATIONS.filter((m) => m.version <= 80)), [80]);
    // Written after the upgrade: the new triggers.
    insertRequest(db, request({ createdAt: hour + 20, model: "b", apiKeyId: 2, accountKey: "k2" }));

    const direct = (column: string) =>
      (db.prepare(
        `SELECT coalesce(${column}, '') AS g, count(*) AS n, coalesce(sum(credits_spent), 0) AS c
         FROM requests GROUP BY 1 ORDER BY n DESC, g`,
      ).all() as { g: string | number; n: number; c: number }[])
        .map((r) => [r.g === "" || r.g === 0 ? null : r.g, r.n, r.c]);
    const rolled = (dimension: "model" | "api_key_id" | "account_key") =>
      usageBy(db, dimension, 0).map((u) => [u.group, u.requests, u.credits]);
    assert.deepEqual(rolled("model"), direct("model"));
    assert.deepEqual(rolled("account_key"), direct("account_key"));
    assert.deepEqual(rolled("api_key_id"), [[1, 2, 3], [2, 2, 5], [null, 1, 2]]);
    assert.deepEqual(usageTotal(db, 0), { requests: 5, errors: 1, credits: 10 });
    assert.deepEqual(usageSeries(db, hour, hour + 3_600_000, 3_600_000).map((b) => b.requests), [
      4,
    ]);
    assert.equal(
      (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'request_hours'").get() as {
        n: number;
      }).n,
      0,
    );
  } finally {
    db.close();
  }
});

Deno.test("the console's rollup reads use the primary key of request_hour_groups", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db);
    const plan = (sql: string) => queryPlan(db, sql);
    const byModel = plan(
      "SELECT grp, sum(requests) FROM request_hour_groups WHERE dimension = 'model' AND hour >= 1 AND hour < 9 GROUP BY grp",
    );
    assert.match(
      byModel,
      /SEARCH request_hour_groups USING PRIMARY KEY \(dimension=\? AND hour>\? AND hour<\?\)/,
    );
  } finally {
    db.close();
  }
});

Deno.test("migrate() to version 110 keeps sessions without their CSRF token and drops typed names", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db, MIGRATIONS.filter((m) => m.version < 110));
    db.exec(`
      INSERT INTO admin_users (id, username, password_hash, created_at, password_changed_at)
        VALUES (1, 'root', 'x', 0, 0);
      INSERT INTO admin_sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at)
        VALUES ('h', 1, 'clear-csrf-token', 0, 9e15, 0);
      INSERT INTO login_failures (scope, subject, at) VALUES
        ('ip', '1.2.3.4', 1), ('user', 'a password typed as a name', 1);
    `);
    assert.deepEqual(migrate(db, MIGRATIONS.filter((m) => m.version <= 110)), [110]);
    assert.ok(!columns(db, "admin_sessions").includes("csrf_token"));
    assert.equal(db.prepare("SELECT count(*) AS n FROM admin_sessions").get()!.n, 1);
    assert.deepEqual(
      db.prepare("SELECT scope, subject FROM login_failures").all().map((r) => ({ ...r })),
      [{ scope: "ip", subject: "1.2.3.4" }],
    );
  } finally {
    db.close();
  }
});
