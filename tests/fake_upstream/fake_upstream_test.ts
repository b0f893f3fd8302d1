import assert from "node:assert/strict";
import { computeSign } from "../../src/jimeng/sign.ts";
import { probeImage } from "./media.ts";
import { callWeb, imageGenerateBody, type WebAnswer, type WebCall } from "./raw_client.ts";
import {
  fakePngBytes,
  type FakeUpstream,
  type FakeUpstreamOptions,
  startFakeUpstream,
} from "./server.ts";

const START = Date.UTC(2026, 0, 11, 3, 0, 0); // 11:00 in Asia/Shanghai

/** Starts a fake with one CN session "s1" and a controllable clock; closes it afterwards. */
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

async function generate(fake: FakeUpstream, clock: { t: number }, body: unknown, session = "s1") {
  return await callWeb(fake.url, {
    path: "/mweb/v1/aigc_draft/generate",
    sessionId: session,
    body,
    now: clock.t,
  });
}

async function poll(fake: FakeUpstream, clock: { t: number }, ids: string[], session = "s1") {
  const answer = await callWeb(fake.url, {
    path: "/mweb/v1/get_history_by_ids",
    sessionId: session,
    body: { history_ids: ids },
    now: clock.t,
  });
  assert.equal(answer.json.ret, "0");
  return data(answer) as Record<string, Record<string, unknown>>;
}

Deno.test("user_credit answers a correctly signed call with both envelope payloads", async () => {
  await withFake({}, async (fake, clock) => {
    const answer = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "s1",
      body: {},
      now: clock.t,
      query: { region: "cn" },
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.ret, "0");
    assert.equal(typeof answer.json.svr_time, "number");
    const payload = data(answer);
    assert.deepEqual(payload.credit, { vip_credit: 0, gift_credit: 100, purchase_credit: 0 });
    assert.deepEqual(JSON.parse(answer.json.response as string), payload);
    assert.deepEqual(fake.stats.violations, []);
    assert.equal(fake.stats.calls["/commerce/v1/benefits/user_credit"], 1);
  });
});

Deno.test("web calls with a wrong Sign, no cookie or a stale Device-Time are violations", async () => {
  await withFake({}, async (fake, clock) => {
    const path = "/commerce/v1/benefits/user_credit";
    const cases: Partial<WebCall>[] = [
      { headers: { Sign: "0".repeat(32) } },
      { headers: { Cookie: "sid_tt=s1" } },
      { now: clock.t - 3600_000 },
      { headers: { "Device-Time": "1768100000.5" } },
    ];
    for (const extra of cases) {
      const answer = await callWeb(fake.url, {
        path,
        sessionId: "s1",
        body: {},
        now: clock.t,
        ...extra,
      });
      assert.equal(answer.json.ret, "4002");
      assert.match(answer.json.errmsg as string, /^invalid request: /);
    }
    assert.equal(fake.stats.violations.length, 4);
    assert.match(fake.stats.violations[0], /Sign does not match/);
    assert.match(fake.stats.violations[1], /no sessionid/);
    assert.match(fake.stats.violations[2], /off the server clock/);
  });
});

