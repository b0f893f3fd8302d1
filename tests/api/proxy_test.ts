import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { APIError, toFile } from "openai";
import type OpenAI from "openai";
import type { AccountJson } from "../../src/dashboard/accounts_routes.ts";
import { encodeMp4, encodeWav } from "../fake_upstream/av_media.ts";
import { encodePng } from "../fake_upstream/media.ts";
import { isVodAction } from "../fake_upstream/vod.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { startHttpProxy, startSocksProxy, type TestProxy } from "../helpers/proxies.ts";
import { type Stack, startStack } from "../helpers/stack.ts";
import { waitForValue } from "../helpers/wait.ts";

type Video = OpenAI.Videos.Video & { urls?: string[] };

const VIA_HTTP = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";
const VIA_SOCKS = "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const DIRECT = "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3";
const PROXY_AUTH = { username: "acct-1", password: "proxy-pass-7d1e" };
const VIDEO_3 = "dreamina_ic_generate_video_model_vgfm_3.0";
const PNG = encodePng({ width: 64, height: 48, color: [10, 120, 200] });

/** Background work off: every upstream request in a phase comes from that phase's calls. */
const QUIET = { ...ADMIN_ENV, DAILY_CLAIM: "false", ACCOUNT_CHECK_INTERVAL_MIN: "0" };
/** Balances are read right after each generation, not up to 2 s later. */
const overrides = { creditRefreshMs: 0 };

/** The fake's key of a request path (its `stats.calls` keys). */
function callKey(path: string): string {
  const url = new URL(path, "http://fake");
  if (url.pathname === "/" && url.searchParams.has("Action")) {
    const action = url.searchParams.get("Action");
    return `${isVodAction(action) ? "vod" : "imagex"}:${action}`;
  }
  if (url.pathname.startsWith("/upload/v1/")) return "upload";
  if (url.pathname.startsWith("/cdn/")) return "cdn";
  return url.pathname;
}

function sorted(counts: Record<string, number>): [string, number][] {
  return Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => a.localeCompare(b));
}

/** What the fake served and what a proxy relayed since the last `take`. */
function recorder(stack: Stack, proxies: TestProxy[]) {
  let fakeSeen = { ...stack.fake.stats.calls };
  let relayedSeen = proxies.map((p) => p.requests.length);
  return async function take() {
    // Background downloads and balance reads belong to the phase that caused them.
    await stack.server.deps.media.idle();
    await stack.server.deps.credits.idle();
    const now = stack.fake.stats.calls;
    const fake: Record<string, number> = {};
    for (const [key, n] of Object.entries(now)) fake[key] = n - (fakeSeen[key] ?? 0);
    const relayed = proxies.map((proxy, i) => {
      const counts: Record<string, number> = {};
      for (const request of proxy.requests.slice(relayedSeen[i])) {
        counts[callKey(request.path)] = (counts[callKey(request.path)] ?? 0) + 1;
      }
      return counts;
    });
    fakeSeen = { ...now };
    relayedSeen = proxies.map((p) => p.requests.length);
    return { fake: sorted(fake), relayed: relayed.map(sorted) };
  };
}

/** The video once it ended, however long a busy machine makes that take. */
function pollUntilDone(client: OpenAI, id: string): Promise<Video> {
  return waitForValue(
    async () => {
      const video = await client.videos.retrieve(id) as Video;
      return video.status === "completed" || video.status === "failed" ? video : undefined;
    },
    `video ${id} to finish`,
    60_000,
  );
}

