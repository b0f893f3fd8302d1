import assert from "node:assert/strict";
import { APIError } from "openai";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

type ErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
};

async function post(url: string, body: BodyInit, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "Authorization": `Bearer ${GOOD_SESSION}`,
      "content-type": "application/json",
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", text };
}

function assertError(
  result: { status: number; type: string; text: string },
  status: number,
  code: string,
  param?: string | null,
): ErrorBody {
  assert.equal(result.status, status, result.text);
  assert.match(result.type, /application\/json/);
  const body = JSON.parse(result.text) as ErrorBody;
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(body.error.code, code, result.text);
  if (param !== undefined) assert.equal(body.error.param, param);
  assert.ok(body.error.message.length > 10);
  return body;
}

Deno.test("bad input gets a 400 naming the field, never a 500", async () => {
  const stack = await startStack();
  const url = `${stack.url}/v1/images/generations`;
  try {
    assertError(await post(url, "{not json"), 400, "invalid_json");
    assertError(await post(url, "[1,2]"), 400, "invalid_json");
    assertError(await post(url, "{}"), 400, "missing_required_parameter", "prompt");
    assertError(await post(url, JSON.stringify({ prompt: "   " })), 400, "empty_prompt", "prompt");
    assertError(await post(url, JSON.stringify({ prompt: 42 })), 400, "invalid_type", "prompt");
    assertError(
      await post(url, JSON.stringify({ prompt: "x", n: "two" })),
      400,
      "invalid_type",
      "n",
    );
    assertError(await post(url, JSON.stringify({ prompt: "x", n: 11 })), 400, "invalid_value", "n");
    assertError(await post(url, JSON.stringify({ prompt: "x", n: -1 })), 400, "invalid_value", "n");
    assertError(
      await post(url, JSON.stringify({ prompt: "x", size: "huge" })),
      400,
      "invalid_value",
      "size",
    );
    assertError(
      await post(url, JSON.stringify({ prompt: "x", ratio: "5:4" })),
      400,
      "invalid_value",
      "ratio",
    );
    assertError(
      await post(url, JSON.stringify({ prompt: "x", response_format: "png" })),
      400,
      "invalid_value",
      "response_format",
    );
    assertError(
      await post(
        url,
        JSON.stringify({ prompt: "x", filePath: "data:text/plain;base64,aGVsbG8gd29ybGQ=" }),
      ),
      400,
      "invalid_image",
      "filePath",
    );
    assertError(
      await post(url, JSON.stringify({ prompt: "x", filePath: "data:image/png;base64,@@@" })),
      400,
      "invalid_image",
      "filePath",
    );
    assertError(
      await post(url, JSON.stringify({ prompt: "x", filePath: "/etc/passwd" })),
      400,
      "invalid_image",
      "filePath",
    );
    assertError(
      await post(url, JSON.stringify({ prompt: "x", model: "jimeng-video-3.0" })),
      400,
      "model_not_supported",
      "model",
    );
    const chat = `${stack.url}/v1/chat/completions`;
    assertError(
      await post(chat, JSON.stringify({ model: "jimeng-4.5" })),
      400,
      "invalid_type",
      "messages",
    );
    assertError(
      await post(
        chat,
        JSON.stringify({ messages: [{ role: "user", content: [{ type: "image_url" }] }] }),
      ),
      400,
      "invalid_image",
      "messages[0].content[0].image_url",
    );
    assertError(
      await post(
        chat,
        JSON.stringify({ messages: [{ role: "user", content: [{ type: "input_text" }] }] }),
      ),
      400,
      "empty_prompt",
    );
    assertError(
      await post(chat, JSON.stringify({ messages: ["hi"] })),
      400,
      "invalid_type",
      "messages[0]",
    );
    for (
      const [type, body, code] of [
        ["multipart/form-data", "--xyz\r\nbroken", "invalid_multipart"],
        ["multipart/form-data; boundary=xyz", "--xyz\r\nbroken", "invalid_multipart"],
      ]
    ) {
      const edits = await fetch(`${stack.url}/v1/images/edits`, {
        method: "POST",
        headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": type },
        body,
      });
      assertError(
        {
          status: edits.status,
          type: edits.headers.get("content-type")!,
          text: await edits.text(),
        },
        400,
        code,
      );
    }
    assert.equal(stack.fake.records().length, 0, "nothing reached the upstream");
  } finally {
    await stack.close();
  }
});

