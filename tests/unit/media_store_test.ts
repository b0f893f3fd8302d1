import assert from "node:assert/strict";
import { openDatabase } from "../../src/store/db.ts";
import { migrate, schemaVersion } from "../../src/store/migrate.ts";
import {
  cachedMediaBytes,
  clearMediaFile,
  countMedia,
  deleteMedia,
  getMedia,
  insertMedia,
  listMedia,
  mediaModels,
  type NewMedia,
  oldestCachedMedia,
  setMediaFile,
} from "../../src/store/media.ts";
import { MIGRATIONS } from "../../src/store/migrations/all.ts";
import { MEDIA_ID, mediaPath, newMediaId } from "../../src/media/library.ts";

function migrated() {
  const db = openDatabase(":memory:");
  migrate(db);
  return db;
}

function item(overrides: Partial<NewMedia> = {}): NewMedia {
  return {
    id: newMediaId(),
    kind: "image",
    model: "jimeng-image-4.5",
    prompt: "a fox",
    width: 2048,
    height: 2048,
    accountKey: "k1",
    accountLabel: "0f1e…e1f0",
    apiKeyId: null,
    requestId: "req-1",
    upstreamUrl: "https://cdn.example/1.png",
    createdAt: 1000,
    ...overrides,
  };
}

Deno.test("migrate() brings an older database (requests only) up to the media and logs tables", () => {
  const db = openDatabase(":memory:");
  try {
    migrate(db, MIGRATIONS.filter((m) => m.version === 10));
    assert.equal(schemaVersion(db), 10);
    const applied = migrate(db);
    assert.ok(applied.includes(40) && applied.includes(50), String(applied));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all().map((row) => row.name);
    assert.ok(["logs", "media", "requests"].every((t) => tables.includes(t)), String(tables));
  } finally {
    db.close();
  }
});

Deno.test("newMediaId() makes 22-character URL-safe ids with 128 random bits", () => {
  const ids = new Set(Array.from({ length: 2000 }, newMediaId));
  assert.equal(ids.size, 2000);
  for (const id of ids) assert.match(id, MEDIA_ID);
});

Deno.test("insertMedia() and getMedia() round-trip a row; unknown ids are undefined", () => {
  const db = migrated();
  try {
    const [row] = insertMedia(db, [item({ apiKeyId: 7, width: null, height: null })]);
    assert.deepEqual(getMedia(db, row.id), row);
    assert.equal(row.fileName, null);
    assert.equal(row.apiKeyId, 7);
    assert.equal(row.width, null);
    assert.equal(mediaPath(row), `/media/${row.id}.png`);
    assert.equal(getMedia(db, "AAAAAAAAAAAAAAAAAAAAAA"), undefined);
    assert.throws(() => insertMedia(db, [item({ id: row.id })]), /UNIQUE/);
    assert.throws(() => insertMedia(db, [item({ kind: "audio" as "image" })]), /CHECK/);
  } finally {
    db.close();
  }
});

Deno.test("listMedia() pages newest first and filters by kind, model, time and request", () => {
  const db = migrated();
  try {
    const rows = insertMedia(
      db,
      Array.from({ length: 7 }, (_, i) =>
        item({
          kind: i % 3 === 0 ? "video" : "image",
          model: i % 2 ? "jimeng-image-4.5" : "jimeng-image-3.0",
          createdAt: 1000 + i * 100,
          requestId: `req-${i % 2}`,
        })),
    );
    const first = listMedia(db, { limit: 3 });
    assert.deepEqual(first.items.map((r) => r.id), [rows[6].id, rows[5].id, rows[4].id]);
    assert.equal(first.next, rows[4].id);
    const second = listMedia(db, { limit: 3, before: first.next! });
    assert.deepEqual(second.items.map((r) => r.id), [rows[3].id, rows[2].id, rows[1].id]);
    const last = listMedia(db, { limit: 3, before: second.next! });
    assert.deepEqual(last.items.map((r) => r.id), [rows[0].id]);
    assert.equal(last.next, null);

    const videos = listMedia(db, { limit: 10, kind: "video" });
    assert.deepEqual(videos.items.map((r) => r.id), [rows[6].id, rows[3].id, rows[0].id]);
    const window = listMedia(db, {
      limit: 10,
      model: "jimeng-image-4.5",
      since: 1100,
      until: 1500,
    });
    assert.deepEqual(window.items.map((r) => r.id), [rows[3].id, rows[1].id]);
    assert.equal(countMedia(db), 7);
    assert.equal(countMedia(db, { kind: "image" }), 4);
    assert.equal(countMedia(db, { requestId: "req-1" }), 3);
    assert.deepEqual(mediaModels(db), ["jimeng-image-3.0", "jimeng-image-4.5"]);
    assert.deepEqual(listMedia(db, { limit: 5, before: "unknown-id-unknown-id0" }).items, []);
    assert.throws(() => listMedia(db, { limit: 0 }), RangeError);
  } finally {
    db.close();
  }
});

Deno.test("setMediaFile(), cachedMediaBytes(), oldestCachedMedia() and clearMediaFile() track the cache", () => {
  const db = migrated();
  try {
    const rows = insertMedia(db, [item(), item(), item()]);
    assert.equal(cachedMediaBytes(db), 0);
    rows.forEach((row, i) => {
      assert.ok(setMediaFile(db, row.id, {
        fileName: `${row.id}.png`,
        bytes: 100 * (i + 1),
        contentType: "image/png",
      }));
    });
    assert.equal(cachedMediaBytes(db), 600);
    assert.deepEqual(oldestCachedMedia(db, 2), [
      { id: rows[0].id, fileName: `${rows[0].id}.png`, bytes: 100 },
      { id: rows[1].id, fileName: `${rows[1].id}.png`, bytes: 200 },
    ]);
    assert.ok(clearMediaFile(db, rows[0].id));
    assert.equal(cachedMediaBytes(db), 500);
    const evicted = getMedia(db, rows[0].id)!;
    assert.equal(evicted.fileName, null);
    assert.equal(evicted.bytes, 100, "the size stays known after eviction");
    assert.equal(oldestCachedMedia(db, 1)[0].id, rows[1].id);
    assert.equal(setMediaFile(db, "gone", { fileName: "x", bytes: 1, contentType: "x" }), false);
  } finally {
    db.close();
  }
});

Deno.test("deleteMedia() returns the deleted row once", () => {
  const db = migrated();
  try {
    const [row] = insertMedia(db, [item()]);
    assert.equal(deleteMedia(db, row.id)?.id, row.id);
    assert.equal(deleteMedia(db, row.id), undefined);
    assert.equal(countMedia(db), 0);
  } finally {
    db.close();
  }
});
