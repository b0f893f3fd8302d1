import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { JimengError } from "../../src/jimeng/errors.ts";
import { createSession, defaultDeps, type UpstreamContext } from "../../src/jimeng/http.ts";
import { signV4 } from "../../src/jimeng/sigv4.ts";
import { uploadMedia } from "../../src/jimeng/vod_upload.ts";
import { encodeMp3, encodeMp4, encodeWav, encodeWebm } from "./av_media.ts";
import { encodePng } from "./media.ts";
import { callWeb } from "./raw_client.ts";
import { type FakeUpstream, startFakeUpstream } from "./server.ts";

async function withFake(fn: (fake: FakeUpstream, ctx: UpstreamContext) => Promise<void>) {
  const fake = await startFakeUpstream();
  fake.addSession("s1", { credits: 100 });
  const config = loadConfig({
    JIMENG_BASE_URL: fake.url,
    JIMENG_IMAGEX_URL: fake.url,
    JIMENG_VOD_URL: fake.url,
  });
  const ctx: UpstreamContext = {
    settings: { hosts: config.upstream, protocol: config.protocol, timeoutMs: 3000, attempts: 1 },
    deps: defaultDeps(),
  };
  try {
    await fn(fake, ctx);
  } finally {
    await fake.close();
  }
}

Deno.test("uploadMedia() takes videos and audio through VOD and returns Vid and VideoMeta", async () => {
  await withFake(async (fake, ctx) => {
    const session = createSession("s1");
    const mp4 = await uploadMedia(
      ctx,
      session,
      encodeMp4({ durationMs: 4200, width: 640, height: 360 }),
    );
    assert.match(mp4.vid, /^v0/);
    assert.deepEqual([mp4.width, mp4.height, mp4.durationMs, mp4.format], [640, 360, 4200, "mp4"]);
    const webm = await uploadMedia(
      ctx,
      session,
      encodeWebm({ durationMs: 2000, withDuration: false }),
    );
    assert.equal(webm.durationMs, 2000);
    const wav = await uploadMedia(ctx, session, encodeWav({ durationMs: 1500 }));
    assert.deepEqual([wav.width, wav.height, wav.durationMs], [undefined, undefined, 1500]);
    const mp3 = await uploadMedia(ctx, session, encodeMp3({ durationMs: 3000 }));
    assert.ok(Math.abs(mp3.durationMs! - 3000) < 30);
    const media = fake.session("s1").media;
    assert.deepEqual(media.map((m) => m.kind), ["video", "video", "audio", "audio"]);
    assert.equal(fake.stats.vodUploads, 4);
    assert.equal(fake.stats.calls["vod:ApplyUploadInner"], 4);
    assert.equal(fake.stats.calls["vod:CommitUploadInner"], 4);
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("the fake VOD refuses images, ImageX keys and tampered signatures", async () => {
  await withFake(async (fake, ctx) => {
    const session = createSession("s1");
    await assert.rejects(
      uploadMedia(ctx, session, encodePng({ width: 8, height: 8, color: [1, 1, 1] })),
      (error: JimengError) =>
        error.kind === "bad_response" && /InvalidMediaFormat/.test(error.message),
    );
    // Keys issued for ImageX (scene 2) do not sign VOD calls.
    const token = (await callWeb(fake.url, {
      path: "/mweb/v1/get_upload_token",
      sessionId: "s1",
      body: { scene: 2 },
    })).json.data as Record<string, string>;
    const signed = signV4({
      method: "GET",
      query: {
        Action: "ApplyUploadInner",
        Version: "2020-11-19",
        SpaceName: "dreamina",
        FileType: "video",
        IsInner: "1",
        FileSize: "100",
        s: "abc",
      },
      credentials: {
        accessKeyId: token.access_key_id,
        secretAccessKey: token.secret_access_key,
        sessionToken: token.session_token,
      },
      region: "cn-north-1",
      service: "vod",
    });
    const answer = await fetch(`${fake.url}/?${signed.queryString}`, { headers: signed.headers });
    assert.equal(answer.status, 403);
    assert.equal((await answer.json()).ResponseMetadata.Error.Code, "AccessDenied");
    // A signature for `imagex` is refused by VOD.
    const vodToken = (await callWeb(fake.url, {
      path: "/mweb/v1/get_upload_token",
      sessionId: "s1",
      body: { scene: 1 },
    })).json.data as Record<string, string>;
    assert.equal(vodToken.space_name, "dreamina");
    const wrongService = signV4({
      method: "GET",
      query: { Action: "ApplyUploadInner", Version: "2020-11-19", SpaceName: "dreamina" },
      credentials: {
        accessKeyId: vodToken.access_key_id,
        secretAccessKey: vodToken.secret_access_key,
        sessionToken: vodToken.session_token,
      },
      region: "cn-north-1",
      service: "imagex",
    });
    const refused = await fetch(`${fake.url}/?${wrongService.queryString}`, {
      headers: wrongService.headers,
    });
    assert.equal(refused.status, 400);
    assert.equal((await refused.json()).ResponseMetadata.Error.Code, "InvalidService");
    assert.equal(fake.session("s1").media.length, 0);
  });
});
