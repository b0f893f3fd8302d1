/**
 * The fake as the upstream is in late 2026 (`jimeng-upstream-2026-10.md`):
 * `gen_option.gen_count`, the model catalog's real shape, the downloadable
 * video item, Dreamina's workspaces and credit answers.
 * @module
 */
import assert from "node:assert/strict";
import { imageCost } from "./models.ts";
import { fakeVideoBytes } from "./media.ts";
import { callWeb, imageGenerateBody, videoGenerateBody, type WebAnswer } from "./raw_client.ts";
import { type FakeUpstream, type FakeUpstreamOptions, startFakeUpstream } from "./server.ts";

const START = Date.UTC(2026, 9, 11, 3, 0, 0);

async function withFake(
  options: FakeUpstreamOptions,
  fn: (fake: FakeUpstream, clock: { t: number }) => Promise<void>,
): Promise<void> {
  const clock = { t: START };
  const fake = await startFakeUpstream({ now: () => clock.t, ...options });
  fake.addSession("s1");
  try {
    await fn(fake, clock);
  } finally {
    await fake.close();
  }
}

const data = (answer: WebAnswer) => answer.json.data as Record<string, unknown>;

function generate(fake: FakeUpstream, clock: { t: number }, body: unknown, session = "s1") {
  return callWeb(fake.url, {
    path: "/mweb/v1/aigc_draft/generate",
    sessionId: session,
    body,
    now: clock.t,
  });
}

