/**
 * The browser transport end to end: the fake upstream refuses what the real
 * one refuses unless the call comes from its site page (CN Seedance 2.0 / 2.0
 * Fast submits, every Dreamina write), and real Chromium carries those calls
 * through the official `openai` SDK's requests.
 * @module
 */
import assert from "node:assert/strict";
import type OpenAI from "openai";
import { APIError } from "openai";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";
import { parseExposition } from "../helpers/prometheus.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";
import { waitForValue } from "../helpers/wait.ts";

type Video = OpenAI.Videos.Video;

const GENERATE = "/mweb/v1/aigc_draft/generate";
const CLAIM = "/commerce/v1/benefits/credit_receive";
const QUIET = { DAILY_CLAIM: "false", ACCOUNT_CHECK_INTERVAL_MIN: "0" };

interface RouteJson {
  id: number;
  site: string;
  endpoint: string;
  model: string;
  calls: number;
}

interface BrowserJson {
  mode: string;
  modeSource: string;
  running: boolean;
  problem: string | null;
  calls: { ok: number; failed: number };
  blockedRequests: number;
  launches: number;
  routes: RouteJson[];
}

/** The video once it ended, however long a busy machine makes that take. */
function pollUntilDone(client: OpenAI, id: string): Promise<Video> {
  return waitForValue(
    async () => {
      const video = await client.videos.retrieve(id);
      return video.status === "completed" || video.status === "failed" ? video : undefined;
    },
    `video ${id} to finish`,
    60_000,
  );
}

async function makeVideo(stack: Stack, model: string, prompt: string): Promise<Video> {
  const client = stack.openai();
  const created = await client.videos.create({ model, prompt, seconds: "4" });
  return await pollUntilDone(client, created.id);
}

function recordOf(stack: Stack, prompt: string) {
  return stack.fake.records().find((record) => record.prompt === prompt);
}

