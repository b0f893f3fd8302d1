import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { type JimengError } from "../../src/jimeng/errors.ts";
import { createSession, defaultDeps, type UpstreamContext } from "../../src/jimeng/http.ts";
import { findModel, type VideoModel } from "../../src/jimeng/models.ts";
import {
  buildOmniGenerateBody,
  omniBenefitType,
  type OmniMaterial,
  type OmniTaskParams,
  submitOmniTask,
  takesOmniReferences,
} from "../../src/jimeng/omni.ts";
import { uploadImage } from "../../src/jimeng/upload.ts";
import { uploadMedia } from "../../src/jimeng/vod_upload.ts";
import { encodeMp3, encodeMp4, encodeWav } from "./av_media.ts";
import { encodePng } from "./media.ts";
import { callWeb } from "./raw_client.ts";
import { type FakeUpstream, startFakeUpstream } from "./server.ts";

const video = (id: string) => findModel(id) as VideoModel;

async function withFake(fn: (fake: FakeUpstream, ctx: UpstreamContext) => Promise<void>) {
  const fake = await startFakeUpstream();
  // These tests are about the omni draft's validation, not about where a submit comes from.
  fake.knobs.riskControl = false;
  fake.addSession("s1", { credits: 500 });
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

async function materials(ctx: UpstreamContext): Promise<OmniMaterial[]> {
  const session = createSession("s1");
  const image = await uploadImage(
    ctx,
    session,
    encodePng({ width: 64, height: 48, color: [9, 9, 9] }),
  );
  const clip = await uploadMedia(
    ctx,
    session,
    encodeMp4({ durationMs: 5000, width: 640, height: 360 }),
  );
  const song = await uploadMedia(ctx, session, encodeWav({ durationMs: 3000 }));
  return [
    {
      kind: "image",
      uri: image.uri,
      width: image.width,
      height: image.height,
      format: image.format,
    },
    {
      kind: "video",
      vid: clip.vid,
      durationMs: clip.durationMs!,
      width: clip.width,
      height: clip.height,
    },
    { kind: "audio", vid: song.vid, durationMs: song.durationMs! },
  ];
}

Deno.test("takesOmniReferences() and omniBenefitType() follow the documented rule", () => {
  const ids = [
    "jimeng-video-seedance-2.0",
    "jimeng-video-seedance-2.0-fast",
    "jimeng-video-seedance-2.5",
  ];
  for (const id of ids) assert.ok(takesOmniReferences(video(id)), id);
  assert.ok(!takesOmniReferences(video("jimeng-video-3.0")));
  assert.ok(!takesOmniReferences(video("jimeng-video-3.5-pro")));
  const pro = video("jimeng-video-seedance-2.0");
  assert.equal(omniBenefitType(pro, "720p", false), "dreamina_video_seedance_20_pro");
  assert.equal(omniBenefitType(pro, "720p", true), "dreamina_video_seedance_20_pro_with_video");
  const fast = video("jimeng-video-seedance-2.0-fast");
  assert.equal(omniBenefitType(fast, "720p", true), "dreamina_seedance_20_fast_with_video");
  const vip = video("jimeng-video-seedance-2.0-vip");
  assert.equal(omniBenefitType(vip, "1080p", true), "seedance_20_pro_1080p_output");
  // A catalog model is an ordinary VideoModel: its own benefit type wins; the table fills gaps.
  const catalog: VideoModel = {
    ...pro,
    id: "jimeng-video-x",
    benefitType: { "720p": "cat_benefit" },
  };
  assert.equal(omniBenefitType(catalog, "720p", true), "cat_benefit_with_video");
  assert.equal(
    omniBenefitType({ ...pro, benefitType: {} }, "720p", false),
    "dreamina_video_seedance_20_pro",
  );
});

Deno.test("an omni draft with an image, a video and audio is accepted and recorded", async () => {
  await withFake(async (fake, ctx) => {
    const list = await materials(ctx);
    const params: OmniTaskParams = {
      model: video("jimeng-video-seedance-2.0"),
      ratio: "16:9",
      resolution: "720p",
      durationS: 8,
      materials: list,
      segments: [{ ref: 0 }, { text: " dances like " }, { ref: 1 }, { text: " to " }, { ref: 2 }],
    };
    const historyId = await submitOmniTask(ctx, createSession("s1"), params, crypto.randomUUID());
    const record = fake.record(historyId)!;
    assert.equal(record.prompt, "@1 dances like @2 to @3");
    assert.equal(record.durationMs, 8000);
    assert.deepEqual(record.materials?.map((m) => m.kind), ["image", "video", "audio"]);
    assert.equal(record.materials?.[1].duration, 5);
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("the fake refuses omni drafts the real service would", async () => {
  await withFake(async (fake, ctx) => {
    const list = await materials(ctx);
    const model = video("jimeng-video-seedance-2.0");
    const base: OmniTaskParams = {
      model,
      ratio: "16:9",
      resolution: "720p",
      durationS: 5,
      materials: list,
      segments: [{ text: "go" }, { ref: 0 }],
    };
    const config = ctx.settings.protocol;
    const send = async (body: Record<string, unknown>) => {
      const answer = await callWeb(fake.url, {
        path: "/mweb/v1/aigc_draft/generate",
        sessionId: "s1",
        body,
      });
      return answer.json;
    };
    const build = (params: OmniTaskParams) =>
      buildOmniGenerateBody(params, config, 513695, crypto.randomUUID(), Date.now(), Math.random);
    // Drafts are edited as loose JSON trees here, to break one rule at a time.
    // deno-lint-ignore no-explicit-any
    type Tree = any;
    const mutateDraft = (body: Record<string, unknown>, change: (draft: Tree) => void) => {
      const draft = JSON.parse(body.draft_content as string);
      change(draft);
      return { ...body, draft_content: JSON.stringify(draft) };
    };
    const input = (draft: Tree) =>
      draft.component_list[0].abilities.gen_video.text_to_video_params.video_gen_inputs[0];
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        "ref out of range",
        mutateDraft(build(base), (d) => {
          input(d).unified_edit_input.meta_list[1].material_ref.material_idx = 7;
        }),
        /out of range/,
      ],
      [
        "meta type differs",
        mutateDraft(build(base), (d) => {
          input(d).unified_edit_input.meta_list[1].meta_type = "video";
        }),
        /material 0 is image/,
      ],
      ["no prompt text", build({ ...base, segments: [{ ref: 0 }] }), /no prompt text/],
      ["duration 3 s", build({ ...base, durationS: 3 }), /duration_ms 3000/],
      ["no min_features", mutateDraft(build(base), (d) => (d.min_features = [])), /min_features/],
      [
        "an audio Vid in a video entry",
        mutateDraft(build(base), (d) => {
          const entry = input(d).unified_edit_input.material_list[1];
          entry.video_info.vid = list[2].kind === "audio" ? list[2].vid : "";
        }),
        /is declared video but vid .* is audio/,
      ],
      [
        "video benefit without _with_video",
        (() => {
          const body = build(base);
          const extend = body.extend as Tree;
          extend.m_video_commerce_info.benefit_type = "dreamina_video_seedance_20_pro";
          extend.m_video_commerce_info_list = [extend.m_video_commerce_info];
          return body;
        })(),
        /credit prededuct failed/,
      ],
    ];
    for (const [label, body, reason] of cases) {
      const answer = await send(body);
      assert.equal(answer.ret, "4002", label);
      assert.match(fake.stats.violations.at(-1)!, reason, label);
    }
    // Four videos, and videos longer than 15 s together.
    const session = createSession("s1");
    const clips: OmniMaterial[] = [];
    for (let i = 0; i < 4; i++) {
      const clip = await uploadMedia(ctx, session, encodeMp4({ durationMs: 3000 + i }));
      clips.push({ kind: "video", vid: clip.vid, durationMs: clip.durationMs! });
    }
    await assert.rejects(
      submitOmniTask(ctx, session, { ...base, materials: clips }, crypto.randomUUID()),
      (error: JimengError) => error.kind === "invalid_parameter",
    );
    assert.match(fake.stats.violations.at(-1)!, /4 video materials/);
    const long = await uploadMedia(ctx, session, encodeMp4({ durationMs: 9000 }));
    const longer = await uploadMedia(ctx, session, encodeMp4({ durationMs: 7000 }));
    await assert.rejects(
      submitOmniTask(ctx, session, {
        ...base,
        materials: [long, longer].map((m) => ({
          kind: "video" as const,
          vid: m.vid,
          durationMs: m.durationMs!,
        })),
      }, crypto.randomUUID()),
    );
    assert.match(fake.stats.violations.at(-1)!, /16 s together/);
    const mp3 = await uploadMedia(ctx, session, encodeMp3({ durationMs: 2000 }));
    assert.equal(fake.session("s1").media.find((m) => m.vid === mp3.vid)?.kind, "audio");
    assert.equal(fake.records().length, 0);
  });
});