Deno.test("gen_option.gen_count makes that many images and charges for them", async () => {
  await withFake({}, async (fake, clock) => {
    for (const count of [1, 2, 3, 4]) {
      const answer = await generate(
        fake,
        clock,
        imageGenerateBody({
          prompt: `count ${count}`,
          tier: "4k",
          genOption: { gen_count: count, generate_all: false },
        }),
      );
      assert.equal(answer.json.ret, "0", JSON.stringify(answer.json));
      const id = (data(answer).aigc_data as { history_record_id: string }).history_record_id;
      const record = fake.record(id)!;
      assert.equal(record.itemCount, count);
      assert.equal(record.genCount, count);
      assert.equal(record.credits, imageCost("4k", count));
      clock.t += 60_000;
      const polled = await callWeb(fake.url, {
        path: "/mweb/v1/get_history_by_ids",
        sessionId: "s1",
        body: { history_ids: [id] },
        now: clock.t,
      });
      const items = (data(polled)[id] as { item_list: unknown[] }).item_list;
      assert.equal(items.length, count);
    }
    assert.equal(fake.session("s1").credits, 100 - (1 + 2 + 3 + 4));
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("without gen_option, or with the count in the wrong place, a task makes four", async () => {
  await withFake({}, async (fake, clock) => {
    const plain = await generate(fake, clock, imageGenerateBody({ prompt: "plain" }));
    const misplaced = await generate(
      fake,
      clock,
      imageGenerateBody({ prompt: "misplaced", coreExtra: { gen_count: 1 } }),
    );
    for (const answer of [plain, misplaced]) {
      const id = (data(answer).aigc_data as { history_record_id: string }).history_record_id;
      assert.equal(fake.record(id)!.itemCount, 4);
      assert.equal(fake.record(id)!.genCount, null);
    }
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("a malformed gen_option is refused as an invalid request", async () => {
  await withFake({}, async (fake, clock) => {
    const bad: unknown[] = [
      { gen_count: 5, generate_all: false },
      { gen_count: 0, generate_all: false },
      { gen_count: "2", generate_all: false },
      { gen_count: 2 },
      { gen_count: 2, generate_all: true },
      { gen_count: 2, generate_all: false, count: 2 },
      [2],
    ];
    for (const genOption of bad) {
      const answer = await generate(fake, clock, imageGenerateBody({ prompt: "x", genOption }));
      assert.equal(answer.json.ret, "4002", JSON.stringify(genOption));
    }
    assert.equal(fake.stats.violations.length, bad.length);
    assert.equal(fake.records().length, 0);
    assert.equal(fake.session("s1").credits, 100);
  });
});

Deno.test("Dreamina image submits need the issued workspace, no sceneOptions, Dreamina's core fields", async () => {
  await withFake({}, async (fake, clock) => {
    // About the Dreamina body's validation, not where a write comes from (see site_page_test.ts).
    fake.knobs.riskControl = false;
    fake.addSession("us1", { region: "us" });
    const workspaces = await callWeb(fake.url, {
      path: "/mweb/v1/workspace/list",
      sessionId: "us1",
      region: "us",
      body: {},
      now: clock.t,
    });
    assert.equal(workspaces.json.ret, "0");
    const [workspace] = data(workspaces).workspaces as { workspace_id: number }[];
    assert.equal(typeof workspace.workspace_id, "number");
    assert.equal(workspace.workspace_id, fake.session("us1").workspaceId);
    const dreamina = { intelligent_ratio: false, generate_type: 0 };
    const body = (extra: Parameters<typeof imageGenerateBody>[0]) =>
      imageGenerateBody({ model: "high_aes_general_v40l", aid: 513641, ...extra });
    const send = (payload: unknown) =>
      callWeb(fake.url, {
        path: "/mweb/v1/aigc_draft/generate",
        sessionId: "us1",
        region: "us",
        body: payload,
        now: clock.t,
      });
    const refused = [
      body({ prompt: "no workspace", coreExtra: dreamina }),
      body({
        prompt: "another workspace",
        coreExtra: dreamina,
        extend: { workspace_id: workspace.workspace_id + 1 },
      }),
      body({
        prompt: "as a string",
        coreExtra: dreamina,
        extend: { workspace_id: String(workspace.workspace_id) },
      }),
      body({
        prompt: "scene options",
        coreExtra: dreamina,
        extend: { workspace_id: workspace.workspace_id },
        metrics: { sceneOptions: "[]" },
      }),
      body({ prompt: "CN core", extend: { workspace_id: workspace.workspace_id } }),
    ];
    for (const payload of refused) assert.equal((await send(payload)).json.ret, "4002");
    assert.equal(fake.stats.violations.length, refused.length);
    const accepted = await send(
      body({
        prompt: "right",
        coreExtra: dreamina,
        extend: { workspace_id: workspace.workspace_id },
      }),
    );
    assert.equal(accepted.json.ret, "0", JSON.stringify(accepted.json));
    assert.equal(fake.records().length, 1);
  });
});

Deno.test("Dreamina credit answers carry the payload only as a JSON string", async () => {
  await withFake({}, async (fake, clock) => {
    fake.addSession("us1", { region: "us", credits: 136 });
    const answer = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "us1",
      region: "us",
      body: {},
      now: clock.t,
    });
    assert.equal(answer.json.ret, "0");
    assert.equal(answer.json.data, undefined);
    const payload = JSON.parse(answer.json.response as string);
    assert.deepEqual(payload.credit, { vip_credit: 0, gift_credit: 136, purchase_credit: 0 });
    const cn = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "s1",
      body: {},
      now: clock.t,
    });
    assert.deepEqual(cn.json.data, JSON.parse(cn.json.response as string), "CN sends both");
  });
});

/** Makes a finished video record for `session` and returns its item id. */
async function finishedVideo(fake: FakeUpstream, clock: { t: number }, session: string) {
  const answer = await generate(fake, clock, videoGenerateBody({ prompt: "a reef" }), session);
  const id = (data(answer).aigc_data as { history_record_id: string }).history_record_id;
  clock.t += 60_000;
  const polled = await callWeb(fake.url, {
    path: "/mweb/v1/get_history_by_ids",
    sessionId: session,
    body: { history_ids: [id] },
    now: clock.t,
  });
  const [item] = (data(polled)[id] as { item_list: { item_id: string }[] }).item_list;
  return { historyId: id, itemId: item.item_id };
}

function localItems(fake: FakeUpstream, clock: { t: number }, session: string, body: unknown) {
  return callWeb(fake.url, {
    path: "/mweb/v1/get_local_item_list",
    sessionId: session,
    body,
    now: clock.t,
  });
}

const DOWNLOAD = {
  pack_item_opt: { scene: 1, need_data_integrity: true },
  is_for_video_download: true,
};

Deno.test("get_local_item_list names the high-bitrate file, and watermark-free ones when entitled", async () => {
  await withFake({}, async (fake, clock) => {
    fake.addSession("vip", { watermarkFree: true });
    for (const session of ["s1", "vip"]) {
      const { historyId, itemId } = await finishedVideo(fake, clock, session);
      const answer = await localItems(fake, clock, session, {
        item_id_list: [itemId],
        ...DOWNLOAD,
      });
      assert.equal(answer.json.ret, "0");
      const [item] = data(answer).item_list as {
        common_attr: { transcoded_video: { origin: { video_url: string } } };
        video: { video_model?: string };
      }[];
      const hq = item.common_attr.transcoded_video.origin.video_url;
      assert.deepEqual(
        new Uint8Array(await (await fetch(hq)).arrayBuffer()),
        fakeVideoBytes(historyId, "hq"),
      );
      if (session === "s1") {
        assert.equal(item.video.video_model, undefined, "not entitled: no watermark-free files");
        continue;
      }
      assert.equal(typeof item.video.video_model, "string");
      const list = JSON.parse(item.video.video_model!).video_list;
      const big = atob(list.video_2.main_url);
      const small = atob(list.video_1.main_url);
      assert.deepEqual(
        new Uint8Array(await (await fetch(big)).arrayBuffer()),
        fakeVideoBytes(historyId, "nowm"),
      );
      assert.deepEqual(
        new Uint8Array(await (await fetch(small)).arrayBuffer()),
        fakeVideoBytes(historyId, "nowm_small"),
      );
    }
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("get_local_item_list refuses other bodies and fails on the knob", async () => {
  await withFake({}, async (fake, clock) => {
    const { itemId } = await finishedVideo(fake, clock, "s1");
    const bad = [
      { item_id_list: [itemId] },
      {
        item_id_list: [itemId],
        pack_item_opt: { scene: 2, need_data_integrity: true },
        is_for_video_download: true,
      },
      { item_id_list: [itemId], pack_item_opt: { scene: 1, need_data_integrity: true } },
      { item_id_list: [], ...DOWNLOAD },
    ];
    for (const body of bad) {
      assert.equal((await localItems(fake, clock, "s1", body)).json.ret, "4002");
    }
    assert.equal(fake.stats.violations.length, bad.length);
    fake.knobs.localItemsFail = true;
    const failed = await localItems(fake, clock, "s1", { item_id_list: [itemId], ...DOWNLOAD });
    assert.equal(failed.json.ret, "1");
  });
});

const IMAGE_QUERY = {
  web_version: "7.5.0",
  da_version: "3.3.20",
  aigc_features: "app_lip_sync",
  needCache: "true",
  needRefresh: "false",
};
const VIDEO_QUERY = { web_version: "7.5.0", da_version: "3.3.20", aigc_features: "app_lip_sync" };
const IMAGE_BODY = { is_client_filter: false, need_beta_model: true };
const VIDEO_BODY = { scene: "generate_video", params: { needCache: true, needRefresh: false } };

function catalog(
  fake: FakeUpstream,
  clock: { t: number },
  kind: "image" | "video",
  overrides: { query?: Record<string, string>; body?: unknown } = {},
) {
  return callWeb(fake.url, {
    path: kind === "image"
      ? "/mweb/v1/get_common_config"
      : "/mweb/v1/video_generate/get_common_config",
    sessionId: "s1",
    now: clock.t,
    query: overrides.query ?? (kind === "image" ? IMAGE_QUERY : VIDEO_QUERY),
    body: "body" in overrides ? overrides.body : kind === "image" ? IMAGE_BODY : VIDEO_BODY,
  });
}

type Item = {
  model_req_key: string;
  model_status: number;
  options: {
    key: string;
    enum_val?: { string_value: string[] };
    edit_config_val?: Record<string, number>;
  }[];
  commercial_config: {
    resolution_price_configs: { resolution: string; price: { benefit_type: string } }[];
  };
};

Deno.test("get_common_config answers model_list items in the real shape", async () => {
  await withFake({}, async (fake, clock) => {
    const images = data(await catalog(fake, clock, "image")).model_list as Item[];
    const v50p = images.find((item) => item.model_req_key === "high_aes_general_v50p_large")!;
    assert.equal(v50p.model_status, 0);
    assert.deepEqual(
      v50p.options.find((o) => o.key === "resolution")!.enum_val!.string_value,
      ["1.5k", "2k", "4k"],
    );
    assert.ok(!images.some((item) => item.model_req_key === "dreamina_image_lib_1"), "CN only");
    const videos = data(await catalog(fake, clock, "video")).model_list as Item[];
    const pro = videos.find((item) => item.model_req_key === "dreamina_seedance_40_pro_vision")!;
    const edit = pro.options.find((o) => o.key === "edit_config")!.edit_config_val!;
    assert.deepEqual([edit.edit_min_video_duration, edit.edit_max_video_duration], [5, 10]);
    assert.deepEqual(
      pro.commercial_config.resolution_price_configs.map((
        c,
      ) => [c.resolution, c.price.benefit_type]),
      [
        ["720p", "seedance_20_pro_720p_output"],
        ["1080p", "seedance_20_pro_1080p_output"],
        ["4k", "seedance_20_pro_4k_output"],
      ],
    );
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("get_common_config refuses other queries and bodies", async () => {
  await withFake({}, async (fake, clock) => {
    const bad = [
      catalog(fake, clock, "image", { body: {} }),
      catalog(fake, clock, "image", { query: { ...IMAGE_QUERY, needRefresh: "maybe" } }),
      catalog(fake, clock, "image", { query: { web_version: "7.5.0", da_version: "3.3.20" } }),
      catalog(fake, clock, "video", { body: { scene: "generate_video" } }),
      catalog(fake, clock, "video", { body: { ...VIDEO_BODY, extra: 1 } }),
      catalog(fake, clock, "video", { body: IMAGE_BODY }),
    ];
    for (const answer of await Promise.all(bad)) assert.equal(answer.json.ret, "4002");
    assert.equal(fake.stats.violations.length, bad.length);
  });
});

Deno.test("catalog knobs add a model generate accepts, mark one unavailable, and fail the call", async () => {
  await withFake({}, async (fake, clock) => {
    fake.knobs.catalog.extraModels.push({
      kind: "image",
      key: "high_aes_general_v60_beta",
      name: "Seedream 6.0 Beta",
      tiers: ["2k"],
      regions: ["cn"],
    });
    fake.knobs.catalog.unavailable.push("high_aes_general_v40");
    const items = data(await catalog(fake, clock, "image")).model_list as Item[];
    const status = (key: string) => items.find((item) => item.model_req_key === key)?.model_status;
    assert.equal(status("high_aes_general_v60_beta"), 0);
    assert.equal(status("high_aes_general_v40"), 1);
    const beta = await generate(
      fake,
      clock,
      imageGenerateBody({ prompt: "beta", model: "high_aes_general_v60_beta" }),
    );
    assert.equal(beta.json.ret, "0", JSON.stringify(beta.json));
    const offline = await generate(fake, clock, imageGenerateBody({ prompt: "off" }));
    assert.equal(offline.json.ret, "2061");
    fake.knobs.catalog.fail = true;
    assert.equal((await catalog(fake, clock, "image")).json.ret, "1");
    assert.equal((await catalog(fake, clock, "video")).json.ret, "1");
    assert.deepEqual(fake.stats.violations, []);
  });
});
