import assert from "node:assert/strict";
import { createLogger, type LogRecord } from "../../src/log.ts";
import { createLogRecorder } from "../../src/logs/recorder.ts";
import { openDatabase } from "../../src/store/db.ts";
import {
  countLogs,
  deleteAllLogs,
  insertLogs,
  type LogEntry,
  queryLogs,
} from "../../src/store/logs.ts";
import { migrate } from "../../src/store/migrate.ts";

function migrated() {
  const db = openDatabase(":memory:");
  migrate(db);
  return db;
}

const record = (i: number, level: LogRecord["level"] = "info", extra = ""): LogRecord => ({
  time: 1000 + i,
  level,
  message: `message ${i}${extra}`,
  fields: { i },
});

Deno.test("insertLogs() keeps only the newest records", () => {
  const db = migrated();
  try {
    const first = insertLogs(db, [record(1), record(2), record(3)], 5);
    assert.deepEqual(first.map((e) => e.message), ["message 1", "message 2", "message 3"]);
    assert.ok(first.every((e) => e.id > 0));
    insertLogs(db, [4, 5, 6, 7].map((i) => record(i)), 5);
    assert.equal(countLogs(db), 5);
    const kept = queryLogs(db, { limit: 100 });
    assert.deepEqual(kept.map((e) => e.fields), [7, 6, 5, 4, 3].map((i) => ({ i })));
    insertLogs(db, [record(8)], 2);
    assert.equal(countLogs(db), 2);
  } finally {
    db.close();
  }
});

Deno.test("queryLogs() filters by lowest level and text, newest first, with a before-id cursor", () => {
  const db = migrated();
  try {
    insertLogs(db, [
      record(1, "info"),
      record(2, "warn", " upstream 100% slow"),
      record(3, "error", " upstream down"),
      record(4, "info", " upstream ok"),
      { time: 5, level: "info", message: "plain", fields: { path: "/v1/images_x" } },
    ], 100);
    assert.deepEqual(
      queryLogs(db, { level: "warn", limit: 10 }).map((e) => e.level),
      ["error", "warn"],
    );
    assert.equal(queryLogs(db, { level: "error", limit: 10 }).length, 1);
    assert.equal(queryLogs(db, { level: "debug", limit: 10 }).length, 5);
    assert.deepEqual(
      queryLogs(db, { search: "UPSTREAM", limit: 10 }).map((e) => e.time),
      [1004, 1003, 1002],
    );
    // LIKE wildcards in the search text are literal.
    assert.deepEqual(queryLogs(db, { search: "100%", limit: 10 }).map((e) => e.time), [1002]);
    assert.deepEqual(queryLogs(db, { search: "images_x", limit: 10 }).map((e) => e.time), [5]);
    assert.equal(queryLogs(db, { search: "images%x", limit: 10 }).length, 0);
    const page1 = queryLogs(db, { limit: 2 });
    const page2 = queryLogs(db, { limit: 2, beforeId: page1.at(-1)!.id });
    const page3 = queryLogs(db, { limit: 2, beforeId: page2.at(-1)!.id });
    assert.deepEqual([...page1, ...page2, ...page3].map((e) => e.time), [
      5,
      1004,
      1003,
      1002,
      1001,
    ]);
    assert.throws(() => queryLogs(db, { limit: 1001 }), RangeError);
    assert.equal(deleteAllLogs(db), 5);
    assert.equal(countLogs(db), 0);
  } finally {
    db.close();
  }
});

Deno.test("deleteAllLogs() never lets a later record take an id handed out before", () => {
  const db = migrated();
  try {
    const before = insertLogs(db, [record(1), record(2), record(3)], 10);
    assert.equal(deleteAllLogs(db), 3);
    // A console still showing the old lines tells new ones apart by id, and pages by id.
    const [after] = insertLogs(db, [record(4)], 10);
    assert.ok(after.id > before.at(-1)!.id, `id ${after.id} reused after the clear`);
    assert.deepEqual(queryLogs(db, { limit: 10, beforeId: after.id }), []);
  } finally {
    db.close();
  }
});

Deno.test("insertLogs() cuts oversized messages and fields", () => {
  const db = migrated();
  try {
    const [entry] = insertLogs(db, [{
      time: 1,
      level: "info",
      message: "x".repeat(10_000),
      fields: { blob: "y".repeat(40_000) },
    }], 10);
    assert.ok(entry.message.length <= 4001);
    const [stored] = queryLogs(db, { limit: 1 });
    assert.equal(stored.message, entry.message);
    assert.ok(typeof stored.fields?.truncated === "string");
  } finally {
    db.close();
  }
});

Deno.test("createLogRecorder() batches a logger's records off the call and trims the table", () => {
  const db = migrated();
  let scheduled: (() => void) | null = null;
  const recorder = createLogRecorder({
    db,
    keep: 3,
    schedule(flush) {
      scheduled = flush;
      return () => (scheduled = null);
    },
  });
  const log = createLogger({ level: "debug", write: null, now: () => 42 });
  log.addSink(recorder.sink);
  const seen: LogEntry[] = [];
  const unsubscribe = recorder.subscribe((entry) => seen.push(entry));
  try {
    log.debug("not stored");
    log.info("one", { n: 1 });
    log.warn("two");
    assert.equal(countLogs(db), 0, "nothing is written on the caller's path");
    assert.ok(scheduled, "a flush is scheduled");
    (scheduled as () => void)();
    assert.equal(countLogs(db), 2);
    assert.deepEqual(seen.map((e) => [e.level, e.message, e.fields]), [
      ["info", "one", { n: 1 }],
      ["warn", "two", undefined],
    ]);
    assert.ok(seen[0].id < seen[1].id);
    unsubscribe();
    for (let i = 0; i < 5; i++) log.error(`burst ${i}`);
    recorder.flush();
    assert.equal(seen.length, 2, "unsubscribed listeners hear nothing");
    assert.deepEqual(
      queryLogs(db, { limit: 10 }).map((e) => e.message),
      ["burst 4", "burst 3", "burst 2"],
    );
    log.info("last words");
    recorder.close();
    assert.equal(queryLogs(db, { limit: 1 })[0].message, "last words", "close() flushes");
    log.info("after close");
    recorder.flush();
    assert.equal(queryLogs(db, { limit: 1 })[0].message, "last words");
  } finally {
    recorder.close();
    db.close();
  }
});

Deno.test("createLogRecorder() reports a failing database once per batch, without a loop", () => {
  const db = migrated();
  db.close();
  const errors: [unknown, number][] = [];
  let pending: (() => void) | null = null;
  const recorder = createLogRecorder({
    db,
    keep: 10,
    schedule(flush) {
      pending = flush;
      return () => (pending = null);
    },
    onError: (error, dropped) => {
      errors.push([error, dropped]);
      log.warn("Could not store log records", { error });
    },
  });
  const log = createLogger({ write: null });
  log.addSink(recorder.sink);
  log.info("a");
  log.info("b");
  (pending as unknown as () => void)();
  assert.equal(errors.length, 1);
  assert.equal(errors[0][1], 2);
  assert.equal(pending, null, "the report itself was not queued");
  recorder.close();
});