Deno.test("Sign over the path plus a leading part of the query is accepted", async () => {
  await withFake({}, async (fake, clock) => {
    const deviceTime = Math.floor(clock.t / 1000);
    const uri = "/mweb/v1/get_upload_token?aid=513695&da_version=3.2.2&aigc_features=app_lip_sync";
    const sign = computeSign({
      path: `/${uri.slice(-7)}`,
      platform: "7",
      appVersion: "5.8.0",
      deviceTime,
    });
    const answer = await callWeb(fake.url, {
      path: "/mweb/v1/get_upload_token",
      sessionId: "s1",
      body: { scene: 2 },
      now: clock.t,
      query: { aid: "513695", da_version: "3.2.2", aigc_features: "app_lip_sync" },
      headers: { Sign: sign },
    });
    assert.equal(answer.json.ret, "0");
    assert.match(String(data(answer).access_key_id), /^AKTP/);
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("passport reports a live session, then user_id 0 once expired; mweb says 1015", async () => {
  await withFake({}, async (fake, clock) => {
    const call = () =>
      callWeb(fake.url, {
        path: "/passport/account/info/v2",
        sessionId: "s1",
        now: clock.t,
        query: { account_sdk_source: "web" },
      });
    const live = await call();
    const userId = (live.json.data as { user_id: number }).user_id;
    assert.ok(userId > 0);
    assert.equal(live.json.message, "success");
    assert.equal(((await call()).json.data as { user_id: number }).user_id, userId);
    fake.expire("s1");
    const dead = await call();
    assert.equal((dead.json.data as { user_id: number }).user_id, 0);
    assert.equal(dead.json.message, "error");
    const generateAnswer = await generate(fake, clock, imageGenerateBody({ prompt: "a cat" }));
    assert.equal(generateAnswer.json.ret, "1015");
    const unknown = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "nobody",
      body: {},
      now: clock.t,
    });
    assert.equal(unknown.json.ret, "1015");
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("passport answers 404 on Dreamina, as the real hosts do; credits work there", async () => {
  await withFake({}, async (fake, clock) => {
    fake.addSession("us1", { region: "us" });
    const passport = await callWeb(fake.url, {
      path: "/passport/account/info/v2",
      sessionId: "us1",
      now: clock.t,
      region: "us",
      query: { account_sdk_source: "web" },
    });
    assert.equal(passport.status, 404);
    const credits = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "us1",
      body: {},
      now: clock.t,
      region: "us",
    });
    assert.equal(credits.json.ret, "0");
  });
});

Deno.test("a session called on the wrong regional cluster gets 1015 and a violation", async () => {
  await withFake({}, async (fake, clock) => {
    fake.addSession("us1", { region: "us" });
    const answer = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "us1",
      body: {},
      now: clock.t,
      region: "cn",
    });
    assert.equal(answer.json.ret, "1015");
    assert.equal(fake.stats.violations.length, 1);
    const right = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "us1",
      body: {},
      now: clock.t,
      region: "us",
    });
    assert.equal(right.json.ret, "0");
  });
});

Deno.test("credit_receive pays once per Asia/Shanghai day", async () => {
  await withFake({}, async (fake, clock) => {
    fake.setCredits("s1", 0);
    const receive = () =>
      callWeb(fake.url, {
        path: "/commerce/v1/benefits/credit_receive",
        sessionId: "s1",
        body: { time_zone: "Asia/Shanghai" },
        now: clock.t,
      });
    const first = data(await receive());
    assert.equal(first.is_first_receive, true);
    assert.equal(first.receive_quota, 66);
    assert.equal(first.cur_total_credits, 66);
    const again = await receive();
    assert.equal(again.json.ret, "0");
    assert.equal(data(again).receive_quota, 0);
    assert.equal(fake.session("s1").credits, 66);
    clock.t += 13 * 3600_000; // past midnight in Shanghai
    assert.equal(data(await receive()).is_first_receive, true);
    assert.equal(fake.session("s1").credits, 132);
    const bad = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/credit_receive",
      sessionId: "s1",
      body: { time_zone: "UTC" },
      now: clock.t,
    });
    assert.equal(bad.json.ret, "4002");
  });
});

