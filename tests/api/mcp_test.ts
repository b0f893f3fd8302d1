/**
 * The MCP endpoint with the official MCP SDK client over Streamable HTTP
 * against the real server and the fake upstream: tools listed, an image made
 * and embedded, a video started and polled, credits; authentication (401 with
 * `WWW-Authenticate`), sessions bound to their credentials, `/v1` errors,
 * rate limits and usage rows exactly as for the same `/v1` calls.
 * @module
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";
import { TOOLS } from "../../src/mcp/tools.ts";
import { recentRequests } from "../../src/store/requests.ts";
import { fakePngBytes } from "../fake_upstream/server.ts";
import { startCanary } from "../helpers/canary.ts";
import { parseExposition } from "../helpers/prometheus.ts";
import { ADMIN_ENV, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, type Stack, startStack } from "../helpers/stack.ts";

const ENV = { ...ADMIN_ENV, DAILY_CLAIM: "false", JIMENG_SESSIONS: GOOD_SESSION };

type Content = { type: string; text?: string; data?: string; mimeType?: string };
type ToolAnswer = {
  content: Content[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
};

async function connect(stack: Stack, token: string): Promise<{
  client: Client;
  transport: StreamableHTTPClientTransport;
}> {
  const transport = new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "mcp-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  return await client.callTool({ name, arguments: args }) as unknown as ToolAnswer;
}

async function createKey(stack: Stack, body: Record<string, unknown>) {
  const admin = await loginAdmin(stack);
  return await admin.json<KeyJson & { key: string }>("POST", "/keys", body, 201);
}

const textOf = (answer: ToolAnswer) => answer.content.find((c) => c.type === "text")?.text ?? "";

Deno.test("mcp: the SDK client lists the tools with JSON Schemas and negotiates a session", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const { client, transport } = await connect(stack, GOOD_SESSION);
    try {
      assert.equal(client.getServerVersion()?.name, "jimeng-api");
      assert.match(transport.sessionId ?? "", /^[0-9a-f-]{36}$/);
      assert.match(String(transport.protocolVersion), /^\d{4}-\d{2}-\d{2}$/);
      assert.match(client.getInstructions() ?? "", /get_video/);
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), [
        "generate_image",
        "edit_image",
        "generate_video",
        "get_video",
        "list_models",
        "get_credits",
      ]);
      for (const tool of tools) {
        assert.equal(tool.inputSchema.type, "object");
        assert.ok(tool.description && tool.description.length > 40, tool.name);
      }
      const image = tools.find((t) => t.name === "generate_image")!;
      assert.deepEqual(image.inputSchema.required, ["prompt"]);
      assert.equal(
        (image.inputSchema.properties as Record<string, { type: string }>).reference_image_urls
          .type,
        "array",
      );

      const models = await call(client, "list_models", { kind: "video" });
      const listed = models.structuredContent!.models as { id: string; kind: string }[];
      assert.ok(listed.length > 3);
      assert.ok(listed.every((m) => m.kind === "video"));
    } finally {
      await client.close();
    }
    // MCP messages leave no usage row, and neither does GET /v1/models.
    assert.equal(recentRequests(stack.server.db, 10).length, 0);
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: generate_image embeds the images, gives their URLs and records the usage under the key", async () => {
  const stack = await startStack({ env: ENV });
  try {
    await stack.server.scheduler.idle();
    const key = await createKey(stack, { name: "agent" });
    const { client } = await connect(stack, key.key);
    try {
      const answer = await call(client, "generate_image", {
        prompt: "a lighthouse at dusk",
        n: 2,
        size: "1024x1024",
      });
      assert.equal(answer.isError, undefined, textOf(answer));
      const images = answer.content.filter((c) => c.type === "image");
      assert.equal(images.length, 2);
      for (const image of images) {
        assert.equal(image.mimeType, "image/png");
        const bytes = Uint8Array.from(atob(image.data!), (ch) => ch.charCodeAt(0));
        assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
      }
      const urls = answer.structuredContent!.urls as string[];
      assert.equal(urls.length, 2);
      // This server's own copies, at the address the MCP client reached it at.
      assert.ok(urls.every((url) => url.startsWith(`${stack.url}/media/`)), urls.join(" "));
      assert.match(textOf(answer), /2 image\(s\) generated/);

      const noImages = await call(client, "generate_image", {
        prompt: "only links please",
        include_images: false,
      });
      assert.equal(noImages.content.filter((c) => c.type === "image").length, 0);
      assert.equal((noImages.structuredContent!.urls as string[]).length, 1);
    } finally {
      await client.close();
    }
    const rows = recentRequests(stack.server.db, 10).filter((r) =>
      r.endpoint === "/v1/images/generations"
    );
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.equal(row.status, "ok");
      assert.equal(row.apiKeyId, key.id);
      assert.equal(row.kind, "image");
    }
    assert.equal(rows.find((r) => r.n === 2)?.requestId.length, 36);
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: edit_image takes a data: URL; this server's media URLs are read in-process", async () => {
  const canary = startCanary();
  const stack = await startStack({
    env: { ...ENV, PUBLIC_BASE_URL: `http://127.0.0.1:${canary.port}`, MEDIA_URLS: "local" },
  });
  try {
    const { client } = await connect(stack, GOOD_SESSION);
    try {
      const input = `data:image/png;base64,${btoa(String.fromCharCode(...fakePngBytes("in", 0)))}`;
      const answer = await call(client, "edit_image", {
        prompt: "make it a watercolor",
        image_urls: [input],
        ratio: "4:3",
      });
      assert.equal(answer.isError, undefined, textOf(answer));
      const urls = answer.structuredContent!.urls as string[];
      assert.equal(urls.length, 1);
      assert.match(
        urls[0],
        new RegExp(`^http://127\\.0\\.0\\.1:${canary.port}/media/[\\w-]{22}\\.png$`),
      );
      const [image] = answer.content.filter((c) => c.type === "image");
      assert.equal(image.mimeType, "image/png");
      const [record] = stack.fake.records();
      assert.equal(record.generateType, "blend");
      const bytes = Uint8Array.from(atob(image.data!), (ch) => ch.charCodeAt(0));
      assert.deepEqual(bytes, fakePngBytes(record.historyId, 0));
      assert.equal(canary.connections(), 0, "PUBLIC_BASE_URL was never fetched over the network");

      const missing = await call(client, "edit_image", { prompt: "no input", image_urls: [] });
      assert.equal(missing.isError, true);
      assert.match(textOf(missing), /'image' is required/);
    } finally {
      await client.close();
    }
  } finally {
    await stack.close();
    canary.close();
  }
});

Deno.test("mcp: generate_video answers at once; get_video reports progress, then the URL", async () => {
  const stack = await startStack({ env: ENV, fake: { videoLatencyMs: 600 } });
  try {
    const { client } = await connect(stack, GOOD_SESSION);
    try {
      const started = await call(client, "generate_video", {
        prompt: "waves on rocks",
        model: "jimeng-video-3.0",
        seconds: 5,
        size: "1280x720",
      });
      assert.equal(started.isError, undefined, textOf(started));
      const id = started.structuredContent!.id as string;
      assert.match(id, /^video_[0-9a-f]{32}$/);
      assert.ok(["queued", "in_progress"].includes(started.structuredContent!.status as string));
      assert.equal(started.structuredContent!.seconds, "5");
      assert.match(textOf(started), /get_video/);

      let video = started;
      const seen = new Set<string>();
      while (!["completed", "failed"].includes(video.structuredContent!.status as string)) {
        seen.add(video.structuredContent!.status as string);
        // The job settles on its own; each poll is a real tool call.
        await stack.server.deps.jobs.wait(id, AbortSignal.timeout(200)).catch(() => {});
        video = await call(client, "get_video", { id });
      }
      assert.equal(video.structuredContent!.status, "completed", textOf(video));
      assert.equal(video.structuredContent!.progress, 100);
      assert.match(video.structuredContent!.url as string, /^http:\/\/127\.0\.0\.1:\d+\/.+\.mp4/);
      assert.match(textOf(video), /is ready/);
      assert.ok(seen.size >= 1);

      const missing = await call(client, "get_video", { id: "video_nope" });
      assert.equal(missing.isError, true);
      assert.equal(textOf(missing), "No video with id 'video_nope'");
    } finally {
      await client.close();
    }
    // The creation is a usage row; the polls are reads, counted in /metrics only.
    const endpoints = recentRequests(stack.server.db, 50).map((r) => r.endpoint);
    assert.deepEqual(endpoints, ["/v1/videos"]);
    const reads = parseExposition(await (await fetch(`${stack.url}/metrics`)).text())
      .value("jimeng_api_requests_total", { class: "read" });
    assert.ok((reads ?? 0) >= 2, "the get_video polls are counted as reads");
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: generate_video makes an omni-reference video from references the prompt points at", async () => {
  const stack = await startStack({ env: ENV, fake: { videoLatencyMs: 300 } });
  try {
    stack.server.deps.client.poller.learn("dreamina_seedance_45_pro", 300);
    const { client } = await connect(stack, GOOD_SESSION);
    try {
      const png = `data:image/png;base64,${btoa(String.fromCharCode(...fakePngBytes("ref", 0)))}`;
      const started = await call(client, "generate_video", {
        prompt: "@1 turns into a watercolour",
        model: "jimeng-video-seedance-2.5",
        seconds: 5,
        references: [png],
      });
      assert.equal(started.isError, undefined, textOf(started));
      const id = started.structuredContent!.id as string;
      const done = await stack.server.deps.jobs.wait(id);
      assert.equal(done?.status, "completed", done?.errorMessage ?? "");
      const record = stack.fake.records().find((r) => r.kind === "video")!;
      assert.equal(record.model, "dreamina_seedance_45_pro");
      assert.deepEqual(stack.fake.stats.violations, []);
      // Frames and references are two ways of giving images: not both at once.
      const both = await call(client, "generate_video", {
        prompt: "x",
        first_frame_url: png,
        references: [png],
      });
      assert.equal(both.isError, true);
      assert.match(textOf(both), /either first_frame_url\/last_frame_url or references/);
    } finally {
      await client.close();
    }
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: errors come back as tool errors with the API's message", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const { client } = await connect(stack, GOOD_SESSION);
    try {
      const direct = await stack.openai().images.generate({ model: "no-such-model", prompt: "x" })
        .then(() => assert.fail("expected an error"), (error) => error);
      const answer = await call(client, "generate_image", { model: "no-such-model", prompt: "x" });
      assert.equal(answer.isError, true);
      assert.equal(textOf(answer), direct.error.message);
      const error = answer.structuredContent!.error as Record<string, unknown>;
      assert.equal(error.code, direct.code);
      assert.equal(error.status, direct.status);

      const badArgs = await call(client, "generate_image", { prompt: "x", n: "four" });
      assert.equal(badArgs.isError, true);
      assert.equal(textOf(badArgs), "'n' must be an integer; got a string");
      const unknown = await call(client, "get_video", { id: "video_x", extra: 1 });
      assert.match(textOf(unknown), /^Unknown argument 'extra' for get_video; it takes id$/);
      const noTool = await call(client, "make_coffee");
      assert.equal(noTool.isError, true);
      assert.match(textOf(noTool), /^Unknown tool 'make_coffee'/);

      const blocked = await call(client, "generate_image", { prompt: "a forbidden-word here" });
      assert.equal(blocked.isError, true);
      assert.equal(
        (blocked.structuredContent!.error as { code: string }).code,
        "content_policy_violation",
      );
    } finally {
      await client.close();
    }
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: a tool call takes the key's rate limit like a /v1 call; listing tools does not", async () => {
  const stack = await startStack({ env: ENV });
  try {
    await stack.server.scheduler.idle();
    const key = await createKey(stack, { name: "slow agent", ratePerMinute: 1, quotaPerDay: 500 });
    const { client } = await connect(stack, key.key);
    try {
      await client.listTools();
      await client.listTools();
      const first = await call(client, "generate_image", { prompt: "one", include_images: false });
      assert.equal(first.isError, undefined, textOf(first));
      const second = await call(client, "generate_image", { prompt: "two" });
      assert.equal(second.isError, true);
      assert.match(textOf(second), /^Rate limit reached for API key sk-.*: 1 requests per minute/);

      const credits = await call(client, "get_credits");
      assert.equal(credits.isError, undefined, textOf(credits));
      const view = credits.structuredContent as {
        key: string;
        quota_per_day: number;
        remaining_today: number;
        accounts: { account: string; credits: number | null }[];
      };
      assert.equal(view.key, key.prefix);
      assert.equal(view.quota_per_day, 500);
      assert.equal(view.accounts.length, 1);
      assert.equal(
        view.accounts[0].account,
        `${GOOD_SESSION.slice(0, 4)}…${GOOD_SESSION.slice(-4)}`,
      );
      assert.ok(!JSON.stringify(credits).includes(GOOD_SESSION));
    } finally {
      await client.close();
    }
    // The refused call never got past authentication: no usage row, a "refused" count.
    const rows = recentRequests(stack.server.db, 10).filter((r) => r.apiKeyId === key.id);
    assert.deepEqual(rows.map((r) => r.httpStatus), [200]);
    const scrape = parseExposition(await (await fetch(`${stack.url}/metrics`)).text());
    assert.equal(scrape.value("jimeng_api_requests_total", { class: "refused" }), 1);
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: a tool call is held to the key's quota, credit cap, allow-list and expiry like /v1", async () => {
  const stack = await startStack({ env: ENV, overrides: { creditRefreshMs: 0 } });
  try {
    await stack.server.scheduler.idle();
    // Four 1k images reserve 2 credits (the fake charges 1); a cap of 2 fits one such call.
    const key = await createKey(stack, {
      name: "metered agent",
      quotaPerDay: 100,
      creditCap: 2,
      models: ["jimeng-image-4.5"],
    });
    const { client } = await connect(stack, key.key);
    try {
      const image = { model: "jimeng-image-4.5", size: "1024x1024", n: 4, include_images: false };
      const first = await call(client, "generate_image", { ...image, prompt: "one" });
      assert.equal(first.isError, undefined, textOf(first));
      const notAllowed = await call(client, "generate_image", {
        ...image,
        prompt: "another model",
        model: "jimeng-image-4.0",
      });
      assert.equal(notAllowed.isError, true);
      assert.equal(
        (notAllowed.structuredContent!.error as { code: string }).code,
        "model_not_allowed",
      );
      await stack.server.deps.credits.idle();
      const capped = await call(client, "generate_image", { ...image, prompt: "two" });
      assert.equal(capped.isError, true);
      assert.equal(
        (capped.structuredContent!.error as { code: string }).code,
        "insufficient_quota",
      );
      assert.match(textOf(capped), /credit cap of 2/);
      assert.equal(stack.fake.records().length, 1, "refused calls reached no upstream");

      const credits = await call(client, "get_credits");
      const view = credits.structuredContent as Record<string, unknown>;
      assert.equal(view.credit_cap, 2);
      assert.equal(view.credits_used, 1);
      assert.equal(view.remaining_total, 1);
      assert.equal(view.used_today, 1);

      // Expired: /mcp answers 401 as /v1 does, before any tool runs, and so does /v1 itself.
      stack.server.db.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").run(
        Date.now() - 1,
        key.id,
      );
      await assert.rejects(call(client, "list_models"), /api_key_expired/);
      await assert.rejects(connect(stack, key.key), /api_key_expired/);
      await assert.rejects(
        stack.openai(key.key).images.generate({ prompt: "too late" }),
        (error: { status?: number; code?: string }) =>
          error.status === 401 && error.code === "api_key_expired",
      );
    } finally {
      await client.close().catch(() => {});
    }
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: get_credits of sessionids reads their balances, masked", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const { client } = await connect(stack, GOOD_SESSION);
    try {
      const answer = await call(client, "get_credits");
      const accounts = answer.structuredContent!.accounts as {
        account: string;
        credits: { total: number };
      }[];
      assert.equal(accounts.length, 1);
      assert.equal(accounts[0].account, `${GOOD_SESSION.slice(0, 4)}…${GOOD_SESSION.slice(-4)}`);
      assert.equal(accounts[0].credits.total, 100);
      assert.ok(!textOf(answer).includes(GOOD_SESSION));
    } finally {
      await client.close();
    }
  } finally {
    await stack.close();
  }
});

/** A raw JSON-RPC POST, as a client without the SDK would send it. */
function post(stack: Stack, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}/mcp`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-03-26",
    capabilities: {},
    clientInfo: { name: "raw", version: "1" },
  },
};

Deno.test("mcp: without valid credentials the answer is 401 with WWW-Authenticate", async () => {
  const stack = await startStack({ env: { ...ENV, ALLOW_SESSIONID_AUTH: "false" } });
  try {
    const none = await post(stack, INITIALIZE);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="jimeng-api"');
    assert.match(none.headers.get("content-type") ?? "", /application\/json/);
    assert.equal((await none.json()).error.code, "missing_api_key");

    const wrong = await post(stack, INITIALIZE, { Authorization: "Bearer sk-not-a-real-key-0000" });
    assert.equal(wrong.status, 401);
    assert.equal(
      wrong.headers.get("www-authenticate"),
      'Bearer realm="jimeng-api", error="invalid_token"',
    );
    assert.equal((await wrong.json()).error.code, "invalid_api_key");

    const sessionIds = await post(stack, INITIALIZE, { Authorization: `Bearer ${GOOD_SESSION}` });
    assert.equal(sessionIds.status, 401);
    assert.match((await sessionIds.json()).error.message, /sessionid authentication is off/);

    // The SDK client surfaces it as an HTTP 401.
    await assert.rejects(
      connect(stack, "sk-not-a-real-key-0000"),
      (error: Error) => /401/.test(error.message) || (error as { code?: number }).code === 401,
    );

    const key = await createKey(stack, { name: "revoked soon" });
    const { client, transport } = await connect(stack, key.key);
    const admin = await loginAdmin(stack);
    await admin.json("DELETE", `/keys/${key.id}`);
    const after = await post(stack, { jsonrpc: "2.0", id: 2, method: "tools/list" }, {
      Authorization: `Bearer ${key.key}`,
      "Mcp-Session-Id": transport.sessionId!,
      "Mcp-Protocol-Version": String(transport.protocolVersion),
    });
    assert.equal(after.status, 401);
    assert.match((await after.json()).error.message, /has been revoked/);
    await client.close();
  } finally {
    await stack.close();
  }
});

Deno.test("mcp: sessions belong to their credentials; DELETE ends one; GET is 405; versions are negotiated", async () => {
  const other = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";
  const stack = await startStack({ env: ENV });
  try {
    stack.fake.addSession(other);
    const auth = { Authorization: `Bearer ${GOOD_SESSION}` };
    const init = await post(stack, {
      ...INITIALIZE,
      params: { ...INITIALIZE.params, protocolVersion: "1999-01-01" },
    }, auth);
    assert.equal(init.status, 200);
    const sessionId = init.headers.get("mcp-session-id")!;
    assert.match(sessionId, /^[0-9a-f-]{36}$/);
    assert.match(init.headers.get("content-type") ?? "", /text\/event-stream/);
    const event = await init.text();
    const result = JSON.parse(/^data: (.*)$/m.exec(event)![1]).result;
    // An unknown version is answered with one the server speaks.
    assert.match(result.protocolVersion, /^20\d\d-\d\d-\d\d$/);
    assert.notEqual(result.protocolVersion, "1999-01-01");
    assert.ok(result.capabilities.tools);
    const version = result.protocolVersion as string;

    const list = { jsonrpc: "2.0", id: 2, method: "tools/list" };
    const session = { "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": version };
    const listed = await post(stack, list, { ...auth, ...session });
    assert.equal(listed.status, 200);
    assert.match(await listed.text(), /generate_image/);

    const stolen = await post(stack, list, { Authorization: `Bearer ${other}`, ...session });
    assert.equal(stolen.status, 404);
    assert.equal((await stolen.json()).error.code, -32001);

    const badVersion = await post(stack, list, {
      ...auth,
      "Mcp-Session-Id": sessionId,
      "Mcp-Protocol-Version": "1999-01-01",
    });
    assert.equal(badVersion.status, 400);
    await badVersion.body?.cancel();

    const get = await fetch(`${stack.url}/mcp`, {
      headers: { ...auth, ...session, Accept: "text/event-stream" },
    });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST, DELETE");
    await get.body?.cancel();

    const noSession = await post(stack, list, auth);
    assert.equal(noSession.status, 400);
    await noSession.body?.cancel();

    const ended = await fetch(`${stack.url}/mcp`, {
      method: "DELETE",
      headers: { ...auth, ...session },
    });
    assert.equal(ended.status, 200);
    await ended.body?.cancel();
    const gone = await post(stack, list, { ...auth, ...session });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();

    const preflight = await fetch(`${stack.url}/mcp`, {
      method: "OPTIONS",
      headers: {
        Origin: "http://localhost:6274",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,mcp-session-id",
      },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Mcp-Session-Id/i);
    await preflight.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("TOOLS: every schema names only properties it declares as required", () => {
  for (const tool of TOOLS) {
    for (const name of tool.inputSchema.required ?? []) {
      assert.ok(name in tool.inputSchema.properties, `${tool.name}.${name}`);
    }
  }
});
