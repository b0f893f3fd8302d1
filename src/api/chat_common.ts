/**
 * What both chat paths (images and videos) share: reading the conversation,
 * the shapes of completions and chunks, and ending streams.
 * @module
 */
import type { MaterialSource } from "../generation/materials.ts";
import type { ApiDeps } from "./deps.ts";
import { ApiError, badRequest, toApiError } from "./errors.ts";
import type { Fields } from "./fields.ts";
import type { EventWriter } from "./sse.ts";
import type { Usage } from "./usage.ts";

/** What a conversation asks for. */
export interface ChatInput {
  /** Text of the last message. */
  prompt: string;
  /** Image parts of the user messages, in order. */
  images: { param: string; value: unknown }[];
  /**
   * Image, audio (`input_audio`) and video (`video_url`) parts of the user
   * messages, in order, each declaring its kind: a video model's materials.
   */
  media: MaterialSource[];
}

/** An `input_audio` or `video_url` part as a material source; `undefined` for other parts. */
function mediaPart(part: Record<string, unknown>, param: string): MaterialSource | undefined {
  if (part.type === "input_audio") {
    const audio = part.input_audio as { data?: unknown; format?: unknown } | undefined;
    if (!audio || typeof audio.data !== "string" || audio.data === "") {
      throw badRequest(param, `'${param}.input_audio.data' must be base64 audio`, "invalid_type");
    }
    const format = typeof audio.format === "string" && /^[a-z0-9]{1,10}$/i.test(audio.format)
      ? audio.format.toLowerCase()
      : "wav";
    return {
      param,
      value: `data:audio/${format};base64,${audio.data}`,
      declared: { kind: "audio", by: "an input_audio part" },
    };
  }
  if (part.type === "video_url" || part.type === "input_video") {
    const ref = part.video_url;
    const url = ref !== null && typeof ref === "object" ? (ref as { url?: unknown }).url : ref;
    return { param, value: url, declared: { kind: "video", by: `a ${part.type} part` } };
  }
  return undefined;
}

const IMAGE_PART_TYPES = new Set(["image_url", "input_image", "image"]);

/**
 * The URL of an image part (`{type: "image_url", image_url: {url}}` and the
 * shapes other clients send). A part that names an image but carries no
 * usable URL is a 400, never silently dropped.
 */
function imagePartUrl(part: Record<string, unknown>, param: string): unknown {
  let ref: unknown = part.type === "image" ? part.url ?? part.image_url : part.image_url;
  let name = part.type === "image" && part.url !== undefined
    ? `${param}.url`
    : `${param}.image_url`;
  if (ref !== null && typeof ref === "object" && !Array.isArray(ref)) {
    ref = (ref as { url?: unknown }).url;
    name = `${name}.url`;
  }
  if (typeof ref !== "string" || ref.trim() === "") {
    throw badRequest(
      name,
      `'${name}' must be the image's URL or data URL (the image part has none)`,
      "invalid_image",
    );
  }
  return ref;
}

/** Reads `messages` into a prompt and image references. */
export function readMessages(fields: Fields): ChatInput {
  const messages = fields.values.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest("messages", "'messages' must be a non-empty array", "invalid_type");
  }
  if (messages.length > 500) throw badRequest("messages", "'messages' has more than 500 entries");
  const images: ChatInput["images"] = [];
  const media: MaterialSource[] = [];
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
        const partParam = `${param}.content[${p}]`;
        if (IMAGE_PART_TYPES.has(entry.type as string)) {
          const url = imagePartUrl(entry, partParam);
          if (role === "user") {
            images.push({ param: partParam, value: url });
            media.push({
              param: partParam,
              value: url,
              declared: { kind: "image", by: "an image part" },
            });
          }
          return;
        }
        const other = role === "user" ? mediaPart(entry, partParam) : undefined;
        if (other) media.push(other);
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
  return { prompt: lastText, images, media };
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

/** Where a generation waits in the upstream's queue, as chat progress tells it. */
export interface QueuePlace {
  position: number;
  length: number | null;
  /** Seconds until it is expected to leave the queue, when known. */
  etaSeconds: number | null;
}

