/**
 * A full disk while the server runs. SQLite's `max_page_count` makes the
 * database refuse to grow exactly as a full file system does (SQLITE_FULL),
 * without needing a small mount: generations go on (their records are lost
 * and the log says so), work that must be stored first is refused with a
 * precise 503, running jobs finish, and everything works again once there is
 * room, without a restart.
 * @module
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { startStack } from "../helpers/stack.ts";
import { waitFor } from "../helpers/wait.ts";

const VIDEO_MODEL = "jimeng-video-3.0";

Deno.test("a full disk: images still generate and say so, new jobs get 503 storage_full, running jobs finish, room again heals", async () => {
  const stack = await startStack({ fake: { videoLatencyMs: 1200 }, env: ADMIN_ENV });
  try {
    const client = stack.openai();
    const admin = await loginAdmin(stack);
    const running = await client.videos.create({
      model: VIDEO_MODEL,
      prompt: "before the disk filled",
    });

    const db = stack.server.db;
    const { page_count: pages } = db.prepare("PRAGMA page_count").get() as { page_count: number };
    db.exec(`PRAGMA max_page_count = ${pages}`);

    // Generations go on while request records no longer fit.
    const full = () => stack.logs.some((line) => line.includes("database or disk is full"));
    for (let i = 0; i < 60 && !full(); i++) {
      const images = await client.images.generate({
        prompt: `${"a long prompt ".repeat(150)}${i}`,
      });
      assert.ok(images.data?.[0]?.url, "no image while the disk is full");
    }
    assert.ok(full(), "the database never filled up");
    const images = await client.images.generate({ prompt: "one more, on a full disk" });
    assert.equal(images.data?.length, 1);

    // Pages the server freed meanwhile (log trimming) are taken too: the disk is really full.
    try {
      db.exec("CREATE TABLE IF NOT EXISTS filler (x BLOB)");
      for (let i = 0; i < 100_000; i++) {
        db.prepare("INSERT INTO filler VALUES (zeroblob(512))").run();
      }
    } catch {
      // Full.
    }

    // A job must be stored before it is submitted: refused, and never sent upstream.
    const videosBefore = stack.fake.records().filter((r) => r.kind === "video").length;
    const refused = await client.videos.create({ model: VIDEO_MODEL, prompt: "x".repeat(4000) })
      .then(() => undefined, (error: unknown) => error);
    assert.ok(refused instanceof OpenAI.APIError, `not refused: ${refused}`);
    assert.equal(refused.status, 503);
    assert.equal(refused.code, "storage_full");
    assert.match(refused.message, /disk is full.*DATA_DIR.*Free disk space/);
    assert.equal(stack.fake.records().filter((r) => r.kind === "video").length, videosBefore);
    assert.ok(stack.logs.some((line) => line.includes("The database could not be written")));

    // The console's writes get the same answer, and nothing half-done is kept.
    const sessionIds = Array.from({ length: 50 }, (_, i) => `${i}`.padStart(4, "0").repeat(8));
    const add = await admin.call("POST", "/accounts", { sessionids: sessionIds });
    assert.equal(add.status, 503);
    assert.equal((await add.json()).error.code, "storage_full");
    assert.deepEqual((await admin.json<{ data: unknown[] }>("GET", "/accounts")).data, []);

    // The job submitted before finishes.
    let video = await client.videos.retrieve(running.id);
    await waitFor(async () => {
      video = await client.videos.retrieve(running.id);
      return video.status === "completed" || video.status === "failed";
    }, "the running job to end");
    assert.equal(video.status, "completed", JSON.stringify(video.error));
    assert.equal(await (await fetch(`${stack.url}/ping`)).text(), "pong");

    // Room again: the same calls work, with no restart.
    db.exec("PRAGMA max_page_count = 1073741823");
    const later = await client.videos.create({
      model: VIDEO_MODEL,
      prompt: "after the disk was freed",
    });
    assert.equal(later.status, "queued");
    await admin.json("POST", "/keys", { name: "after" }, 201);
    const added = await admin.json<{ added: unknown[] }>("POST", "/accounts", {
      sessionids: sessionIds,
    }, 201);
    assert.equal(added.added.length, 50);
    // Let it finish so nothing is left running.
    assert.equal((await stack.server.deps.jobs.wait(later.id))?.status, "completed");
  } finally {
    await stack.close();
  }
});
