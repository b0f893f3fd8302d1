import assert from "node:assert/strict";
import { crc32, crc32Hex } from "../../src/jimeng/crc32.ts";
import { encodePng } from "./media.ts";
import { callWeb, imageGenerateBody, uploadImage, videoGenerateBody } from "./raw_client.ts";
import { type FakeUpstream, fakeVideoBytes, startFakeUpstream } from "./server.ts";

async function withFake(fn: (fake: FakeUpstream) => Promise<void>): Promise<void> {
  const fake = await startFakeUpstream();
  fake.addSession("s1", { credits: 100 });
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

const PNG = encodePng({ width: 40, height: 30, color: [10, 20, 30] });

Deno.test("Apply → Upload → Commit returns a committed URI with the image's dimensions", async () => {
  await withFake(async (fake) => {
    const trace = await uploadImage(fake.url, "s1", PNG);
    assert.equal(trace.apply.status, 200);
    assert.equal(trace.upload?.json.code, 2000);
    assert.equal(trace.commit?.status, 200);
    assert.match(trace.uri ?? "", /^tos-cn-i-tb4s082cfz\/[0-9a-f]{32}$/);
    const result = trace.commit?.json.Result as {
      Results: { UriStatus: number }[];
      PluginResult: { ImageWidth: number; ImageHeight: number; ImageFormat: string }[];
    };
    assert.equal(result.Results[0].UriStatus, 2000);
    assert.deepEqual(
      [result.PluginResult[0].ImageWidth, result.PluginResult[0].ImageHeight],
      [40, 30],
    );
    assert.equal(result.PluginResult[0].ImageFormat, "png");
    assert.deepEqual(fake.session("s1").committedUris, [trace.uri]);
    assert.equal(fake.stats.uploads, 1);
    assert.equal(fake.stats.calls["imagex:ApplyImageUpload"], 1);
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("an unpadded CRC32 is accepted; a wrong one is refused", async () => {
  await withFake(async (fake) => {
    // Find bytes whose CRC has a leading zero nibble, to send it unpadded (ZZN style).
    let bytes = PNG;
    for (let i = 0; i < 256 && !crc32Hex(bytes).startsWith("0"); i++) {
      bytes = encodePng({ width: 8, height: 8, color: [i, 0, 0] });
    }
    assert.ok(crc32Hex(bytes).startsWith("0"));
    const ok = await uploadImage(fake.url, "s1", bytes, { crc: crc32(bytes).toString(16) });
    assert.ok(ok.uri);
    const bad = await uploadImage(fake.url, "s1", PNG, { crc: "deadbeef" });
    assert.equal(bad.upload?.status, 400);
    assert.equal(bad.upload?.json.code, 4001);
    assert.equal(bad.commit, undefined);
    assert.equal(fake.stats.violations.length, 1);
  });
});

Deno.test("a wrong SigV4 secret or a replayed SessionKey is refused", async () => {
  await withFake(async (fake) => {
    const wrong = await uploadImage(fake.url, "s1", PNG, { secret: "not-the-secret" });
    assert.equal(wrong.apply.status, 403);
    const error = (wrong.apply.json.ResponseMetadata as { Error: { Code: string } }).Error;
    assert.equal(error.Code, "SignatureDoesNotMatch");
    const first = await uploadImage(fake.url, "s1", PNG);
    assert.ok(first.uri);
    const replay = await uploadImage(fake.url, "s1", PNG, { sessionKey: first.sessionKey });
    assert.equal(replay.commit?.status, 400);
    assert.equal(replay.uri, undefined);
    assert.equal(fake.stats.violations.length, 2);
    assert.match(fake.stats.violations[1], /already committed/);
  });
});

Deno.test("non-image bytes fail at commit; a RISKY-IMAGE upload fails algo_proxy", async () => {
  await withFake(async (fake) => {
    const text = await uploadImage(
      fake.url,
      "s1",
      new TextEncoder().encode("just some text bytes"),
    );
    assert.equal(text.commit?.status, 400);
    const risky = await uploadImage(
      fake.url,
      "s1",
      encodePng({ width: 4, height: 4, color: [1, 2, 3], text: "RISKY-IMAGE" }),
    );
    const check = (uri: string) =>
      callWeb(fake.url, {
        path: "/mweb/v1/algo_proxy",
        sessionId: "s1",
        body: { scene: "image_face_ip", file_list: [{ file_uri: uri }], req_params: {} },
      });
    assert.equal((await check(risky.uri!)).json.ret, "2003");
    const clean = await uploadImage(fake.url, "s1", PNG);
    assert.equal((await check(clean.uri!)).json.ret, "0");
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("a blend with a committed reference yields 4 images (generate_type 12)", async () => {
  await withFake(async (fake) => {
    const { uri } = await uploadImage(fake.url, "s1", PNG);
    const answer = await callWeb(fake.url, {
      path: "/mweb/v1/aigc_draft/generate",
      sessionId: "s1",
      body: imageGenerateBody({ prompt: "make it blue", tier: "1k", references: [uri!] }),
    });
    const aigc = (answer.json.data as { aigc_data: Record<string, unknown> }).aigc_data;
    assert.equal(aigc.generate_type, 12);
    assert.equal(fake.record(aigc.history_record_id as string)?.itemCount, 4);
    assert.deepEqual(fake.record(aigc.history_record_id as string)?.inputUris, [uri]);
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("video with a committed first frame completes; MP4 honours Range; HQ via local items", async () => {
  await withFake(async (fake) => {
    const { uri } = await uploadImage(fake.url, "s1", PNG);
    const answer = await callWeb(fake.url, {
      path: "/mweb/v1/aigc_draft/generate",
      sessionId: "s1",
      body: videoGenerateBody({ prompt: "waves", firstFrameUri: uri }),
    });
    assert.equal(answer.json.ret, "0");
    const id = (answer.json.data as { aigc_data: { history_record_id: string } }).aigc_data
      .history_record_id;
    assert.equal(fake.session("s1").credits, 90);
    const polled = await callWeb(fake.url, {
      path: "/mweb/v1/get_history_by_ids",
      sessionId: "s1",
      body: { history_ids: [id] },
    });
    const record = (polled.json.data as Record<string, Record<string, unknown>>)[id];
    assert.equal(record.status, 50);
    const [item] = record.item_list as {
      common_attr: { transcoded_video: { origin: { video_url: string } } };
      item_id: string;
    }[];
    const url = item.common_attr.transcoded_video.origin.video_url;
    const full = await fetch(url);
    assert.equal(full.headers.get("content-type"), "video/mp4");
    assert.equal(full.headers.get("accept-ranges"), "bytes");
    const bytes = new Uint8Array(await full.arrayBuffer());
    assert.deepEqual(bytes, fakeVideoBytes(id, "preview"));
    assert.equal(new TextDecoder().decode(bytes.subarray(4, 8)), "ftyp");
    const part = await fetch(url, { headers: { Range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${bytes.length}`);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), bytes.subarray(100, 200));
    const local = await callWeb(fake.url, {
      path: "/mweb/v1/get_local_item_list",
      sessionId: "s1",
      body: {
        item_id_list: [item.item_id],
        pack_item_opt: { scene: 1, need_data_integrity: true },
        is_for_video_download: true,
      },
    });
    const hq = (local.json.data as { item_list: { video: { download_url: string } }[] })
      .item_list[0].video.download_url;
    assert.match(hq, /\/hq\.mp4\?/);
    const hqBytes = new Uint8Array(await (await fetch(hq)).arrayBuffer());
    assert.deepEqual(hqBytes, fakeVideoBytes(id, "hq"));
    const tampered = await fetch(url.replace(/x-signature=[0-9a-f]+/, "x-signature=00"));
    assert.equal(tampered.status, 403);
    await tampered.body?.cancel();
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("video durations and benefit types are checked per model; Seedance 2.0 Fast needs the page", async () => {
  await withFake(async (fake) => {
    const refused = [
      videoGenerateBody({
        prompt: "x",
        model: "dreamina_ic_generate_video_model_vgfm_lite",
        durationMs: 10000,
      }),
      videoGenerateBody({ prompt: "x", benefit: "seedance_20_mini_720p_output" }),
      videoGenerateBody({ prompt: "x", resolution: "1080p" }),
      videoGenerateBody({ prompt: "x", ratio: "2:1" }),
    ];
    for (const body of refused) {
      const answer = await callWeb(fake.url, {
        path: "/mweb/v1/aigc_draft/generate",
        sessionId: "s1",
        body,
      });
      assert.equal(answer.json.ret, "4002");
    }
    const seedance = await callWeb(fake.url, {
      path: "/mweb/v1/aigc_draft/generate",
      sessionId: "s1",
      body: videoGenerateBody({
        prompt: "x",
        model: "dreamina_seedance_40",
        benefit: "dreamina_seedance_20_fast",
        durationMs: 7000,
      }),
    });
    // Sent from a server, without the site page's signature: refused, nothing charged.
    assert.equal(seedance.json.ret, "4013");
    const data = seedance.json.data as Record<string, unknown>;
    assert.equal(data.fail_starling_key, "web_risk_control_message_reject_generation");
    assert.equal(fake.session("s1").credits, 100);
    assert.deepEqual(fake.stats.riskRefusals, { "/mweb/v1/aigc_draft/generate": 1 });
    const mini = await callWeb(fake.url, {
      path: "/mweb/v1/aigc_draft/generate",
      sessionId: "s1",
      body: videoGenerateBody({
        prompt: "x",
        model: "dreamina_seedance_40_mini",
        benefit: "seedance_20_mini_720p_output",
        durationMs: 10000,
      }),
    });
    assert.equal(mini.json.ret, "0");
    assert.ok(fake.session("s1").credits < 100);
  });
});