Deno.test("a proxied account's every upstream request passes its proxy; a direct account's pass none", async () => {
  const http = startHttpProxy({ auth: PROXY_AUTH });
  const socks = startSocksProxy({ auth: PROXY_AUTH });
  const socksH = socks.url.replace("socks5://", "socks5h://");
  const stack = await startStack({
    overrides,
    fake: { videoLatencyMs: 300 },
    env: {
      ...QUIET,
      JIMENG_SESSIONS: `${http.url}@${VIA_HTTP},${socksH}@${VIA_SOCKS},${DIRECT}`,
    },
  });
  try {
    for (const sid of [VIA_HTTP, VIA_SOCKS, DIRECT]) stack.fake.addSession(sid);
    for (const key of [VIDEO_3, `${VIDEO_3}_pro`]) stack.server.deps.client.poller.learn(key, 300);
    const take = recorder(stack, [http, socks]);

    // Through the HTTP proxy: an upload, a generation, b64_json (a CDN download), the media
    // cache's downloads, a video with a first frame, its cover streamed from the CDN.
    const client = stack.openai(VIA_HTTP);
    const edited = await client.images.edit({
      image: await toFile(PNG, "ref.png", { type: "image/png" }),
      prompt: "the same, in watercolour",
      response_format: "b64_json",
    });
    assert.ok(edited.data![0].b64_json!.length > 100);
    const created = await client.videos.create({
      model: "jimeng-video-3.0",
      prompt: "waves",
      seconds: "5" as OpenAI.Videos.VideoSeconds,
      input_reference: await toFile(PNG, "first.png", { type: "image/png" }),
    }) as Video;
    const done = await pollUntilDone(client, created.id);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    const cover = await fetch(`${stack.url}/v1/videos/${created.id}/content?variant=thumbnail`, {
      headers: { Authorization: `Bearer ${VIA_HTTP}` },
    });
    assert.equal(cover.status, 200, await cover.clone().text());
    assert.ok((await cover.arrayBuffer()).byteLength > 0);
    const phase1 = await take();
    const keys1 = phase1.fake.map(([key]) => key);
    for (
      const key of [
        "/mweb/v1/get_upload_token",
        "imagex:ApplyImageUpload",
        "upload",
        "imagex:CommitImageUpload",
        "/mweb/v1/aigc_draft/generate",
        "cdn",
      ]
    ) assert.ok(keys1.includes(key), `phase 1 made a ${key} request: ${keys1}`);
    assert.deepEqual(phase1.relayed[0], phase1.fake, "every request went through the HTTP proxy");
    assert.deepEqual(phase1.relayed[1], [], "none through the SOCKS5 proxy");
    assert.ok(http.requests.every((r) => r.via === "forward"));

    // Through the SOCKS5 proxy (socks5h: the proxy resolves names).
    const socksClient = stack.openai(VIA_SOCKS);
    const image = await socksClient.images.generate({ prompt: "a lighthouse" });
    assert.ok(image.data![0].url);
    const phase2 = await take();
    assert.ok(phase2.fake.length > 0);
    assert.deepEqual(phase2.relayed[1], phase2.fake, "every request went through SOCKS5");
    assert.deepEqual(phase2.relayed[0], []);

    // The direct account: the upstream sees it, no proxy does.
    const directClient = stack.openai(DIRECT);
    await directClient.images.edit({
      image: await toFile(PNG, "ref.png", { type: "image/png" }),
      prompt: "direct",
      response_format: "b64_json",
    });
    const phase3 = await take();
    assert.ok(phase3.fake.some(([key]) => key === "upload"));
    assert.deepEqual(phase3.relayed, [[], []]);
    assert.equal(http.refused + socks.refused, 0);
    assert.deepEqual([...http.blocked, ...socks.blocked], []);

    // The console shows each account's proxy without its password.
    const admin = await loginAdmin(stack);
    const { data } = await admin.json<{ data: AccountJson[] }>("GET", "/accounts");
    const proxies = data.map((a) => a.proxy);
    assert.deepEqual(proxies, [
      { source: "account", label: `http://ac…:****@127.0.0.1:${http.port}` },
      { source: "account", label: `socks5h://ac…:****@127.0.0.1:${socks.port}` },
      null,
    ]);
    assert.ok(!JSON.stringify(data).includes(PROXY_AUTH.password));
    assert.ok(!stack.logs.some((line) => line.includes(PROXY_AUTH.password)));
  } finally {
    await stack.close();
    await Promise.all([http.close(), socks.close()]);
  }
});