Deno.test("auth, model and route errors have the right status", async () => {
  const stack = await startStack();
  try {
    const noAuth = await fetch(`${stack.url}/v1/images/generations`, {
      method: "POST",
      body: JSON.stringify({ prompt: "x" }),
    });
    assertError(
      {
        status: noAuth.status,
        type: noAuth.headers.get("content-type")!,
        text: await noAuth.text(),
      },
      401,
      "missing_api_key",
    );
    await assert.rejects(
      stack.openai().images.generate({ prompt: "x", model: "dall-e-9" }),
      (error: APIError) => error.status === 404 && error.code === "model_not_found",
    );
    const route = await fetch(`${stack.url}/v1/nothing-here`, {
      headers: { "Authorization": `Bearer ${GOOD_SESSION}` },
    });
    assertError(
      { status: route.status, type: route.headers.get("content-type")!, text: await route.text() },
      404,
      "unknown_route",
    );
  } finally {
    await stack.close();
  }
});

Deno.test("an expired sessionid is a 401 that says what to do", async () => {
  const stack = await startStack();
  try {
    stack.fake.addSession("old00000old00000old00000old00000", { expired: true });
    await assert.rejects(
      stack.openai("old00000old00000old00000old00000").images.generate({ prompt: "x" }),
      (error: APIError) => {
        assert.equal(error.status, 401);
        assert.equal(error.code, "session_expired");
        assert.match(error.message, /copy the sessionid cookie again/);
        assert.ok(!error.message.includes("old00000old00000old00000old00000"));
        return true;
      },
    );
  } finally {
    await stack.close();
  }
});

Deno.test("no credits is a 429 insufficient_quota; moderation is content_policy_violation", async () => {
  const stack = await startStack();
  try {
    stack.fake.addSession("zero0000zero0000zero0000zero0000", { credits: 0, dailyGift: 0 });
    await assert.rejects(
      stack.openai("zero0000zero0000zero0000zero0000").images.generate({ prompt: "x" }),
      (error: APIError) => {
        assert.equal(error.status, 429);
        assert.equal(error.code, "insufficient_quota");
        assert.equal((error.error as { type?: string }).type, "insufficient_quota");
        return true;
      },
    );
    await assert.rejects(
      stack.openai().images.generate({ prompt: "a forbidden-word scene" }),
      (error: APIError) => {
        assert.equal(error.status, 400);
        assert.equal(error.code, "content_policy_violation");
        return true;
      },
    );
  } finally {
    await stack.close();
  }
});

Deno.test("an account out of credits claims its daily credits and succeeds", async () => {
  const stack = await startStack();
  try {
    stack.fake.addSession("gift0000gift0000gift0000gift0000", { credits: 0, dailyGift: 66 });
    const result = await stack.openai("gift0000gift0000gift0000gift0000").images.generate({
      prompt: "x",
      size: "1024x1024",
    });
    assert.equal(result.data?.length, 1);
    assert.ok(stack.fake.session("gift0000gift0000gift0000gift0000").credits < 66);
  } finally {
    await stack.close();
  }
});

Deno.test("upstream 5xx and risk-control refusals map to 502 and 403", async () => {
  // The call timeout stays generous here: a healthy call that a busy machine slowed down must
  // not turn into the 504 of the test below.
  const stack = await startStack();
  try {
    const client = stack.openai();
    stack.fake.knobs.faults = { rate: 1, kinds: ["5xx"], pathPattern: /aigc_draft\/generate/ };
    await assert.rejects(client.images.generate({ prompt: "x" }), (error: APIError) => {
      assert.equal(error.status, 502);
      assert.equal(error.code, "upstream_unavailable");
      return true;
    });
    stack.fake.knobs.faults = { rate: 1, kinds: ["html"], pathPattern: /aigc_draft\/generate/ };
    await assert.rejects(client.images.generate({ prompt: "x" }), (error: APIError) => {
      assert.equal(error.status, 502);
      assert.match(error.message, /HTML/);
      return true;
    });
    stack.fake.knobs.faults = { rate: 0, kinds: [] };
    stack.fake.knobs.antiBotRate = 1;
    const before = stack.fake.stats.antiBotRejections;
    await assert.rejects(client.images.generate({ prompt: "x" }), (error: APIError) => {
      assert.equal(error.status, 403);
      assert.equal(error.type, "permission_error");
      assert.equal(error.code, "upstream_risk_control");
      assert.match(error.message, /1019/);
      // This server has no Chromium: the answer says how to get the browser transport.
      assert.match(error.message, /needs Chromium.*CHROMIUM_PATH/);
      return true;
    });
    // A risk-control refusal is never repeated the same way.
    assert.equal(stack.fake.stats.antiBotRejections - before, 1);
  } finally {
    await stack.close();
  }
});

