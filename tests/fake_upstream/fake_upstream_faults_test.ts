import assert from "node:assert/strict";
import { callWeb, imageGenerateBody } from "./raw_client.ts";
import { type FakeUpstream, type FaultKind, startFakeUpstream } from "./server.ts";
import { computeSign } from "../../src/jimeng/sign.ts";

async function withFake(fn: (fake: FakeUpstream) => Promise<void>, seed = 1): Promise<void> {
  const fake = await startFakeUpstream({ seed });
  fake.addSession("s1");
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

/** A signed generate request without reading the answer (fault answers may not be JSON). */
function rawGenerate(fake: FakeUpstream, body: unknown, signal?: AbortSignal): Promise<Response> {
  const path = "/mweb/v1/aigc_draft/generate";
  const deviceTime = Math.floor(Date.now() / 1000);
  return fetch(`${fake.url}${path}?aid=513695&device_platform=web&region=CN`, {
    method: "POST",
    signal,
    headers: {
      "Content-Type": "application/json",
      "Appvr": "5.8.0",
      "Pf": "7",
      "Device-Time": String(deviceTime),
      "Sign": computeSign({ path, platform: "7", appVersion: "5.8.0", deviceTime }),
      "Cookie": "sessionid=s1",
    },
    body: JSON.stringify(body),
  });
}

function only(fake: FakeUpstream, kind: FaultKind, afterProcessing = false): void {
  fake.knobs.faults = { rate: 1, kinds: [kind], pathPattern: /generate/, afterProcessing };
}

Deno.test("a 5xx after processing keeps the record; the retry with the same submit_id reuses it", async () => {
  await withFake(async (fake) => {
    only(fake, "5xx", true);
    const body = imageGenerateBody({ prompt: "retry me", submitId: "sub-retry" });
    const failed = await rawGenerate(fake, body);
    assert.ok(failed.status === 502 || failed.status === 503);
    await failed.body?.cancel();
    assert.equal(fake.records().length, 1);
    assert.equal(fake.session("s1").credits, 98);
    fake.knobs.faults.rate = 0;
    const retried = await callWeb(fake.url, {
      path: "/mweb/v1/aigc_draft/generate",
      sessionId: "s1",
      body,
    });
    const aigc = (retried.json.data as { aigc_data: { history_record_id: string } }).aigc_data;
    assert.equal(aigc.history_record_id, fake.records()[0].historyId);
    assert.equal(fake.session("s1").credits, 98);
    assert.equal(fake.stats.submits["sub-retry"], 2);
    assert.equal(fake.stats.faultsInjected, 1);
  });
});

Deno.test("a 5xx before processing has no effect", async () => {
  await withFake(async (fake) => {
    only(fake, "5xx");
    const response = await rawGenerate(fake, imageGenerateBody({ prompt: "x", submitId: "sub-x" }));
    assert.ok(response.status >= 500);
    await response.body?.cancel();
    assert.equal(fake.records().length, 0);
    assert.equal(fake.stats.submits["sub-x"], undefined);
    assert.equal(fake.stats.calls["/mweb/v1/aigc_draft/generate"], 1);
  });
});

Deno.test("reset, truncated and html faults break the body in their own way", async () => {
  await withFake(async (fake) => {
    only(fake, "reset", true);
    const reset = await rawGenerate(fake, imageGenerateBody({ prompt: "x" }));
    assert.equal(reset.status, 200);
    await assert.rejects(() => reset.text());
    only(fake, "truncated");
    const truncated = await rawGenerate(fake, imageGenerateBody({ prompt: "x" }));
    const text = await truncated.text();
    assert.ok(text.startsWith('{"ret":"0"'));
    assert.throws(() => JSON.parse(text));
    only(fake, "html");
    const html = await rawGenerate(fake, imageGenerateBody({ prompt: "x" }));
    assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(await html.text(), /<html>/);
    assert.equal(fake.records().length, 1); // only the after-processing reset ran
  });
});

Deno.test("a hung request ends when the client gives up", async () => {
  await withFake(async (fake) => {
    only(fake, "hang");
    await assert.rejects(() =>
      rawGenerate(fake, imageGenerateBody({ prompt: "x" }), AbortSignal.timeout(100))
    );
    assert.equal(fake.records().length, 0);
  });
});

Deno.test("close() releases hung and slow requests without leaking timers", async () => {
  const fake = await startFakeUpstream();
  fake.addSession("s1");
  only(fake, "hang");
  const hung = rawGenerate(fake, imageGenerateBody({ prompt: "x" }));
  // Let the request reach the handler before switching the fault kind.
  while (!fake.stats.calls["/mweb/v1/aigc_draft/generate"]) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  only(fake, "slow");
  const slow = rawGenerate(fake, imageGenerateBody({ prompt: "y" }));
  while (fake.stats.calls["/mweb/v1/aigc_draft/generate"] < 2) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await fake.close();
  const hungAnswer = await hung;
  assert.equal(hungAnswer.status, 503);
  await hungAnswer.body?.cancel();
  const slowAnswer = await slow;
  assert.equal(slowAnswer.status, 200);
  assert.equal((await slowAnswer.json()).ret, "0");
});

Deno.test("pathPattern limits faults to matching routes", async () => {
  await withFake(async (fake) => {
    fake.knobs.faults = { rate: 1, kinds: ["5xx"], pathPattern: /^imagex:/ };
    const credit = await callWeb(fake.url, {
      path: "/commerce/v1/benefits/user_credit",
      sessionId: "s1",
      body: {},
    });
    assert.equal(credit.json.ret, "0");
    assert.equal(fake.stats.faultsInjected, 0);
  });
});

Deno.test("faults follow the seed", async () => {
  const sequence = async (seed: number) => {
    const statuses: number[] = [];
    await withFake(async (fake) => {
      fake.knobs.faults = { rate: 0.5, kinds: ["5xx"] };
      for (let i = 0; i < 12; i++) {
        const response = await rawGenerate(fake, imageGenerateBody({ prompt: `p${i}` }));
        statuses.push(response.status);
        await response.body?.cancel();
      }
    }, seed);
    return statuses;
  };
  const first = await sequence(7);
  assert.deepEqual(await sequence(7), first);
  assert.ok(first.some((status) => status === 200) && first.some((status) => status >= 500));
});

Deno.test("cdnFailRate makes downloads fail with 404 or 500", async () => {
  await withFake(async (fake) => {
    const answer = await callWeb(fake.url, {
      path: "/mweb/v1/aigc_draft/generate",
      sessionId: "s1",
      body: imageGenerateBody({ prompt: "x" }),
    });
    const id = (answer.json.data as { aigc_data: { history_record_id: string } }).aigc_data
      .history_record_id;
    const polled = await callWeb(fake.url, {
      path: "/mweb/v1/get_history_by_ids",
      sessionId: "s1",
      body: { history_ids: [id] },
    });
    const record = (polled.json.data as Record<string, { item_list: unknown[] }>)[id];
    const url = (record.item_list[0] as { image: { large_images: { image_url: string }[] } })
      .image.large_images[0].image_url;
    fake.knobs.cdnFailRate = 1;
    const failed = await fetch(url);
    assert.ok(failed.status === 404 || failed.status === 500);
    await failed.body?.cancel();
    fake.knobs.cdnFailRate = 0;
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.equal(fake.stats.calls.cdn, 2);
  });
});
