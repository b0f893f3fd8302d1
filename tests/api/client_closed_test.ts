/**
 * A client that disconnects is its own outcome — `client_closed`, 499 in the
 * usage records and metrics — never a 500 or an "Unhandled error". Before
 * the upstream submit it costs nothing (streams wait a moment after their
 * first bytes for this); after the submit the paid work and its result are
 * kept.
 * @module
 */
import assert from "node:assert/strict";
import { countJobsByStatus, listJobs } from "../../src/store/jobs.ts";
import { recentRequests, type StoredRequest } from "../../src/store/requests.ts";
import { encodeMp4 } from "../fake_upstream/av_media.ts";
import { encodePng } from "../fake_upstream/media.ts";
import { parseExposition } from "../helpers/prometheus.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { waitFor } from "../helpers/wait.ts";

const HEADERS = { Authorization: `Bearer ${GOOD_SESSION}`, "Content-Type": "application/json" };

/**
 * Posts a request and aborts it once `when` resolves (after reading the first
 * bytes of an answer that came). With `chunked`, the body is streamed, without
 * a Content-Length.
 */
async function postThenClose(
  stack: Stack,
  path: string,
  body: unknown,
  when: () => Promise<void>,
  { chunked = false } = {},
): Promise<void> {
  const controller = new AbortController();
  const text = JSON.stringify(body);
  const pending = fetch(`${stack.url}${path}`, {
    method: "POST",
    headers: HEADERS,
    body: chunked ? ReadableStream.from([new TextEncoder().encode(text)]) : text,
    signal: controller.signal,
  });
  const closed = when().then(() => controller.abort());
  try {
    const response = await pending;
    await response.body?.getReader().read();
    await closed;
  } catch (error) {
    if ((error as Error).name !== "AbortError") throw error;
  }
  await closed;
}

/** The only usage row once it is written. */
async function onlyRow(stack: Stack): Promise<StoredRequest> {
  await waitFor(() => recentRequests(stack.server.db, 5).length > 0, "the usage row");
  const rows = recentRequests(stack.server.db, 5);
  assert.equal(rows.length, 1);
  return rows[0];
}

function assertNotAServerError(stack: Stack, metrics: string): void {
  assert.ok(!stack.logs.some((line) => /Unhandled error|cancelled/.test(line)), "no error log");
  const series = parseExposition(metrics).find("jimeng_http_requests_total");
  assert.ok(!series.some((s) => s.labels.status === "500"), "no status=500 series");
  assert.ok(series.some((s) => s.labels.status === "499"), "a status=499 series");
}

