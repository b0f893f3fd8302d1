/**
 * A server started without the permissions the browser transport needs (an
 * older `deno run` line) keeps working and says which permissions to add.
 * @module
 */
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startFakeUpstream } from "../fake_upstream/server.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";
import { processEnv, spawnServer } from "../helpers/server_process.ts";
import { GOOD_SESSION } from "../helpers/stack.ts";

Deno.test("without --allow-run/--allow-sys a refused call names the missing permissions", async () => {
  const fake = await startFakeUpstream({ videoLatencyMs: 50 });
  fake.addSession(GOOD_SESSION);
  const dataDir = await Deno.makeTempDir({ prefix: "jimeng-permissions-" });
  const server = await spawnServer({
    env: processEnv(fake.url, dataDir, { CHROMIUM_PATH }),
    permissions: ["--allow-net", "--allow-read", "--allow-write", "--allow-env"],
  });
  try {
    const client = new OpenAI({
      apiKey: GOOD_SESSION,
      baseURL: `${server.url}/v1`,
      maxRetries: 0,
    });
    const created = await client.videos.create({
      model: "jimeng-video-seedance-2.0",
      prompt: "no permission to start a browser",
      seconds: "4",
    });
    let video = created;
    while (video.status !== "completed" && video.status !== "failed") {
      await new Promise((resolve) => setTimeout(resolve, 50));
      video = await client.videos.retrieve(created.id);
    }
    assert.equal(video.status, "failed");
    assert.equal(video.error?.code, "upstream_risk_control");
    assert.match(
      video.error!.message,
      /ret 4013\)\. The browser transport could not send it from the site's page: .*needs --allow-run and --allow-sys=homedir,osRelease/,
    );
    // Everything else still works.
    const image = await client.images.generate({ prompt: "still drawing" });
    assert.equal(image.data?.length, 1);
    assert.equal(server.running(), true);
  } finally {
    await server.stop();
    await fake.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
