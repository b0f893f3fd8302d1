/**
 * The accounts' own model catalogs (2026-10 sheet §3), through the official
 * SDK against the fake's `get_common_config` in the real shape.
 * @module
 */
import assert from "node:assert/strict";
import { APIError } from "openai";
import type OpenAI from "openai";
import type { FakeCatalogModel } from "../fake_upstream/models.ts";
import { GOOD_SESSION, type Stack, type StackOptions, startStack } from "../helpers/stack.ts";

type Video = OpenAI.Videos.Video & { urls?: string[] };
type Listed = OpenAI.Models.Model & {
  kind: string;
  source: string;
  regions: string[];
  resolutions: string[];
  durations?: { kind: string; min?: number; max?: number; seconds?: number[] };
};

const IMAGE_CONFIG = "/mweb/v1/get_common_config";
const VIDEO_CONFIG = "/mweb/v1/video_generate/get_common_config";

/** An image model only the catalog knows. */
const BETA_IMAGE: FakeCatalogModel = {
  kind: "image",
  key: "high_aes_general_v60_beta",
  name: "Seedream 6.0 Beta",
  tiers: ["1k", "2k"],
  regions: ["cn"],
};

/** A video model only the catalog knows, billed with a benefit type no built-in table has. */
const NEW_VIDEO: FakeCatalogModel = {
  kind: "video",
  key: "dreamina_seedance_50_preview",
  name: "Seedance 3.0 (Preview)",
  resolutions: ["720p", "1080p"],
  durationsMs: [4000, 5000, 6000, 7000, 8000],
  benefits: ["seedance_30_preview_720p_output", "seedance_30_preview_1080p_output"],
  regions: ["cn"],
};

/** A stack whose fake and server share a clock that tests can move forward. */
async function catalogStack(options: StackOptions = {}) {
  const clock = { offset: 0 };
  const now = () => Date.now() + clock.offset;
  const stack = await startStack({
    ...options,
    fake: { now, videoLatencyMs: 100, ...options.fake },
    overrides: { upstream: { now }, ...options.overrides },
  });
  stack.fake.knobs.catalog.extraModels.push(BETA_IMAGE, NEW_VIDEO);
  return { stack, clock };
}

