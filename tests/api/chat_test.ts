import assert from "node:assert/strict";
import { fakePngBytes } from "../fake_upstream/server.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";

/** Reads an SSE body into its `data:` payloads and comment lines. */
async function readEvents(response: Response) {
  const text = await response.text();
  const data: string[] = [];
  const comments: string[] = [];
  for (const block of text.split("\n\n")) {
    for (const line of block.split("\n")) {
      if (line.startsWith("data: ")) data.push(line.slice(6));
      else if (line.startsWith(":")) comments.push(line);
      else if (line !== "") throw new Error(`Unexpected SSE line: ${line}`);
    }
  }
  return { data, comments, text };
}

Deno.test("chat.completions (non-stream) answers with markdown image links", async () => {
  const stack = await startStack();
  try {
    const completion = await stack.openai().chat.completions.create({
      model: "jimeng-4.5",
      messages: [
        { role: "system", content: "You draw." },
        { role: "user", content: "一只可爱的柴犬在草地上奔跑" },
      ],
    });
    assert.equal(completion.object, "chat.completion");
    assert.match(completion.id, /^chatcmpl-/);
    assert.equal(completion.model, "jimeng-4.5");
    assert.equal(completion.choices.length, 1);
    assert.equal(completion.choices[0].finish_reason, "stop");
    assert.equal(completion.choices[0].message.role, "assistant");
    const links = [...completion.choices[0].message.content!.matchAll(/!\[image_\d\]\((\S+)\)/g)];
    assert.equal(links.length, 4);
    assert.ok(links.every((m) => m[1].startsWith(`${stack.url}/media/`)));
    assert.ok(completion.usage!.total_tokens > 0);
    const [record] = stack.fake.records();
    assert.equal(record.prompt, "一只可爱的柴犬在草地上奔跑");
  } finally {
    await stack.close();
  }
});

Deno.test("chat.completions stream is a conformant OpenAI stream", async () => {
  const stack = await startStack({ fake: { imageLatencyMs: 700 } });
  try {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Authorization": `Bearer ${GOOD_SESSION}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "jimeng-image-4.0",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "a castle at dawn 16:9" }],
      }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type")!, /^text\/event-stream/);
    const { data, comments } = await readEvents(response);
    assert.equal(data.at(-1), "[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const ids = new Set(chunks.map((c) => c.id));
    const created = new Set(chunks.map((c) => c.created));
    assert.equal(ids.size, 1, "one id for all chunks");
    assert.equal(created.size, 1, "one created for all chunks");
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
    assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "" });
    const withChoices = chunks.filter((c) => c.choices.length > 0);
    const finishes = withChoices.filter((c) => c.choices[0].finish_reason !== null);
    assert.equal(finishes.length, 1);
    assert.equal(finishes[0].choices[0].finish_reason, "stop");
    assert.equal(withChoices.at(-1), finishes[0], "finish chunk is the last choice chunk");
    const content = withChoices.map((c) => c.choices[0].delta.content ?? "").join("");
    assert.equal([...content.matchAll(/!\[image_\d\]\(/g)].length, 4);
    assert.ok(!/wait|生成中|please/i.test(content), "no filler content");
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.ok(usage.usage.total_tokens > 0);
    assert.ok(comments.length >= 1, "keep-alive comments while waiting");
    const [record] = stack.fake.records();
    assert.equal(record.width, 2560, "16:9 from the prompt");
  } finally {
    await stack.close();
  }
});

Deno.test("chat.completions stream through the official SDK", async () => {
  const stack = await startStack();
  try {
    const stream = await stack.openai().chat.completions.create({
      model: "jimeng-image-5.0-lite",
      stream: true,
      messages: [{ role: "user", content: "a watercolor fox" }],
    });
    let content = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta?.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, "stop");
    assert.equal([...content.matchAll(/!\[image_\d\]\(http/g)].length, 4);
  } finally {
    await stack.close();
  }
});

Deno.test("chat.completions uses image_url parts (data URLs) as reference images", async () => {
  const stack = await startStack();
  try {
    const dataUrl = `data:image/png;base64,${btoa(String.fromCharCode(...fakePngBytes("c", 2)))}`;
    const completion = await stack.openai().chat.completions.create({
      model: "jimeng-4.1",
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "turn this into a watercolor" },
          { type: "image_url", image_url: { url: dataUrl } },
        ],
      }],
    });
    assert.match(completion.choices[0].message.content!, /!\[image_1\]/);
    const [record] = stack.fake.records();
    assert.equal(record.generateType, "blend");
    assert.equal(record.prompt.replaceAll("#", ""), "turn this into a watercolor");
    assert.deepEqual(stack.fake.stats.violations, []);
  } finally {
    await stack.close();
  }
});

Deno.test("a failure after the stream started arrives as an OpenAI error event", async () => {
  const stack = await startStack();
  try {
    const stream = await stack.openai().chat.completions.create({
      model: "jimeng-4.5",
      stream: true,
      messages: [{ role: "user", content: "forbidden-word landscape" }],
    });
    await assert.rejects(
      async () => {
        for await (const _ of stream) { /* drain */ }
      },
      (error: Error & { error?: { code?: string } }) => {
        assert.match(error.message, /moderation/);
        return true;
      },
    );
  } finally {
    await stack.close();
  }
});
