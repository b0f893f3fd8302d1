/**
 * `POST /v1/chat/completions`: image models generate images from the last
 * message's text, with `image_url` parts as reference images. Results come
 * back as markdown image links, streamed or not.
 * @module
 */
import { Hono } from "hono";
import { generateImages } from "../generation/images.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { ApiError, badRequest, toApiError } from "./errors.ts";
import { type Fields, optionalBoolean, readJson } from "./fields.ts";
import { loadReferences, parseImageFields, resolveModel } from "./image_request.ts";
import { DEFAULT_IMAGE_MODEL } from "../jimeng/models.ts";
import { eventStream } from "./sse.ts";
import { imageServiceDeps } from "./service.ts";
import { noteImageUsage, publishImages } from "./images.ts";

/** What a conversation asks for. */
export interface ChatInput {
  /** Text of the last message. */
  prompt: string;
  /** Image parts of the user messages, in order. */
  images: { param: string; value: unknown }[];
}

function imagePartUrl(part: Record<string, unknown>): unknown {
  if (part.type === "image_url" || part.type === "input_image") {
    const ref = part.image_url;
    if (typeof ref === "string") return ref;
    if (ref && typeof ref === "object") return (ref as { url?: unknown }).url;
    return undefined;
  }
  if (part.type === "image") return part.url ?? part.image_url;
  return undefined;
}

/** Reads `messages` into a prompt and image references. */
export function readMessages(fields: Fields): ChatInput {
  const messages = fields.values.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest("messages", "'messages' must be a non-empty array", "invalid_type");
  }
  if (messages.length > 500) throw badRequest("messages", "'messages' has more than 500 entries");
  const images: ChatInput["images"] = [];
  let lastText = "";
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      throw badRequest(param, `'${param}' must be an object`, "invalid_type");
    }
    const { role, content } = message as { role?: unknown; content?: unknown };
    if (typeof role !== "string") {
      throw badRequest(`${param}.role`, `'${param}.role' must be a string`, "invalid_type");
    }
    const texts: string[] = [];
    if (typeof content === "string") texts.push(content);
    else if (Array.isArray(content)) {
      content.forEach((part, p) => {
        if (part === null || typeof part !== "object") {
          throw badRequest(
            `${param}.content[${p}]`,
            `'${param}.content[${p}]' must be an object`,
            "invalid_type",
          );
        }
        const entry = part as Record<string, unknown>;
        if (
          (entry.type === "text" || entry.type === "input_text") && typeof entry.text === "string"
        ) {
          texts.push(entry.text);
          return;
        }
        const url = imagePartUrl(entry);
        if (url !== undefined && role === "user") {
          images.push({ param: `${param}.content[${p}]`, value: url });
        }
      });
    } else if (content !== null && content !== undefined) {
      throw badRequest(
        `${param}.content`,
        `'${param}.content' must be a string or an array`,
        "invalid_type",
      );
    }
    if (index === messages.length - 1) lastText = texts.join("\n").trim();
  });
  if (lastText === "") {
    throw badRequest(
      "messages",
      "The last message has no text to use as the prompt",
      "empty_prompt",
    );
  }
  if (lastText.length > 8000) {
    throw badRequest("messages", "The prompt is longer than 8000 characters");
  }
  return { prompt: lastText, images };
}

/** A rough token count for `usage` (OpenAI clients and billing proxies expect one). */
export function estimateTokens(text: string): number {
  let count = 0;
  for (const ch of text) count += ch.charCodeAt(0) > 0x2e7f ? 1 : 0.25;
  return Math.max(1, Math.ceil(count));
}

/** Markdown for a list of image URLs. */
export function imagesMarkdown(urls: readonly string[]): string {
  return urls.map((url, i) => `![image_${i + 1}](${url})`).join("\n\n");
}

/** The chat route. */
export function chatRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const service = imageServiceDeps(deps);

  app.post("/chat/completions", async (c) => {
    const fields = await readJson(c);
    const stream = optionalBoolean(fields, "stream") ?? false;
    const includeUsage = stream &&
      (fields.values.stream_options as { include_usage?: unknown } | undefined)?.include_usage ===
        true;
    const requested = typeof fields.values.model === "string" ? fields.values.model : undefined;
    const model = resolveModel(requested, DEFAULT_IMAGE_MODEL);
    if (model.kind !== "image") {
      throw badRequest(
        "model",
        `'${model.id}' is a video model; video generation is not available on this server yet`,
        "model_not_supported",
      );
    }
    const input = readMessages(fields);
    // In chat, `n` and `response_format` mean other things: one task, URLs.
    const imageFields: Fields = {
      source: "json",
      values: {
        ...fields.values,
        model: model.id,
        n: 4,
        response_format: undefined,
        user: undefined,
      },
    };
    const params = parseImageFields(imageFields, input.prompt);
    const signal = c.req.raw.signal;
    const references = await loadReferences(deps, input.images, signal);
    const id = `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`;
    const created = Math.floor(deps.now() / 1000);
    const modelName = requested ?? model.id;
    const promptTokens = estimateTokens(input.prompt);
    const usage = c.get("usage");
    Object.assign(usage, { model: model.id, kind: "image", n: params.n });
    const auth = c.get("auth");
    const requestId = c.get("requestId");
    /** Generates, records the images in the media library, and returns their URLs. */
    const run = async (abort: AbortSignal) => {
      const generation = await generateImages(service, auth.accounts, {
        ...params,
        references,
      }, abort);
      noteImageUsage(usage, model.id, generation);
      const saved = await publishImages(deps, generation, {
        model: model.id,
        prompt: input.prompt,
        requestId,
        auth,
      }, { signal: abort });
      return saved.map((item) => item.url);
    };

    if (!stream) {
      const content = imagesMarkdown(await run(signal));
      const completionTokens = estimateTokens(content);
      return c.json({
        id,
        object: "chat.completion",
        created,
        model: modelName,
        system_fingerprint: null,
        choices: [{
          index: 0,
          message: { role: "assistant", content, refusal: null },
          logprobs: null,
          finish_reason: "stop",
        }],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
      });
    }

    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model: modelName,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    let settle!: (error?: unknown) => void;
    usage.stream = new Promise((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve(undefined) : reject(error));
    });
    usage.stream.catch(() => {});
    return eventStream(async (out) => {
      out.send(chunk({ role: "assistant", content: "" }, null));
      try {
        const content = imagesMarkdown(await run(out.signal));
        out.send(chunk({ content }, null));
        out.send(chunk({}, "stop"));
        if (includeUsage) {
          const completionTokens = estimateTokens(content);
          out.send({
            id,
            object: "chat.completion.chunk",
            created,
            model: modelName,
            choices: [],
            usage: {
              prompt_tokens: promptTokens,
              completion_tokens: completionTokens,
              total_tokens: promptTokens + completionTokens,
            },
          });
        }
        out.done();
        settle();
      } catch (error) {
        settle(error);
        if (out.signal.aborted) return;
        const apiError = toApiError(error);
        if (apiError.status >= 500 && !(error instanceof ApiError)) {
          deps.log.error("Chat stream failed", { error });
        }
        out.send(apiError.toBody());
        out.close();
      }
    }, { signal, keepAliveMs: deps.keepAliveMs });
  });

  return app;
}
