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