/** The progress line of a streamed answer for a generation waiting in the upstream's queue. */
export function queueLine(place: QueuePlace): string {
  const of = place.length ? ` of ${place.length}` : "";
  const eta = place.etaSeconds === null ? "" : `, about ${place.etaSeconds} s to go`;
  return `Waiting in Jimeng's queue: position ${place.position}${of}${eta}.\n`;
}

/** The progress line once a generation left the upstream's queue. */
export const LEFT_QUEUE_LINE = "Out of the queue; generating…\n";

/**
 * Tells queue progress once per change of place: returns the line to stream
 * for a report (`undefined`: nothing new), given the place or `null` when
 * not queued.
 */
export function queueNarrator(): (place: QueuePlace | null) => string | undefined {
  let shown: string | undefined;
  return (place) => {
    if (place === null) {
      if (shown === undefined) return undefined;
      shown = undefined;
      return LEFT_QUEUE_LINE;
    }
    const key = `${place.position}/${place.length}`;
    if (key === shown) return undefined;
    shown = key;
    return queueLine(place);
  };
}

/** The ids and shapes one completion's answer shares. */
export interface CompletionShape {
  id: string;
  created: number;
  model: string;
  promptTokens: number;
  /** A streamed chunk with one choice. */
  chunk(delta: Record<string, unknown>, finish: string | null): Record<string, unknown>;
  /** The final usage-only chunk (`stream_options.include_usage`). */
  usageChunk(content: string): Record<string, unknown>;
  /** The non-streamed completion. */
  completion(content: string): Record<string, unknown>;
}

/** Creates the shapes of one completion. */
export function completionShape(model: string, prompt: string, nowMs: number): CompletionShape {
  const id = `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`;
  const created = Math.floor(nowMs / 1000);
  const promptTokens = estimateTokens(prompt);
  const usage = (content: string) => {
    const completionTokens = estimateTokens(content);
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
  };
  return {
    id,
    created,
    model,
    promptTokens,
    chunk: (delta, finish) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    }),
    usageChunk: (content) => ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      system_fingerprint: null,
      choices: [],
      usage: usage(content),
    }),
    completion: (content) => ({
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: null,
      choices: [{
        index: 0,
        message: { role: "assistant", content, refusal: null },
        logprobs: null,
        finish_reason: "stop",
      }],
      usage: usage(content),
    }),
  };
}

/** Sends an error that happened after the stream started, as OpenAI does: one error event. */
export function streamError(deps: ApiDeps, out: EventWriter, error: unknown): void {
  if (out.signal.aborted) return;
  const apiError = toApiError(error);
  if (apiError.status >= 500 && !(error instanceof ApiError)) {
    deps.log.error("Chat stream failed", { error });
  }
  out.send(apiError.toBody());
  out.close();
}

/** Whether the request asked for a final usage chunk. */
export function wantsUsage(fields: Fields): boolean {
  const options = fields.values.stream_options as { include_usage?: unknown } | undefined;
  return options?.include_usage === true;
}

/** How long a streamed answer waits after its first bytes before it submits upstream. */
export const STREAM_HOLD_MS = 1000;

/**
 * Waits `holdMs` after a stream's first bytes, so that a client that closes
 * the stream at once is gone before anything is submitted (and paid for).
 * @throws the signal's reason when the client went away meanwhile
 */
export async function clientStays(signal: AbortSignal, holdMs = STREAM_HOLD_MS): Promise<void> {
  if (holdMs > 0 && !signal.aborted) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, holdMs);
      signal.addEventListener("abort", done, { once: true });
    });
  }
  signal.throwIfAborted();
}

/** Makes the usage row wait for a streamed answer; returns the function that ends it. */
export function settleWith(usage: Usage): (error?: unknown) => void {
  let settle!: (error?: unknown) => void;
  usage.stream = new Promise((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve(undefined) : reject(error));
  });
  usage.stream.catch(() => {});
  return settle;
}