/** A loopback server that accepts connections and never answers: a download through it waits. */
function holdingServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  let accepted!: () => void;
  const connected = new Promise<void>((resolve) => (accepted = resolve));
  (async () => {
    for await (const conn of listener) {
      held.push(conn);
      accepted();
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    /** Resolves once a connection came in. */
    connected,
    close() {
      listener.close();
      for (const conn of held) conn.close();
    },
  };
}

const metricsOf = async (stack: Stack) => await (await fetch(`${stack.url}/metrics`)).text();

Deno.test("chat video streams closed after their first bytes create no upstream job and cost nothing", async () => {
  const stack = await startStack({ overrides: { streamHoldMs: 60_000 } });
  try {
    const streams = Array.from({ length: 10 }, (_, i) => {
      let firstBytes!: () => void;
      const seen = new Promise<void>((resolve) => (firstBytes = resolve));
      const controller = new AbortController();
      return (async () => {
        const response = await fetch(`${stack.url}/v1/chat/completions`, {
          method: "POST",
          headers: HEADERS,
          body: JSON.stringify({
            model: "jimeng-video-3.0",
            stream: true,
            messages: [{ role: "user", content: `a short film ${i}` }],
          }),
          signal: controller.signal,
        });
        assert.equal(response.status, 200);
        await response.body!.getReader().read();
        firstBytes();
        await seen;
        controller.abort();
      })().catch((error) => {
        if ((error as Error).name !== "AbortError") throw error;
      });
    });
    await Promise.all(streams);
    await waitFor(
      () => recentRequests(stack.server.db, 20).length === 10,
      "ten usage rows",
    );
    await waitFor(() => countJobsByStatus(stack.server.db).failed === 10, "ten jobs to end");
    for (const row of recentRequests(stack.server.db, 20)) {
      assert.equal(row.status, "cancelled");
      assert.equal(row.httpStatus, 499);
      assert.equal(row.errorCode, "client_closed");
      assert.equal(row.model, "jimeng-video-3.0");
    }
    const { jobs } = listJobs(stack.server.db, { limit: 20, order: "desc" });
    assert.ok(jobs.every((job) => job.errorCode === "client_closed" && job.historyId === null));
    assert.equal(stack.fake.records().length, 0, "nothing was submitted");
    assert.equal(stack.fake.stats.calls["/mweb/v1/aigc_draft/generate"] ?? 0, 0);
    await waitFor(
      () => recentRequests(stack.server.db, 20).every((r) => r.creditsSpent === 0),
      "the rows to say nothing was spent",
    );
    assertNotAServerError(stack, await metricsOf(stack));
  } finally {
    await stack.close();
  }
});

// Deno.serve alone does not abort a request whose client left after a body of more than a few
// hundred bytes while nothing is written back yet; the guard in front of it, which relays the
// connection, sees the client leave. A body without a length is copied by the body limit, and the
// copy keeps that signal. A reference download that never answers holds the request.
for (const chunked of [false, true]) {
  const body = chunked ? "a chunked body (the body limit's copy keeps the signal)" : "a large body";
  Deno.test(`a client that leaves after sending ${body} is noticed too (the connection guard sees it)`, async () => {
    const { port, connected, close } = holdingServer();
    const stack = await startStack({ env: { FETCH_ALLOWLIST: `127.0.0.1:${port}` } });
    try {
      await postThenClose(
        stack,
        "/v1/videos/generations",
        {
          model: "jimeng-video-3.0",
          prompt: `from a slow picture, ${"with many details ".repeat(200)}`,
          file_paths: [`http://127.0.0.1:${port}/slow.png`],
        },
        () => connected,
        { chunked },
      );
      const row = await onlyRow(stack);
      assert.equal(row.errorCode, "client_closed");
      assert.equal(row.httpStatus, 499);
      assert.equal(listJobs(stack.server.db, { limit: 5, order: "desc" }).jobs.length, 0);
    } finally {
      await stack.close();
      close();
    }
  });
}

Deno.test("a client gone while its reference image downloads costs nothing: no job, 499", async () => {
  const { port, connected, close } = holdingServer();
  const stack = await startStack({ env: { FETCH_ALLOWLIST: `127.0.0.1:${port}` } });
  try {
    await postThenClose(stack, "/v1/videos/generations", {
      model: "jimeng-video-3.0",
      prompt: "from a slow picture",
      file_paths: [`http://127.0.0.1:${port}/slow.png`],
    }, () => connected);
    const row = await onlyRow(stack);
    assert.equal(row.status, "cancelled");
    assert.equal(row.httpStatus, 499);
    assert.equal(row.errorCode, "client_closed");
    assert.equal(row.creditsSpent, 0);
    assert.equal(listJobs(stack.server.db, { limit: 5, order: "desc" }).jobs.length, 0);
    // Reading the account's model catalog is free; nothing was uploaded or submitted.
    const calls = Object.keys(stack.fake.stats.calls);
    assert.deepEqual(
      calls.filter((call) => !/get_common_config|model_list|user_credit/.test(call)),
      [],
      `Jimeng got no work: ${calls.join(", ")}`,
    );
    assertNotAServerError(stack, await metricsOf(stack));
  } finally {
    await stack.close();
    close();
  }
});

Deno.test("an omni-reference video whose client leaves during the uploads is never submitted", async () => {
  // Files by name, so the references are uploads the server makes, not part of the request.
  const files = await Deno.makeTempDir({ prefix: "jimeng-closed-omni-" });
  await Deno.writeFile(`${files}/face.png`, encodePng({ width: 64, height: 48, color: [9, 9, 9] }));
  await Deno.writeFile(
    `${files}/moves.mp4`,
    encodeMp4({ durationMs: 4000, width: 640, height: 360 }),
  );
  const stack = await startStack({ env: { LOCAL_FILES_DIR: files } });
  try {
    // The VOD upload of the reference video takes a while: the client leaves meanwhile.
    stack.fake.knobs.faults = { rate: 1, kinds: ["slow"], pathPattern: /^vod:ApplyUploadInner$/ };
    await postThenClose(
      stack,
      "/v1/videos/generations",
      {
        model: "jimeng-video-seedance-2.0",
        prompt: "@image1 moves like @video1",
        references: ["face.png", "moves.mp4"],
      },
      () => waitFor(() => (stack.fake.stats.calls["vod:ApplyUploadInner"] ?? 0) > 0, "the upload"),
    );
    await waitFor(() => countJobsByStatus(stack.server.db).failed === 1, "the job to end");
    const [job] = listJobs(stack.server.db, { limit: 1, order: "desc" }).jobs;
    assert.equal(job.errorCode, "client_closed");
    assert.equal(job.historyId, null);
    assert.equal(stack.fake.stats.calls["vod:ApplyUploadInner"], 1, "the upload was under way");
    assert.equal(stack.fake.stats.calls["/mweb/v1/aigc_draft/generate"] ?? 0, 0, "no submit");
    assert.equal(stack.fake.records().length, 0);
    const row = await onlyRow(stack);
    assert.equal(row.httpStatus, 499);
    assert.equal(row.errorCode, "client_closed");
    await waitFor(async () => (await onlyRow(stack)).creditsSpent === 0, "nothing spent");
  } finally {
    await stack.close();
    await Deno.remove(files, { recursive: true });
  }
});

Deno.test("a client gone after the submit keeps the paid video and its result", async () => {
  const stack = await startStack({
    fake: { videoLatencyMs: 2500 },
    overrides: { creditRefreshMs: 0 },
  });
  try {
    await postThenClose(stack, "/v1/videos/generations", {
      model: "jimeng-video-3.0",
      prompt: "worth keeping",
      duration: 5,
    }, () => waitFor(() => stack.fake.records().length === 1, "the submit"));
    await waitFor(() => countJobsByStatus(stack.server.db).completed === 1, "the job to finish");
    await stack.server.deps.media.idle();
    const [job] = listJobs(stack.server.db, { limit: 5, order: "desc" }).jobs;
    assert.equal(job.status, "completed");
    assert.equal(job.result!.mediaIds!.length, 1, "the result is in the media library");
    const media = await fetch(`${stack.url}${job.result!.paths![0]}`);
    assert.equal(media.status, 200);
    await media.body?.cancel();
    const row = await onlyRow(stack);
    assert.equal(row.status, "cancelled");
    assert.equal(row.errorCode, "client_closed");
    await waitFor(
      () => recentRequests(stack.server.db, 1)[0].creditsSpent !== null,
      "the job's credits",
    );
    assert.equal(recentRequests(stack.server.db, 1)[0].creditsSpent, 10, "a 5 s video: 10 credits");
    assertNotAServerError(stack, await metricsOf(stack));
  } finally {
    await stack.close();
  }
});

Deno.test("an image stream closed after the submit keeps the paid images in the media library", async () => {
  const stack = await startStack({
    fake: { imageLatencyMs: 2500 },
    overrides: { streamHoldMs: 0, creditRefreshMs: 0 },
  });
  try {
    await postThenClose(stack, "/v1/chat/completions", {
      model: "jimeng-image-4.5",
      stream: true,
      messages: [{ role: "user", content: "paid for, then left" }],
    }, () => waitFor(() => stack.fake.records().length === 1, "the submit"));
    const row = await onlyRow(stack);
    assert.equal(row.status, "cancelled");
    assert.equal(row.httpStatus, 499);
    assert.equal(row.historyIds, stack.fake.records()[0].historyId);
    await stack.server.deps.media.idle();
    const count = stack.server.db.prepare("SELECT count(*) AS n FROM media").get() as { n: number };
    assert.equal(count.n, 4, "the four images were recorded");
    await waitFor(
      () => recentRequests(stack.server.db, 1)[0].creditsSpent !== null,
      "the credits",
    );
    assert.equal(recentRequests(stack.server.db, 1)[0].creditsSpent, 2);
    assertNotAServerError(stack, await metricsOf(stack));
  } finally {
    await stack.close();
  }
});