Deno.test("CN Seedance 2.0 / 2.0 Fast go through the site's page; the route is remembered, also after a restart", async () => {
  const fake = await startFakeUpstream({ videoLatencyMs: 150 });
  fake.addSession(GOOD_SESSION, { credits: 10_000 });
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-browser-" });
  const env = { ...ADMIN_ENV, ...QUIET, CHROMIUM_PATH, DATA_DIR: dataDir };
  const { stats } = fake;
  try {
    const first = await startStack({ upstream: fake, env });
    try {
      for (const key of ["dreamina_seedance_40_pro", "dreamina_seedance_40"]) {
        first.server.deps.client.poller.learn(key, 150);
      }
      const video = await makeVideo(first, "jimeng-video-seedance-2.0", "waves at dusk");
      assert.equal(video.status, "completed", JSON.stringify(video.error));
      assert.equal(recordOf(first, "waves at dusk")?.model, "dreamina_seedance_40_pro");
      // Refused directly once, then accepted from the page.
      assert.deepEqual(stats.riskRefusals, { [GENERATE]: 1 });
      assert.deepEqual(stats.signedCalls, { [GENERATE]: 1 });
      assert.ok(
        first.logs.some((line) =>
          /route jimeng \/mweb\/v1\/aigc_draft\/generate \(model dreamina_seedance_40_pro\) now goes through the site's page/
            .test(line)
        ),
      );

      // The second call of the route goes straight to the page.
      const again = await makeVideo(first, "jimeng-video-seedance-2.0", "waves at dawn");
      assert.equal(again.status, "completed");
      assert.deepEqual(stats.riskRefusals, { [GENERATE]: 1 });
      assert.deepEqual(stats.signedCalls, { [GENERATE]: 2 });

      // 2.0 Fast through chat: a route of its own.
      const chat = await first.openai().chat.completions.create({
        model: "jimeng-video-seedance-2.0-fast",
        messages: [{ role: "user", content: "a fox running" }],
      });
      assert.match(chat.choices[0].message.content ?? "", /\[Download the video\]/);
      assert.equal(recordOf(first, "a fox running")?.model, "dreamina_seedance_40");
      assert.deepEqual(stats.riskRefusals, { [GENERATE]: 2 });
      assert.deepEqual(stats.signedCalls, { [GENERATE]: 3 });

      // Other models and the reads keep going direct.
      const other = await makeVideo(first, "jimeng-video-seedance-2.5", "a quiet lake");
      assert.equal(other.status, "completed");
      const image = await first.openai().images.generate({ prompt: "a lantern" });
      assert.equal(image.data?.length, 1);
      assert.deepEqual(stats.signedCalls, { [GENERATE]: 3 });
      assert.deepEqual(stats.riskRefusals, { [GENERATE]: 2 });
      assert.deepEqual(stats.badSignatures, []);
      assert.deepEqual(stats.violations, []);

      const scrape = parseExposition(await (await fetch(`${first.url}/metrics`)).text());
      const value = (name: string, labels?: Record<string, string>) => scrape.value(name, labels);
      assert.equal(value("jimeng_browser_calls_total", { path: GENERATE, outcome: "ok" }), 3);
      assert.equal(value("jimeng_browser_routes"), 2);
      assert.equal(value("jimeng_browser_running"), 1);
      assert.equal(value("jimeng_browser_transport_mode", { mode: "auto" }), 1);
      assert.equal(value("jimeng_browser_launches_total"), 1);

      const admin = await loginAdmin(first);
      const status = await admin.json<BrowserJson>("GET", "/browser");
      assert.equal(status.mode, "auto");
      assert.equal(status.modeSource, "default");
      assert.equal(status.running, true);
      assert.deepEqual(status.calls, { ok: 3, failed: 0 });
      assert.deepEqual(
        status.routes.map((r) => [r.site, r.endpoint, r.model, r.calls]),
        [
          ["jimeng", GENERATE, "dreamina_seedance_40_pro", 2],
          ["jimeng", GENERATE, "dreamina_seedance_40", 1],
        ],
      );
    } finally {
      await first.close();
    }

    // After a restart the learned routes go straight to the page.
    const second = await startStack({ upstream: fake, env });
    try {
      second.server.deps.client.poller.learn("dreamina_seedance_40_pro", 150);
      const video = await makeVideo(second, "jimeng-video-seedance-2.0", "waves after a restart");
      assert.equal(video.status, "completed");
      assert.deepEqual(stats.riskRefusals, { [GENERATE]: 2 });
      assert.deepEqual(stats.signedCalls, { [GENERATE]: 4 });

      // A route reset in the console goes direct again (and is learned again).
      const admin = await loginAdmin(second);
      const before = await admin.json<BrowserJson>("GET", "/browser");
      const pro = before.routes.find((r) => r.model === "dreamina_seedance_40_pro")!;
      assert.equal(pro.calls, 3);
      assert.deepEqual(await admin.json("DELETE", `/browser/routes/${pro.id}`), { forgotten: 1 });
      await admin.json("DELETE", `/browser/routes/${pro.id}`, undefined, 404);
      const relearned = await makeVideo(
        second,
        "jimeng-video-seedance-2.0",
        "waves, learned again",
      );
      assert.equal(relearned.status, "completed");
      assert.deepEqual(stats.riskRefusals, { [GENERATE]: 3 });
      assert.deepEqual(stats.signedCalls, { [GENERATE]: 5 });
      assert.deepEqual(await admin.json("DELETE", "/browser/routes"), { forgotten: 2 });
      assert.deepEqual((await admin.json<BrowserJson>("GET", "/browser")).routes, []);
    } finally {
      await second.close();
    }
  } finally {
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("Dreamina images and credit claims succeed through the site's page; reads stay direct", async () => {
  const stack = await startStack({ env: { ...ADMIN_ENV, ...QUIET, CHROMIUM_PATH } });
  const sid = "7a7a1b1b7a7a1b1b7a7a1b1b7a7a1b1b";
  stack.fake.addSession(sid, { region: "us", credits: 200 });
  const { stats } = stack.fake;
  try {
    const admin = await loginAdmin(stack);
    const added = await admin.json<{ added: { id: number }[] }>(
      "POST",
      "/accounts",
      { sessionids: `us-${sid}` },
      201,
    );
    const claim = await admin.json<{ received: number }>(
      "POST",
      `/accounts/${added.added[0].id}/claim`,
    );
    assert.equal(claim.received, 66);
    assert.equal(stats.riskRefusals[CLAIM], 1);
    assert.equal(stats.signedCalls[CLAIM], 1);

    const client = stack.openai(`us-${sid}`);
    const image = await client.images.generate({
      model: "jimeng-image-3.0",
      prompt: "a lighthouse",
    });
    assert.equal(image.data?.length, 1);
    assert.equal(recordOf(stack, "a lighthouse")?.sessionId, sid);
    assert.equal(stats.riskRefusals[GENERATE], 1);
    assert.equal(stats.signedCalls[GENERATE], 1);

    // The same route through chat goes straight to the page.
    const chat = await client.chat.completions.create({
      model: "jimeng-image-3.0",
      messages: [{ role: "user", content: "a harbour at night" }],
    });
    assert.match(chat.choices[0].message.content ?? "", /!\[image_1\]\(http/);
    assert.equal(stats.riskRefusals[GENERATE], 1);
    assert.equal(stats.signedCalls[GENERATE], 2);
    // Credits, history and the rest were read directly.
    assert.deepEqual(Object.keys(stats.signedCalls).sort(), [CLAIM, GENERATE]);
    assert.ok((stats.calls["/mweb/v1/get_history_by_ids"] ?? 0) > 0);
    assert.deepEqual(stats.badSignatures, []);
    assert.deepEqual(stats.violations, []);
    // The claim paid once; each image task was charged once (no refused call was).
    const charged = stack.fake.records().reduce((sum, record) => sum + record.credits, 0);
    assert.equal(stack.fake.records().length, 2);
    assert.equal(stack.fake.session(sid).credits, 200 + 66 - charged);
  } finally {
    await stack.close();
  }
});

Deno.test("without Chromium a refused call says how to enable the transport; other models work", async () => {
  const stack = await startStack({
    env: { ...ADMIN_ENV, ...QUIET, CHROMIUM_PATH: "/nonexistent/chromium" },
    fake: { videoLatencyMs: 100 },
  });
  const sid = "5b5b6c6c5b5b6c6c5b5b6c6c5b5b6c6c";
  stack.fake.addSession(sid, { region: "us" });
  try {
    stack.server.deps.client.poller.learn("dreamina_seedance_40_pro", 100);
    const refused = await makeVideo(stack, "jimeng-video-seedance-2.0", "no browser here");
    assert.equal(refused.status, "failed");
    assert.equal(refused.error?.code, "upstream_risk_control");
    const message = refused.error!.message;
    assert.match(message, /ret 4013/);
    assert.match(message, /CHROMIUM_PATH "\/nonexistent\/chromium" is not an executable file/);
    assert.match(message, /apt install chromium/);
    assert.match(message, /--build-arg WITH_CHROMIUM=true/);

    const video = await makeVideo(stack, "jimeng-video-seedance-2.5", "a working model");
    assert.equal(video.status, "completed");
    const image = await stack.openai().images.generate({ prompt: "still fine" });
    assert.equal(image.data?.length, 1);

    await assert.rejects(
      stack.openai(`us-${sid}`).images.generate({ model: "jimeng-image-3.0", prompt: "x" }),
      (error: APIError) => {
        assert.equal(error.status, 403);
        assert.equal(error.code, "upstream_risk_control");
        assert.match(error.message, /ret -6.*needs Chromium.*CHROMIUM_PATH/);
        return true;
      },
    );
    const admin = await loginAdmin(stack);
    const status = await admin.json<BrowserJson>("GET", "/browser");
    assert.equal(status.running, false);
    assert.match(status.problem ?? "", /not an executable file/);
    assert.deepEqual(status.calls, { ok: 0, failed: 2 });
    assert.deepEqual(stack.fake.stats.signedCalls, {});
    assert.equal(stack.fake.stats.pageLoads, 0);
  } finally {
    await stack.close();
  }
});

/** An HTTP server on loopback that counts the requests it receives. */
function startRequestCanary() {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    requests++;
    return new Response("/* canary */", { headers: { "content-type": "text/javascript" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/canary.js`,
    port: server.addr.port,
    requests: () => requests,
    close: () => server.shutdown(),
  };
}

Deno.test("always sends writes through the page; off never does and says so; the console's mode wins over the default", async () => {
  // Chromium may open a speculative connection to a frame's host before the route refuses the
  // frame; what matters is that no request reaches it.
  const canary = startRequestCanary();
  const stack = await startStack({
    env: { ...ADMIN_ENV, ...QUIET, CHROMIUM_PATH, JIMENG_BROWSER_TRANSPORT: "" },
    fake: { videoLatencyMs: 100 },
  });
  const { stats } = stack.fake;
  // The page also points at another site: the browser must not load it.
  stack.fake.knobs.pageExtraResources = [canary.url, `http://127.0.0.2:${canary.port}/x.js`];
  try {
    const admin = await loginAdmin(stack);
    await admin.json("PUT", "/settings/JIMENG_BROWSER_TRANSPORT", { value: "always" });
    const image = await stack.openai().images.generate({ prompt: "a paper boat" });
    assert.equal(image.data?.length, 1);
    // Straight to the page: no refusal first; the credit read stayed direct.
    assert.deepEqual(stats.signedCalls, { [GENERATE]: 1 });
    assert.deepEqual(stats.riskRefusals, {});
    assert.equal(canary.requests(), 0);
    const status = await admin.json<BrowserJson>("GET", "/browser");
    assert.equal(status.mode, "always");
    assert.equal(status.modeSource, "console");
    assert.ok(status.blockedRequests >= 2, `blocked ${status.blockedRequests}`);
    assert.deepEqual(status.routes, []);

    await admin.json("PUT", "/settings/JIMENG_BROWSER_TRANSPORT", { value: "off" });
    stack.server.deps.client.poller.learn("dreamina_seedance_40", 100);
    const refused = await makeVideo(stack, "jimeng-video-seedance-2.0-fast", "off means off");
    assert.equal(refused.status, "failed");
    assert.equal(refused.error?.code, "upstream_risk_control");
    assert.match(refused.error!.message, /is off: set JIMENG_BROWSER_TRANSPORT to auto/);
    assert.deepEqual(stats.signedCalls, { [GENERATE]: 1 });
    assert.deepEqual(stats.riskRefusals, { [GENERATE]: 1 });
    assert.deepEqual(stats.badSignatures, []);
  } finally {
    await stack.close();
    await canary.close();
  }
});