Deno.test("a failing proxy is proxy_error: the request fails over, the account shows it, then recovers", async () => {
  const http = startHttpProxy({ auth: PROXY_AUTH });
  const wrong = http.url.replace(PROXY_AUTH.password, "not-the-password");
  const stack = await startStack({
    overrides,
    env: { ...QUIET, JIMENG_SESSIONS: `${wrong}@${VIA_HTTP},${DIRECT}` },
  });
  try {
    stack.fake.addSession(VIA_HTTP, { credits: 5000 });
    stack.fake.addSession(DIRECT, { credits: 10 });
    const admin = await loginAdmin(stack);
    const accounts = (await admin.json<{ data: AccountJson[] }>("GET", "/accounts")).data;
    // The direct account's balance is known (10); the proxied one's is not, so it goes first.
    await admin.json("POST", `/accounts/${accounts[1].id}/check`);

    // An API key uses both accounts: the proxied one fails, the direct one serves.
    const key = await admin.json<{ key: string }>("POST", "/keys", { name: "k" }, 201);
    const result = await stack.openai(key.key).images.generate({ prompt: "a quiet street" });
    assert.ok(result.data![0].url);
    assert.ok(stack.logs.some((l) => l.includes("proxy failed; trying the next account")));
    assert.ok(http.refused >= 3, "retried through the proxy, then the next account");
    assert.equal(stack.fake.session(VIA_HTTP).historyIds.length, 0);
    assert.equal(stack.fake.session(DIRECT).historyIds.length, 1);
    const listed = (await admin.json<{ data: AccountJson[] }>("GET", "/accounts")).data;
    assert.deepEqual(listed.map((a) => a.health), ["proxy_error", "ok"]);

    // A check through the refusing proxy says what failed.
    const checked = await admin.json<AccountJson>("POST", `/accounts/${accounts[0].id}/check`);
    assert.equal(checked.health, "proxy_error");
    assert.match(checked.lastCheckError!, /proxy http:\/\/ac…:\*\*\*\*@127\.0\.0\.1:\d+ failed/);
    assert.ok(!checked.lastCheckError!.includes("not-the-password"));

    // Only that account: its own error, OpenAI-style, naming the proxy but not the password.
    const error = await stack.openai(VIA_HTTP).images.generate({ prompt: "x" }).catch((e) => e);
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 502);
    assert.equal((error.error as { code: string }).code, "proxy_error");
    assert.match(error.message, /proxy http:\/\/ac…:\*\*\*\*@127\.0\.0\.1:\d+ failed/);
    assert.ok(!error.message.includes("not-the-password"));

    // Fixing the proxy in the console clears the state at the next check.
    const fixed = await admin.json<AccountJson>("PATCH", `/accounts/${accounts[0].id}`, {
      proxy: http.url,
    });
    assert.equal(fixed.proxy?.label, `http://ac…:****@127.0.0.1:${http.port}`);
    const again = await admin.json<AccountJson>("POST", `/accounts/${accounts[0].id}/check`);
    assert.equal(again.health, "ok");
    assert.ok(http.requests.length > 0);
    assert.ok(!stack.logs.some((line) => line.includes(PROXY_AUTH.password)));
  } finally {
    await stack.close();
    await http.close();
  }
});

Deno.test("JIMENG_PROXY carries accounts without their own; direct and the console's value apply", async () => {
  const first = startHttpProxy();
  const second = startSocksProxy();
  const stack = await startStack({
    overrides,
    env: { ...QUIET, JIMENG_PROXY: first.url, JIMENG_SESSIONS: `${VIA_HTTP},direct@${DIRECT}` },
  });
  try {
    for (const sid of [VIA_HTTP, DIRECT]) stack.fake.addSession(sid);
    const take = recorder(stack, [first, second]);
    await stack.openai(VIA_HTTP).images.generate({ prompt: "one" });
    const viaDefault = await take();
    assert.deepEqual(viaDefault.relayed[0], viaDefault.fake);
    await stack.openai(DIRECT).images.generate({ prompt: "two" });
    const direct = await take();
    assert.ok(direct.fake.length > 0);
    assert.deepEqual(direct.relayed, [[], []]);

    const admin = await loginAdmin(stack);
    const { data } = await admin.json<{ data: AccountJson[] }>("GET", "/accounts");
    assert.deepEqual(data.map((a) => a.proxy), [
      { source: "default", label: `http://127.0.0.1:${first.port}` },
      { source: "direct", label: null },
    ]);
    // The environment wins over the console.
    const refused = await admin.call("PUT", "/settings/JIMENG_PROXY", { value: second.url });
    assert.equal(refused.status, 400);
    assert.equal((await refused.json()).error.code, "not_changeable");
  } finally {
    await stack.close();
    await Promise.all([first.close(), second.close()]);
  }
});

Deno.test("JIMENG_PROXY set in the console applies at once", async () => {
  const proxy = startSocksProxy({ auth: PROXY_AUTH });
  const stack = await startStack({ overrides, env: { ...QUIET, JIMENG_SESSIONS: VIA_HTTP } });
  try {
    stack.fake.addSession(VIA_HTTP);
    const take = recorder(stack, [proxy]);
    await stack.openai(VIA_HTTP).images.generate({ prompt: "before" });
    assert.deepEqual((await take()).relayed, [[]]);
    const admin = await loginAdmin(stack);
    const bad = await admin.call("PUT", "/settings/JIMENG_PROXY", { value: "ftp://x:1" });
    assert.equal(bad.status, 400);
    await admin.json("PUT", "/settings/JIMENG_PROXY", { value: proxy.url });
    const config = await admin.json<{ settings: { env: string; value: string | null }[] }>(
      "GET",
      "/config",
    );
    const shown = JSON.stringify(config);
    assert.ok(!shown.includes(PROXY_AUTH.password), "the console never shows the proxy password");
    await stack.openai(VIA_HTTP).images.generate({ prompt: "after" });
    const after = await take();
    assert.deepEqual(after.relayed[0], after.fake);
  } finally {
    await stack.close();
    await proxy.close();
  }
});