Deno.test("an upstream call unanswered within JIMENG_TIMEOUT_MS is a 504 upstream_timeout", async () => {
  // The submit never answers, so any timeout ends it; a short one keeps the test short. Should
  // an earlier call be slowed past it by a busy machine, that too is the same 504.
  const stack = await startStack({ env: { JIMENG_TIMEOUT_MS: "300" } });
  try {
    stack.fake.knobs.faults = { rate: 1, kinds: ["hang"], pathPattern: /aigc_draft\/generate/ };
    await assert.rejects(stack.openai().images.generate({ prompt: "x" }), (error: APIError) => {
      assert.equal(error.status, 504);
      assert.equal(error.code, "upstream_timeout");
      return true;
    });
  } finally {
    await stack.close();
  }
});

Deno.test("a whole generation that outlasts IMAGE_TIMEOUT_S is a 504", async () => {
  const stack = await startStack({ env: { IMAGE_TIMEOUT_S: "1" }, fake: { imageLatencyMs: 5000 } });
  try {
    await assert.rejects(stack.openai().images.generate({ prompt: "slow" }), (error: APIError) => {
      assert.equal(error.status, 504);
      assert.match(error.message, /did not finish/);
      return true;
    });
  } finally {
    await stack.close();
  }
});

Deno.test("a transient fault after the upstream accepted is retried with the same submit_id", async () => {
  const stack = await startStack();
  try {
    stack.fake.knobs.faults = {
      rate: 0.5,
      kinds: ["5xx", "reset", "truncated"],
      pathPattern: /aigc_draft\/generate/,
      afterProcessing: true,
    };
    let ok = 0;
    for (let i = 0; i < 8; i++) {
      try {
        await stack.openai().images.generate({ prompt: `retry ${i}` });
        ok++;
      } catch (error) {
        assert.equal((error as APIError).status, 502);
      }
    }
    assert.ok(ok >= 4, `${ok} of 8 succeeded`);
    assert.ok(stack.fake.stats.faultsInjected > 0);
    // Every record was created once, however often its submit_id was sent.
    assert.equal(stack.fake.stats.recordsCreated, Object.keys(stack.fake.stats.submits).length);
    const charged = 100 - stack.fake.session(GOOD_SESSION).credits;
    assert.equal(charged, stack.fake.records().reduce((sum, r) => sum + r.credits, 0));
  } finally {
    await stack.close();
  }
});

Deno.test("a body over MAX_BODY_MB is a 413", async () => {
  const stack = await startStack({ env: { MAX_BODY_MB: "1" } });
  try {
    const big = JSON.stringify({
      prompt: "x",
      filePath: "data:image/png;base64," + "A".repeat(2 * 1048576),
    });
    assertError(await post(`${stack.url}/v1/images/generations`, big), 413, "request_too_large");
  } finally {
    await stack.close();
  }
});

Deno.test("a model Jimeng took offline (ret 2061) is a 404 naming the alternatives", async () => {
  const stack = await startStack();
  try {
    stack.fake.knobs.offlineModels = ["high_aes_general_v40"];
    await assert.rejects(
      stack.openai().images.generate({ prompt: "x", model: "jimeng-image-4.0" }),
      (error: APIError) => {
        assert.equal(error.status, 404);
        assert.equal(error.code, "model_not_found");
        assert.equal(error.param, "model");
        assert.match(error.message, /'jimeng-image-4\.0'.*2061/);
        assert.match(error.message, /instead/);
        assert.match(error.message, /'jimeng-image-5\.0-pro'/);
        return true;
      },
    );
  } finally {
    await stack.close();
  }
});
