/**
 * Chat completions with a video model: the last message's text is the
 * prompt, the first and second `image_url` parts are the first and last
 * frame — unless a video or audio part (`input_audio`, `video_url`), an `@`
 * placeholder or more than two images make it an omni-reference video
 * (`omni_request.ts`). The video is a durable job; a streamed answer reports
 * its progress in words while it waits (its place in Jimeng's queue, then the
 * share of the expected time) as `delta.reasoning_content`, which chat clients
 * show as a collapsible thinking block, and sends the link alone as `content`.
 * @module
 */
import type { Context } from "hono";
import type { VideoModel } from "../jimeng/models.ts";
import type { Job } from "../store/jobs.ts";
import { admitGeneration, linkBase } from "./admission.ts";
import {
  type ChatInput,
  type CompletionShape,
  queueNarrator,
  settleWith,
  STREAM_HOLD_MS,
  streamError,
} from "./chat_common.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { ApiError, fromStoredError } from "./errors.ts";
import type { Fields } from "./fields.ts";
import { takesOmniReferences } from "../jimeng/omni.ts";
import { resolveVideoInputs, videoJobParams } from "./omni_request.ts";
import { eventStream } from "./sse.ts";
import { checkVideoFrames, chooseSeconds, chooseVideoShape } from "./video_request.ts";
import { resultUrls, toVideoObject, toVideoQueue } from "./videos.ts";

/** A chat request for a video. */
export interface VideoChatRequest {
  fields: Fields;
  model: VideoModel;
  input: ChatInput;
  shape: CompletionShape;
  stream: boolean;
  includeUsage: boolean;
}

/** The answer's text for a finished video. */
export function videoMarkdown(url: string): string {
  return `![video](${url})\n\n[Download the video](${url})`;
}

function describeJob(job: Job): string {
  const video = toVideoObject(job);
  return `${job.model}, ${video.seconds} s, ${video.size}`;
}

/** Answers a chat completion with a video. */
export async function videoCompletion(
  c: Context<ApiEnv>,
  deps: ApiDeps,
  request: VideoChatRequest,
): Promise<Response> {
  const { fields, model, input, shape } = request;
  const signal = c.req.raw.signal;
  chooseVideoShape(fields, model, input.prompt);
  const omniCapable = takesOmniReferences(model);
  if (!omniCapable) chooseSeconds(fields, model, input.prompt);
  const av = input.media.find((source) => source.declared?.kind !== "image");
  // Without video or audio, a model that takes only frames takes one or two images, as /v1/videos.
  if (!omniCapable && !av) checkVideoFrames(input.media);
  const sources = input.media;
  const resolved = await resolveVideoInputs(deps, {
    model,
    prompt: input.prompt,
    promptParam: "messages",
    sources: { sources, explicit: av !== undefined, explicitParam: av?.param },
    signal,
  });
  const params = videoJobParams(fields, model, input.prompt, resolved);
  const auth = c.get("auth");
  const usage = c.get("usage");
  Object.assign(usage, { model: model.id, kind: "video", n: 1 });
  admitGeneration(c, deps, {
    kind: "video",
    model,
    resolution: params.resolution,
    seconds: params.seconds,
  });
  const baseUrl = linkBase(c, deps);
  const created = deps.jobs.create({
    model,
    prompt: input.prompt,
    params,
    owner: auth.owner,
    tokens: auth.tokens,
    apiKeyId: auth.apiKeyId,
    requestId: c.get("requestId"),
    inputs: resolved.mode === "frames" ? resolved.images : [],
    references: resolved.mode === "omni" ? resolved.files : undefined,
    // Nothing is submitted for a client that is gone before the submit; a streamed answer
    // waits a moment after its first bytes, so that one closed at once costs nothing.
    clientSignal: signal,
    holdMs: request.stream ? deps.streamHoldMs ?? STREAM_HOLD_MS : 0,
  });
  usage.job = deps.jobs.outcome(created.id);

  const finished = async (abort: AbortSignal): Promise<string> => {
    const job = await deps.jobs.wait(created.id, abort);
    if (!job) {
      throw new ApiError(
        404,
        `Video job ${created.id} was deleted`,
        "invalid_request_error",
        "video_not_found",
      );
    }
    if (job.status === "failed") throw fromStoredError(job.errorCode, job.errorMessage);
    return videoMarkdown(resultUrls(job, baseUrl)[0]);
  };

  if (!request.stream) return c.json(shape.completion(await finished(signal)));

  const ended = settleWith(usage);
  return eventStream(async (out) => {
    // Progress goes out as reasoning (clients show it as a collapsible thinking block), so the
    // saved answer is the result alone.
    let reasoning = "";
    const say = (text: string) => {
      reasoning += text;
      out.send(shape.chunk({ reasoning_content: text }, null));
    };
    out.send(shape.chunk({ role: "assistant", content: "" }, null));
    say(`Queued: video job ${created.id} (${describeJob(created)}).\n`);
    let phase: "new" | "submitted" | "running" = "new";
    let shown = 0;
    const narrate = queueNarrator();
    const unsubscribe = deps.jobs.subscribe(created.id, (job) => {
      if (job.status !== "in_progress") return;
      if (phase === "new") {
        phase = "submitted";
        say("Submitted to Jimeng.\n");
        return;
      }
      const queue = job.queue ? toVideoQueue(job.queue, deps.now()) : null;
      const line = narrate(
        queue && { position: queue.position, length: queue.length, etaSeconds: queue.eta_seconds },
      );
      if (line !== undefined) say(line);
      if (queue) return;
      if (phase === "submitted") {
        phase = "running";
        if (line === undefined) say("Generating…\n");
        return;
      }
      const step = Math.floor(job.progress / 10) * 10;
      if (step > shown) {
        shown = step;
        say(`Generating: ${step}%\n`);
      }
    });
    try {
      const content = await finished(out.signal);
      out.send(shape.chunk({ content }, null));
      out.send(shape.chunk({}, "stop"));
      if (request.includeUsage) out.send(shape.usageChunk(reasoning + content));
      out.done();
      ended();
    } catch (error) {
      ended(error);
      streamError(deps, out, error);
    } finally {
      unsubscribe();
    }
  }, { signal, keepAliveMs: deps.keepAliveMs });
}