Deno.test("a proxy in a Bearer token is refused with 400 unless ALLOW_TOKEN_PROXY", async () => {
  const proxy = startHttpProxy();
  const refusing = await startStack({ overrides, env: QUIET });
  try {
    refusing.fake.addSession(VIA_HTTP);
    const error = await refusing.openai(`${proxy.url}@${VIA_HTTP}`).images
      .generate({ prompt: "x" }).catch((e) => e);
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 400);
    assert.equal((error.error as { code: string }).code, "token_proxy_not_allowed");
    assert.match(error.message, /ALLOW_TOKEN_PROXY=true/);
    assert.equal(proxy.requests.length + proxy.tunnels.length, 0);
    assert.equal(Object.values(refusing.fake.stats.calls).reduce((a, b) => a + b, 0), 0);
  } finally {
    await refusing.close();
  }
  const allowing = await startStack({ overrides, env: { ...QUIET, ALLOW_TOKEN_PROXY: "true" } });
  try {
    allowing.fake.addSession(VIA_HTTP);
    const take = recorder(allowing, [proxy]);
    const bad = await allowing.openai(`ftp://h:1@${VIA_HTTP}`).images.generate({ prompt: "x" })
      .catch((e) => e);
    assert.equal(bad.status, 400);
    assert.equal((bad.error as { code: string }).code, "invalid_proxy");
    const result = await allowing.openai(`${proxy.url}@${VIA_HTTP}`).images
      .generate({ prompt: "through the caller's proxy" });
    assert.ok(result.data![0].url);
    const phase = await take();
    assert.ok(phase.fake.length > 0);
    assert.deepEqual(phase.relayed[0], phase.fake);
  } finally {
    await allowing.close();
    await proxy.close();
  }
});

Deno.test("MCP's embedded images are downloaded through the proxy of the account that made them", async () => {
  const proxy = startSocksProxy({ auth: PROXY_AUTH });
  const stack = await startStack({
    overrides,
    // Without the media cache MCP downloads the image itself (with it, it reads the cached file).
    env: { ...QUIET, JIMENG_SESSIONS: `${proxy.url}@${VIA_SOCKS}`, MEDIA_CACHE: "false" },
  });
  try {
    stack.fake.addSession(VIA_SOCKS);
    const take = recorder(stack, [proxy]);
    const transport = new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${VIA_SOCKS}` } },
    });
    const client = new Client({ name: "proxy-test", version: "1.0.0" });
    await client.connect(transport);
    try {
      const answer = await client.callTool({
        name: "generate_image",
        arguments: { prompt: "a mill by a river", n: 1 },
      }) as { content: { type: string }[]; isError?: boolean };
      assert.equal(answer.isError, undefined, JSON.stringify(answer));
      assert.equal(answer.content.filter((c) => c.type === "image").length, 1);
    } finally {
      await client.close();
    }
    const phase = await take();
    // The generation and MCP's own download of the image: all through SOCKS5.
    assert.ok((phase.fake.find(([key]) => key === "cdn")?.[1] ?? 0) >= 1, JSON.stringify(phase));
    assert.deepEqual(phase.relayed[0], phase.fake);
  } finally {
    await stack.close();
    await proxy.close();
  }
});

Deno.test("an omni video's VOD uploads go through the account's proxy too", async () => {
  const proxy = startHttpProxy({ auth: PROXY_AUTH });
  const stack = await startStack({
    overrides,
    fake: { videoLatencyMs: 300 },
    env: { ...QUIET, JIMENG_SESSIONS: `${proxy.url}@${VIA_HTTP}` },
  });
  try {
    stack.fake.addSession(VIA_HTTP);
    stack.server.deps.client.poller.learn("dreamina_seedance_45_pro", 300);
    const take = recorder(stack, [proxy]);
    const dataUrl = (type: string, bytes: Uint8Array) =>
      `data:${type};base64,${btoa(String.fromCharCode(...bytes))}`;
    const client = stack.openai(VIA_HTTP);
    const created = await client.videos.create({
      model: "jimeng-video-seedance-2.5",
      prompt: "@image1 dances like @video1 to @audio1",
      seconds: "8",
      references: [
        dataUrl("image/png", PNG),
        dataUrl("video/mp4", encodeMp4({ durationMs: 5000, width: 640, height: 360 })),
        dataUrl("audio/wav", encodeWav({ durationMs: 3000 })),
      ],
    } as OpenAI.Videos.VideoCreateParams) as Video;
    const done = await pollUntilDone(client, created.id);
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    assert.equal(stack.fake.stats.vodUploads, 2);
    const phase = await take();
    const keys = phase.fake.map(([key]) => key);
    assert.ok(keys.includes("vod:ApplyUploadInner") && keys.includes("vod:CommitUploadInner"));
    assert.deepEqual(phase.relayed[0], phase.fake);
  } finally {
    await stack.close();
    await proxy.close();
  }
});
