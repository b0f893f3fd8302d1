/**
 * The MCP tools: their JSON Schemas and descriptions, and what each does —
 * always through the `/v1` routes in-process (see `v1_client.ts`), so a tool
 * call is authenticated, recorded, rate-limited and charged to a quota like
 * the same API call. A `/v1` error is the tool's error, with its message.
 * @module
 */
import { embedImages } from "./image_content.ts";
import { ToolCallError, type V1Client, type V1Context } from "./v1_client.ts";

/** A JSON Schema of a tool's arguments (the subset the tools use). */
export interface ArgsSchema {
  type: "object";
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties: false;
}

/** One argument's schema. */
export interface PropertySchema {
  type: "string" | "integer" | "number" | "boolean" | "array";
  description: string;
  items?: { type: "string" };
  enum?: string[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

/** A tool as `tools/list` shows it. */
export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  inputSchema: ArgsSchema;
  annotations: { readOnlyHint: boolean; openWorldHint: boolean };
}

/** A content block of a tool result. */
export type ToolContent =
  | { type: "text"; text: string }
  | { type: "image"; data: string; mimeType: string };

/** A tool result (`tools/call`). */
export interface ToolResult {
  content: ToolContent[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * The credits a key holder may see: its quota today, its total cap and the
 * accounts that serve it. Used credits are those charged, or reserved by
 * requests still running.
 */
export interface KeyCredits {
  key: string;
  quota_per_day: number | null;
  used_today: number;
  remaining_today: number | null;
  credit_cap: number | null;
  credits_used: number;
  remaining_total: number | null;
  accounts: { account: string; health: string; credits: number | null }[];
}

/** What the tools need. */
export interface ToolDeps {
  v1: V1Client;
  /**
   * `PUBLIC_BASE_URL`, to read this server's own media files in-process
   * (a call's `V1Context.baseUrl`, taken from its request, comes first).
   */
  publicBaseUrl: string | null;
  /**
   * The credits view of an issued key (a Bearer `sk-…` token).
   * @throws {ToolCallError} when the key is not valid
   */
  keyCredits(token: string): KeyCredits;
  /**
   * The `fetch` for the results of one request: each result's download goes
   * through the proxy of the account that made it.
   */
  resultFetch?: (requestId: string) => typeof fetch;
}

const prompt = (what: string): PropertySchema => ({
  type: "string",
  description: `${what} Chinese or English; up to 8000 characters.`,
});
const urls = (description: string, maxItems: number): PropertySchema => ({
  type: "array",
  items: { type: "string" },
  maxItems,
  description,
});
const IMAGE_SHAPE: Record<string, PropertySchema> = {
  model: {
    type: "string",
    description:
      "Image model id from list_models (e.g. jimeng-image-5.0-lite, jimeng-image-4.5). Default: the server's default image model.",
  },
  n: {
    type: "integer",
    minimum: 1,
    maximum: 10,
    description: "How many images, 1 to 10 (Jimeng makes up to 4 per task). Default 1.",
  },
  size: {
    type: "string",
    description:
      "WIDTHxHEIGHT, e.g. 2048x2048 or 1792x1024: mapped to the nearest aspect ratio and 1k/2k/4k tier.",
  },
  ratio: {
    type: "string",
    description: "Aspect ratio instead of size: 1:1, 4:3, 3:4, 16:9, 9:16, 3:2, 2:3 or 21:9.",
  },
  resolution: {
    type: "string",
    description: "Resolution tier the model offers (list_models): 1k, 1.5k, 2k or 4k.",
  },
  negative_prompt: { type: "string", description: "What the image should not contain." },
  include_images: {
    type: "boolean",
    default: true,
    description:
      "Embed the images in the answer (each up to 2 MiB, 8 MiB in all; larger ones only as URLs). false: URLs only.",
  },
};

/** Every tool, as `tools/list` answers. */
export const TOOLS: readonly ToolDefinition[] = [
  {
    name: "generate_image",
    title: "Generate images",
    description:
      "Generates images with Jimeng (即梦) / Dreamina from a text prompt, optionally guided by reference images. Waits until they are ready (usually 10-60 s) and returns them as images plus their URLs.",
    inputSchema: {
      type: "object",
      properties: {
        prompt: prompt("What to draw."),
        ...IMAGE_SHAPE,
        reference_image_urls: urls(
          "Reference images (http(s) URLs or data: URLs), up to 10.",
          10,
        ),
      },
      required: ["prompt"],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
  },
  {
    name: "edit_image",
    title: "Edit images",
    description:
      "Makes new images from one or more input images and an instruction (e.g. 'make it a watercolor', 'put the cat on a beach'). Waits until they are ready and returns them as images plus their URLs.",
    inputSchema: {
      type: "object",
      properties: {
        prompt: prompt("The edit to make."),
        image_urls: {
          ...urls("Input images (http(s) URLs or data: URLs), 1 to 10.", 10),
          minItems: 1,
        },
        ...IMAGE_SHAPE,
      },
      required: ["prompt", "image_urls"],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
  },
  {
    name: "generate_video",
    title: "Start a video",
    description:
      "Starts generating a video: text to video, from a first and optionally a last frame, or (Seedance 2.0 and 2.5) an omni-reference video from images, videos and audio that the prompt points at as @1, @2…. Returns at once with the job id and status 'queued'; a video takes minutes: poll get_video with the id until its status is 'completed' (it then has a URL) or 'failed'.",
    inputSchema: {
      type: "object",
      properties: {
        prompt: prompt("What happens in the video."),
        model: {
          type: "string",
          description:
            "Video model id from list_models (e.g. jimeng-video-3.0, jimeng-video-seedance-2.0). Default: the server's default video model.",
        },
        seconds: {
          type: "integer",
          minimum: 1,
          maximum: 60,
          description:
            "Duration in seconds; list_models shows each model's durations (e.g. 5 or 10).",
        },
        size: {
          type: "string",
          description:
            "WIDTHxHEIGHT, e.g. 1280x720 or 720x1280: picks the aspect ratio and resolution.",
        },
        ratio: {
          type: "string",
          description: "Aspect ratio instead of size: 16:9, 9:16, 1:1, 4:3, 3:4 or 21:9.",
        },
        first_frame_url: {
          type: "string",
          description: "Image the video starts from (http(s) URL or data: URL).",
        },
        last_frame_url: {
          type: "string",
          description: "Image the video ends on (with first_frame_url).",
        },
        references: urls(
          "Omni-reference materials instead of first/last frame, in the order the prompt numbers them (@1, @2…; also @image1, @video1, @audio1): http(s) or data: URLs of images (≤ 9), videos (≤ 3, together ≤ 15 s) and audio (≤ 3). Only the Seedance 2.0 family and 2.5 take them.",
          12,
        ),
      },
      required: ["prompt"],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
  },
  {
    name: "get_video",
    title: "Video status",
    description:
      "Status of a video started with generate_video: queued, in_progress (with progress 0-100), completed (with its URL) or failed (with the reason).",
    inputSchema: {
      type: "object",
      properties: { id: { type: "string", description: "The id generate_video returned." } },
      required: ["id"],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: "list_models",
    title: "List models",
    description:
      "The image and video models this server offers, with their resolutions and (videos) durations.",
    inputSchema: {
      type: "object",
      properties: {
        kind: {
          type: "string",
          enum: ["image", "video"],
          description: "Only image or video models.",
        },
      },
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: "get_credits",
    title: "Credits",
    description:
      "The Jimeng credits of the accounts that serve you (masked), and for an issued API key its daily quota and total credit cap and what is left of them.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
];

/** Thrown for arguments that do not fit a tool's schema. */
class ArgumentError extends Error {
  override name = "ArgumentError";
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Checks `args` against a tool's schema: known names, types, required ones. */
export function checkArgs(tool: ToolDefinition, args: unknown): Record<string, unknown> {
  const values = args ?? {};
  if (typeof values !== "object" || Array.isArray(values)) {
    throw new ArgumentError("The arguments must be an object");
  }
  const { properties, required = [] } = tool.inputSchema;
  for (const [name, value] of Object.entries(values)) {
    const schema = properties[name];
    if (!schema) {
      const known = Object.keys(properties);
      throw new ArgumentError(
        `Unknown argument '${name}' for ${tool.name}${
          known.length ? `; it takes ${known.join(", ")}` : "; it takes none"
        }`,
      );
    }
    if (value === null || value === undefined) continue;
    const actual = typeOf(value);
    const fits = actual === schema.type || (schema.type === "number" && actual === "integer");
    if (!fits) {
      throw new ArgumentError(`'${name}' must be ${article(schema.type)}; got ${article(actual)}`);
    }
    if (schema.type === "array" && (value as unknown[]).some((item) => typeof item !== "string")) {
      throw new ArgumentError(`'${name}' must be an array of strings`);
    }
    if (schema.enum && !schema.enum.includes(value as string)) {
      throw new ArgumentError(`'${name}' must be ${schema.enum.join(" or ")}; got "${value}"`);
    }
  }
  for (const name of required) {
    const value = (values as Record<string, unknown>)[name];
    if (value === undefined || value === null) {
      throw new ArgumentError(`'${name}' is required`);
    }
  }
  return values as Record<string, unknown>;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Drops absent values. */
function defined(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).filter(([, v]) => v !== undefined && v !== null),
  );
}

function text(value: unknown, lead?: string): ToolContent {
  const json = JSON.stringify(value, null, 2);
  return { type: "text", text: lead ? `${lead}\n${json}` : json };
}

/** The error result of a failed tool call: the API's message, its code alongside. */
export function toolError(error: unknown): ToolResult {
  if (error instanceof ToolCallError) {
    return {
      isError: true,
      content: [{ type: "text", text: error.message }],
      structuredContent: { error: { ...error.error, status: error.status } },
    };
  }
  if (error instanceof ArgumentError) {
    return {
      isError: true,
      content: [{ type: "text", text: error.message }],
      structuredContent: {
        error: {
          message: error.message,
          type: "invalid_request_error",
          param: null,
          code: "invalid_arguments",
          status: 400,
        },
      },
    };
  }
  throw error;
}

interface ImagesAnswer {
  created: number;
  data: { url?: string }[];
}

async function images(
  deps: ToolDeps,
  path: string,
  body: Record<string, unknown>,
  include: boolean,
  context: V1Context,
): Promise<ToolResult> {
  const answer = await deps.v1.post<ImagesAnswer>(
    path,
    { ...body, response_format: "url" },
    context,
  );
  const imageUrls = answer.body.data.flatMap((item) => (item.url ? [item.url] : []));
  const embedded = include
    ? await embedImages(imageUrls, {
      publicBaseUrl: context.baseUrl ?? deps.publicBaseUrl,
      local: (localPath, signal) => deps.v1.raw(localPath, { ...context, signal }),
      signal: context.signal,
      fetch: answer.requestId === null ? undefined : deps.resultFetch?.(answer.requestId),
    })
    : { images: [], notes: [] };
  const summary = {
    created: answer.body.created,
    urls: imageUrls,
    request_id: answer.requestId,
    ...(embedded.notes.length ? { notes: embedded.notes } : {}),
  };
  const lead = `${imageUrls.length} image(s) generated.`;
  return { content: [text(summary, lead), ...embedded.images], structuredContent: summary };
}

interface VideoAnswer {
  id: string;
  status: string;
  progress: number;
  model: string;
  seconds: string;
  size: string;
  created_at: number;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  urls?: string[];
}

function videoSummary(video: VideoAnswer): Record<string, unknown> {
  return defined({
    id: video.id,
    status: video.status,
    progress: video.progress,
    model: video.model,
    seconds: video.seconds,
    size: video.size,
    created_at: video.created_at,
    completed_at: video.completed_at,
    url: video.urls?.[0],
    error: video.error,
  });
}

function videoLead(video: VideoAnswer): string {
  switch (video.status) {
    case "completed":
      return `Video ${video.id} is ready: ${video.urls?.[0] ?? "(no URL)"}`;
    case "failed":
      return `Video ${video.id} failed: ${video.error?.message ?? "unknown reason"}`;
    default:
      return `Video ${video.id} is ${
        video.status.replace("_", " ")
      } (${video.progress}%). Call get_video again in a little while.`;
  }
}

function videoBody(args: Record<string, unknown>): Record<string, unknown> {
  const frames = [args.first_frame_url, args.last_frame_url].filter((v) =>
    v !== undefined && v !== null
  );
  const references = (args.references as string[] | undefined) ?? [];
  if (frames.length > 0 && references.length > 0) {
    throw new ArgumentError("Give either first_frame_url/last_frame_url or references, not both");
  }
  if (args.last_frame_url && !args.first_frame_url) {
    throw new ArgumentError("'last_frame_url' needs 'first_frame_url'");
  }
  return defined({
    prompt: args.prompt,
    model: args.model,
    seconds: args.seconds === undefined ? undefined : String(args.seconds),
    size: args.size,
    ratio: args.ratio,
    input_reference: frames.length > 0 ? frames : undefined,
    references: references.length > 0 ? references : undefined,
  });
}

interface ModelAnswer {
  id: string;
  kind: string;
  name?: string;
  resolutions?: string[];
  durations?: unknown;
}

interface PointsAnswer {
  token: string;
  points?: { giftCredit: number; purchaseCredit: number; vipCredit: number; totalCredit: number };
  error?: { message: string };
}

/** The Bearer tokens of an `Authorization` header. */
function bearerTokens(authorization: string): string[] {
  const value = /^\s*bearer\s+(.*)$/i.exec(authorization)?.[1] ?? "";
  return value.split(",").map((t) => t.trim()).filter(Boolean);
}

/**
 * Runs one tool. Failures the caller can act on (bad arguments, any `/v1`
 * error) come back as an error result; anything else is thrown.
 */
export async function callTool(
  deps: ToolDeps,
  name: string,
  rawArgs: unknown,
  context: V1Context,
): Promise<ToolResult> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) {
    return toolError(
      new ArgumentError(
        `Unknown tool '${name}'; the tools are ${TOOLS.map((t) => t.name).join(", ")}`,
      ),
    );
  }
  try {
    const args = checkArgs(tool, rawArgs);
    const include = args.include_images !== false;
    const imageFields = defined({
      prompt: args.prompt,
      model: args.model,
      n: args.n,
      size: args.size,
      ratio: args.ratio,
      resolution: args.resolution,
      negative_prompt: args.negative_prompt,
    });
    switch (name) {
      case "generate_image":
        return await images(
          deps,
          "/v1/images/generations",
          {
            ...imageFields,
            ...defined({ image: args.reference_image_urls }),
          },
          include,
          context,
        );
      case "edit_image":
        return await images(
          deps,
          "/v1/images/edits",
          { ...imageFields, image: args.image_urls },
          include,
          context,
        );
      case "generate_video": {
        const answer = await deps.v1.post<VideoAnswer>("/v1/videos", videoBody(args), context);
        const summary = { ...videoSummary(answer.body), request_id: answer.requestId };
        return { content: [text(summary, videoLead(answer.body))], structuredContent: summary };
      }
      case "get_video": {
        const id = String(args.id).trim();
        if (!id) throw new ArgumentError("'id' is required");
        const answer = await deps.v1.get<VideoAnswer>(
          `/v1/videos/${encodeURIComponent(id)}`,
          context,
        );
        const summary = videoSummary(answer.body);
        return { content: [text(summary, videoLead(answer.body))], structuredContent: summary };
      }
      case "list_models": {
        const query = args.kind ? `?type=${args.kind}` : "";
        const answer = await deps.v1.get<{ data: ModelAnswer[] }>(`/v1/models${query}`, context);
        const models = answer.body.data.map((m) =>
          defined({
            id: m.id,
            kind: m.kind,
            name: m.name,
            resolutions: m.resolutions,
            durations: m.durations,
          })
        );
        return { content: [text({ models })], structuredContent: { models } };
      }
      case "get_credits":
        return await credits(deps, context);
    }
  } catch (error) {
    return toolError(error);
  }
  throw new Error(`Tool ${name} has no handler`);
}

async function credits(deps: ToolDeps, context: V1Context): Promise<ToolResult> {
  const tokens = bearerTokens(context.authorization);
  if (tokens.length === 1 && tokens[0].startsWith("sk-")) {
    const view = deps.keyCredits(tokens[0]);
    const summary = { ...view };
    return { content: [text(summary)], structuredContent: summary };
  }
  const answer = await deps.v1.post<PointsAnswer[]>("/token/points", {}, context);
  const accounts = answer.body.map((entry) =>
    entry.points
      ? {
        account: entry.token,
        credits: {
          total: entry.points.totalCredit,
          gift: entry.points.giftCredit,
          purchase: entry.points.purchaseCredit,
          vip: entry.points.vipCredit,
        },
      }
      : { account: entry.token, error: entry.error?.message ?? "unknown error" }
  );
  const summary = { accounts };
  return { content: [text(summary)], structuredContent: summary };
}