Deno.test("text-to-image completes at the first poll with 4 downloadable PNGs", async () => {
  await withFake({}, async (fake, clock) => {
    const answer = await generate(fake, clock, imageGenerateBody({ prompt: "a red fox" }));
    assert.equal(answer.json.ret, "0");
    const aigc = data(answer).aigc_data as Record<string, unknown>;
    assert.match(aigc.history_record_id as string, /^\d+$/);
    assert.equal(aigc.generate_type, 1);
    assert.equal((aigc.task as { status: number }).status, 20);
    assert.deepEqual(aigc.item_list, []);
    const id = aigc.history_record_id as string;
    const record = (await poll(fake, clock, [id]))[id];
    assert.equal(record.status, 50);
    const items = record.item_list as {
      image: { large_images: { image_url: string; width: number; height: number }[] };
      item_id: string;
    }[];
    assert.equal(items.length, 4);
    for (const [index, item] of items.entries()) {
      const large = item.image.large_images[0];
      assert.equal(large.width, 2048);
      const response = await fetch(large.image_url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "image/png");
      const bytes = new Uint8Array(await response.arrayBuffer());
      assert.deepEqual(probeImage(bytes), { width: 16, height: 16, format: "png" });
      assert.deepEqual(bytes, fakePngBytes(id, index));
    }
    assert.equal(fake.session("s1").credits, 98);
    assert.equal(fake.record(id)?.firstDeliveredAt, clock.t);
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("a record progresses 20 → 42 → 45 → 50 with its latency", async () => {
  await withFake({ imageLatencyMs: 10_000 }, async (fake, clock) => {
    const answer = await generate(fake, clock, imageGenerateBody({ prompt: "slow", tier: "1k" }));
    const id = (data(answer).aigc_data as { history_record_id: string }).history_record_id;
    const seen: number[] = [];
    for (let step = 0; step <= 10; step++) {
      clock.t = START + step * 1000;
      const record = (await poll(fake, clock, [id, "123"]))[id];
      seen.push(record.status as number);
      assert.equal((record.item_list as unknown[]).length, record.status === 50 ? 4 : 0);
      // Never queued: no queue fields.
      assert.equal(record.queue_info, undefined);
      assert.equal(record.forecast_queue_cost, undefined);
    }
    // 20 first, then 42, then 45, each for a while (where they change varies by record).
    assert.equal(seen[0], 20);
    assert.equal(seen.at(-1), 50);
    assert.deepEqual([...new Set(seen)], [20, 42, 45, 50]);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.ok(seen.filter((s) => s === 45).length >= 5, JSON.stringify(seen));
    assert.equal(fake.record(id)?.firstDeliveredAt, clock.t);
    assert.equal(fake.stats.historyIdsPolled[id], 11);
    assert.deepEqual(fake.stats.historyCallSizes, Array(11).fill(2));
    // finishAt is the instant the record turned 50: a poll a millisecond earlier saw 45.
    assert.equal(fake.record(id)?.finishAt, START + 10_000);
    clock.t = START + 9_999;
    assert.equal(fake.record(id)?.status, 45);
  });
});

Deno.test("the status changes fall at different times for different records", async () => {
  await withFake({ imageLatencyMs: 10_000 }, async (fake, clock) => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await generate(fake, clock, imageGenerateBody({ prompt: `vary ${i}` }));
      ids.push((data(answer).aigc_data as { history_record_id: string }).history_record_id);
    }
    /** When each record was first seen at 42. */
    const turned42 = new Map<string, number>();
    for (let t = 0; t < 10_000; t += 100) {
      clock.t = START + t;
      const records = await poll(fake, clock, ids);
      for (const id of ids) {
        if (records[id].status === 42 && !turned42.has(id)) turned42.set(id, t);
      }
    }
    assert.equal(turned42.size, ids.length);
    assert.ok(new Set(turned42.values()).size > 1, JSON.stringify([...turned42.values()]));
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("a queued record counts its queue down with a forecast, then runs", async () => {
  await withFake({ imageLatencyMs: 3000, queueMs: 4000 }, async (fake, clock) => {
    const answer = await generate(fake, clock, imageGenerateBody({ prompt: "in line" }));
    const aigc = data(answer).aigc_data as Record<string, unknown>;
    const id = aigc.history_record_id as string;
    assert.equal(aigc.forecast_queue_cost, 4);
    assert.deepEqual(aigc.queue_info, {
      queue_idx: 10,
      priority: 2,
      queue_length: 10,
      polling_config: { interval_seconds: 30, timeout_seconds: 86400 },
    });
    const positions: number[] = [];
    const forecasts: number[] = [];
    for (const t of [1000, 2000, 3000, 3999]) {
      clock.t = START + t;
      const record = (await poll(fake, clock, [id]))[id];
      assert.equal(record.status, 20);
      positions.push((record.queue_info as { queue_idx: number }).queue_idx);
      forecasts.push(record.forecast_queue_cost as number);
    }
    assert.deepEqual(positions, [8, 5, 3, 1]);
    assert.deepEqual(forecasts, [3, 2, 1, 1]);
    // Out of the queue: zeros, as observed on running records that were queued.
    clock.t = START + 4000;
    const running = (await poll(fake, clock, [id]))[id];
    assert.equal(running.forecast_queue_cost, 0);
    assert.equal((running.queue_info as { queue_idx: number }).queue_idx, 0);
    assert.equal((running.queue_info as { queue_length: number }).queue_length, 0);
    assert.equal(fake.record(id)?.runStartAt, START + 4000);
    assert.equal(fake.record(id)?.finishAt, START + 7000);
    clock.t = START + 6999;
    assert.equal((await poll(fake, clock, [id]))[id].status, 45);
    clock.t = START + 7000;
    assert.equal((await poll(fake, clock, [id]))[id].status, 50);
  });
});

Deno.test("the jitter knob spreads run and queue times around the knobs, reproducibly", async () => {
  const finishes = async (seed: number) => {
    const out: number[] = [];
    await withFake({ imageLatencyMs: 10_000, queueMs: 2000, seed }, async (fake, clock) => {
      fake.knobs.jitter = 0.3;
      for (let i = 0; i < 20; i++) {
        const answer = await generate(fake, clock, imageGenerateBody({ prompt: `j ${i}` }));
        const id = (data(answer).aigc_data as { history_record_id: string }).history_record_id;
        const record = fake.record(id)!;
        out.push(record.runStartAt - START, record.finishAt - record.runStartAt);
      }
    });
    return out;
  };
  const a = await finishes(7);
  assert.deepEqual(await finishes(7), a);
  assert.notDeepEqual(await finishes(8), a);
  const queues = a.filter((_, i) => i % 2 === 0);
  const runs = a.filter((_, i) => i % 2 === 1);
  assert.ok(queues.every((ms) => ms >= 1400 && ms <= 2600), JSON.stringify(queues));
  assert.ok(runs.every((ms) => ms >= 7000 && ms <= 13_000), JSON.stringify(runs));
  assert.ok(new Set(runs).size > 15);
});

Deno.test("a repeated submit_id returns the same record and charges once", async () => {
  await withFake({}, async (fake, clock) => {
    const body = imageGenerateBody({ prompt: "same", submitId: "sub-1" });
    const first = data(await generate(fake, clock, body)).aigc_data as Record<string, unknown>;
    const second = data(await generate(fake, clock, body)).aigc_data as Record<string, unknown>;
    assert.equal(second.history_record_id, first.history_record_id);
    assert.equal(fake.session("s1").credits, 98);
    assert.equal(fake.stats.submits["sub-1"], 2);
    assert.equal(fake.records().length, 1);
  });
});

Deno.test("insufficient credits and free-tier 2k answer 1006; free-tier 1k works", async () => {
  await withFake({}, async (fake, clock) => {
    fake.setCredits("s1", 1);
    const poor = await generate(fake, clock, imageGenerateBody({ prompt: "x", tier: "2k" }));
    assert.equal(poor.json.ret, "1006");
    assert.deepEqual(poor.json.data, {
      aigc_data: null,
      fail_code: "1006",
      fail_starling_key: "web_dre_m10n_generate_popup_credit_ininsufficient_title",
      fail_starling_message: "积分不足",
    });
    fake.addSession("free", { freeTier: true, credits: 50 });
    const free2k = await generate(fake, clock, imageGenerateBody({ prompt: "x" }), "free");
    assert.equal(free2k.json.ret, "1006");
    const free1k = await generate(
      fake,
      clock,
      imageGenerateBody({ prompt: "x", tier: "1k", width: 1664, height: 936 }),
      "free",
    );
    assert.equal(free1k.json.ret, "0");
    assert.equal(fake.session("free").credits, 49);
    assert.deepEqual(fake.stats.violations, []);
  });
});

Deno.test("a banned word ends the record with status 30 and fail_code 2038", async () => {
  await withFake({}, async (fake, clock) => {
    const answer = await generate(fake, clock, imageGenerateBody({ prompt: "a forbidden-word" }));
    const id = (data(answer).aigc_data as { history_record_id: string }).history_record_id;
    const record = (await poll(fake, clock, [id]))[id];
    assert.equal(record.status, 30);
    assert.equal(record.fail_code, "2038");
    assert.deepEqual(record.item_list, []);
  });
});

Deno.test("invalid drafts are refused with 4002 and the reason", async () => {
  await withFake({}, async (fake, clock) => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [imageGenerateBody({ prompt: "x", width: 1000, height: 1000 }), /not a 2k size/],
      [imageGenerateBody({ prompt: "x", model: "high_aes_general_v30l:general_v3.0_18b" }), /2k/],
      [
        imageGenerateBody({ prompt: "x", model: "external_model_gemini_flash_image_v25" }),
        /not served/,
      ],
      [imageGenerateBody({ prompt: "x", aid: 513641 }), /aid/],
      [{ ...imageGenerateBody({ prompt: "x" }), draft_content: { type: "draft" } }, /JSON string/],
      [
        imageGenerateBody({ prompt: "x", references: ["tos-cn-i-tb4s082cfz/0000"] }),
        /not committed/,
      ],
    ];
    for (const [body, reason] of cases) {
      const answer = await generate(fake, clock, body);
      assert.equal(answer.json.ret, "4002");
      assert.match(answer.json.errmsg as string, reason);
    }
    assert.equal(fake.stats.violations.length, cases.length);
    assert.equal(fake.session("s1").credits, 100);
  });
});

Deno.test("history lag hides a new record; other sessions never see it", async () => {
  await withFake({}, async (fake, clock) => {
    fake.knobs.historyLagMs = 2000;
    fake.addSession("s2");
    const answer = await generate(fake, clock, imageGenerateBody({ prompt: "lag" }));
    const id = (data(answer).aigc_data as { history_record_id: string }).history_record_id;
    assert.deepEqual(await poll(fake, clock, [id]), {});
    clock.t += 2000;
    assert.equal((await poll(fake, clock, [id]))[id].status, 50);
    assert.deepEqual(await poll(fake, clock, [id], "s2"), {});
  });
});

Deno.test("minAppVersion refuses older Appvr with 3018; anti-bot answers 1019", async () => {
  await withFake({ minAppVersion: "8.4.0" }, async (fake, clock) => {
    const old = await generate(fake, clock, imageGenerateBody({ prompt: "x" }));
    assert.equal(old.json.ret, "3018");
    fake.knobs.antiBotRate = 1;
    const blocked = await callWeb(fake.url, {
      path: "/mweb/v1/get_common_config",
      sessionId: "s1",
      body: {},
      now: clock.t,
      appVersion: "8.4.0",
    });
    assert.equal(blocked.json.ret, "1019");
    fake.knobs.antiBotRate = 0;
    const config = await callWeb(fake.url, {
      path: "/mweb/v1/get_common_config",
      sessionId: "s1",
      body: { is_client_filter: false, need_beta_model: true },
      query: {
        web_version: "7.5.0",
        da_version: "3.3.20",
        aigc_features: "app_lip_sync",
        needCache: "true",
        needRefresh: "false",
      },
      now: clock.t,
      appVersion: "8.4.0",
    });
    assert.ok(JSON.stringify(config.json.data).includes('"model_req_key":"high_aes_general_v50"'));
    assert.equal(fake.stats.antiBotRejections, 1);
  });
});