async function list(stack: Stack, query = "", token: string | null = GOOD_SESSION) {
  const response = await fetch(`${stack.url}/v1/models${query}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { data: Listed[] }).data;
}

const byId = (models: Listed[], id: string) => models.find((m) => m.id === id);

Deno.test("models.list with a token lists the account's catalog: built-ins keep their ids, new ones get a slug", async () => {
  const { stack } = await catalogStack();
  try {
    const models: Listed[] = [];
    for await (const model of stack.openai().models.list()) models.push(model as Listed);
    const v45 = byId(models, "jimeng-image-4.5")!;
    assert.equal(v45.source, "catalog");
    assert.deepEqual(v45.regions, ["cn"]);
    assert.deepEqual(v45.resolutions, ["2k", "4k", "1k"]);
    assert.ok(byId(models, "jimeng-4.5"), "the seed's aliases stay");
    const beta = byId(models, "jimeng-image-seedream-6.0-beta")!;
    assert.equal(beta.source, "catalog");
    assert.equal(beta.kind, "image");
    assert.deepEqual(beta.resolutions, ["2k", "1k"]);
    const video = byId(models, "jimeng-video-seedance-3.0-preview")!;
    assert.deepEqual(video.resolutions, ["720p", "1080p"]);
    assert.deepEqual(video.durations, { kind: "range", min: 4, max: 8, default: 5 });
    assert.equal(byId(models, "jimeng-image-nanobanana"), undefined, "Dreamina-only: not for CN");
    assert.deepEqual(stack.fake.stats.violations, []);

    const anonymous = await list(stack, "", null);
    assert.equal(byId(anonymous, "jimeng-image-seedream-6.0-beta"), undefined);
    assert.equal(byId(anonymous, "jimeng-image-4.5")!.source, "builtin");
    assert.ok(byId(anonymous, "jimeng-image-nanobanana"), "without a token: the built-in table");
    const videos = await list(stack, "?type=video");
    assert.ok(videos.length > 0 && videos.every((m) => m.kind === "video"));
    const retrieved = await stack.openai().models.retrieve("jimeng-image-seedream-6.0-beta");
    assert.equal((retrieved as Listed).source, "catalog");
    await assert.rejects(
      fetch(`${stack.url}/v1/models/jimeng-image-seedream-6.0-beta`).then(async (r) => {
        assert.equal(r.status, 404);
        throw (await r.json()).error.code;
      }),
      (code) => code === "model_not_found",
    );
  } finally {
    await stack.close();
  }
});

Deno.test("a catalog is read once per TTL, again with ?refresh=true, and kept when reading fails", async () => {
  const { stack, clock } = await catalogStack({ env: { MODEL_CATALOG_TTL_MIN: "5" } });
  try {
    const calls = () => stack.fake.stats.calls[IMAGE_CONFIG] ?? 0;
    await list(stack, "?type=image");
    await list(stack, "?type=image");
    assert.equal(calls(), 1, "the copy is used within the TTL");
    await list(stack, "?type=image&refresh=true");
    assert.equal(calls(), 2, "?refresh=true reads it again");
    clock.offset += 6 * 60_000;
    await list(stack, "?type=image");
    assert.equal(calls(), 3, "read again after the TTL");

    stack.fake.knobs.catalog.fail = true;
    clock.offset += 6 * 60_000;
    const stale = await list(stack, "?type=image");
    assert.equal(calls(), 4);
    assert.equal(byId(stale, "jimeng-image-seedream-6.0-beta")!.source, "catalog", "the last copy");
    await list(stack, "?type=image");
    assert.equal(calls(), 4, "a failed read is not repeated at once");

    const other = "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a";
    stack.fake.addSession(other);
    const fallback = await list(stack, "?type=image", other);
    assert.equal(byId(fallback, "jimeng-image-seedream-6.0-beta"), undefined);
    assert.equal(byId(fallback, "jimeng-image-4.5")!.source, "builtin", "no copy: the table");
    assert.ok(stack.logs.some((line) => line.includes("Could not read the image model catalog")));
  } finally {
    await stack.close();
  }
});

Deno.test("a model only the catalog knows generates images with the catalog's resolutions", async () => {
  const { stack } = await catalogStack();
  try {
    const result = await stack.openai().images.generate({
      model: "jimeng-image-seedream-6.0-beta",
      prompt: "a glass whale",
      n: 2,
      size: "4096x4096",
    });
    assert.equal(result.data?.length, 2);
    const [record] = stack.fake.records();
    assert.equal(record.model, BETA_IMAGE.key);
    assert.equal(record.resolutionType, "2k", "4k is not offered: the largest it has");
    assert.equal(record.itemCount, 2);
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("a video model only the catalog knows runs as a job, billed with the catalog's benefit type", async () => {
  const { stack } = await catalogStack();
  try {
    const client = stack.openai();
    await assert.rejects(
      client.videos.create({
        model: "jimeng-video-seedance-3.0-preview",
        prompt: "too long",
        seconds: "12" as OpenAI.Videos.VideoSeconds,
      }),
      (error) => error instanceof APIError && error.status === 400 && /4 to 8/.test(error.message),
    );
    const created = await client.videos.create({
      model: "jimeng-video-seedance-3.0-preview",
      prompt: "a paper crane unfolding",
      seconds: "6" as OpenAI.Videos.VideoSeconds,
      size: "1920x1080" as OpenAI.Videos.VideoSize,
    }) as Video;
    await stack.server.deps.jobs.wait(created.id);
    const done = await client.videos.retrieve(created.id) as Video;
    assert.equal(done.status, "completed", JSON.stringify(done.error));
    const [record] = stack.fake.records();
    assert.equal(record.model, NEW_VIDEO.key);
    assert.equal(record.durationMs, 6000);
    assert.equal(record.videoResolution, "1080p");
    assert.deepEqual(
      stack.fake.stats.violations,
      [],
      "the fake accepted the catalog's benefit type",
    );
  } finally {
    await stack.close();
  }
});

Deno.test("a model the catalog marks unavailable is a 404 before anything is submitted", async () => {
  const { stack } = await catalogStack();
  try {
    stack.fake.knobs.catalog.unavailable.push("high_aes_general_v43", NEW_VIDEO.key);
    const client = stack.openai();
    for (
      const attempt of [
        () => client.images.generate({ model: "jimeng-image-4.7", prompt: "a fox" }),
        () =>
          client.chat.completions.create({
            model: "jimeng-4.7",
            messages: [{ role: "user", content: "a fox" }],
          }),
        () => client.videos.create({ model: "jimeng-video-seedance-3.0-preview", prompt: "a fox" }),
      ]
    ) {
      await assert.rejects(attempt(), (error) => {
        assert.ok(error instanceof APIError);
        assert.equal(error.status, 404);
        assert.equal(error.code, "model_not_found");
        assert.equal(error.param, "model");
        assert.match(error.message, /not available to your Jimeng account\(s\).*model_status 1/);
        assert.match(error.message, /use one of 'jimeng-image|use one of 'jimeng-video/);
        return true;
      });
    }
    assert.deepEqual(stack.fake.stats.submits, {}, "nothing was submitted");
    assert.equal(stack.server.deps.jobs.list({ limit: 10, order: "desc" }).jobs.length, 0);
    const listed = await list(stack);
    assert.equal(byId(listed, "jimeng-image-4.7"), undefined, "not listed either");
    assert.ok(byId(listed, "jimeng-image-4.6"));
  } finally {
    await stack.close();
  }
});

Deno.test("MODEL_CATALOG_TTL_MIN=0 keeps to the built-in table", async () => {
  const { stack } = await catalogStack({ env: { MODEL_CATALOG_TTL_MIN: "0" } });
  try {
    const models = await list(stack);
    assert.ok(models.every((m) => m.source === "builtin"));
    await stack.openai().images.generate({ model: "jimeng-image-4.0", prompt: "a kite" });
    assert.equal(stack.fake.stats.calls[IMAGE_CONFIG] ?? 0, 0);
    assert.equal(stack.fake.stats.calls[VIDEO_CONFIG] ?? 0, 0);
  } finally {
    await stack.close();
  }
});
