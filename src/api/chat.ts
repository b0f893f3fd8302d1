/**
 * `POST /v1/chat/completions`: image models generate images from the last
 * message's text, with `image_url` parts as reference images; video models
 * make a video (`chat_video.ts`). Results come back as markdown links,
 * streamed or not; a stream's progress lines are `delta.reasoning_content`.
 * @module
 */
import { Hono } from "hono";
import { generateImages } from "../generation/images.ts";
import { DEFAULT_IMAGE_MODEL } from "../jimeng/models.ts";
import { admitGeneration, linkBase } from "./admission.ts";
import type { PollProgress } from "../jimeng/poller.ts";
import {
  clientStays,
  completionShape,
  imagesMarkdown,
  queueNarrator,
  readMessages,
  settleWith,
  streamError,
  wantsUsage,
} from "./chat_common.ts";
import { videoCompletion } from "./chat_video.ts";
import type { ApiDeps, ApiEnv } from "./deps.ts";
import { type Fields, optionalBoolean, optionalString, readJson } from "./fields.ts";
import { loadReferences, parseImageFields } from "./image_request.ts";
import { resolveModelFor } from "./model_resolution.ts";
import { noteImageUsage, publishImages } from "./images.ts";
import { applyModelMap } from "./model_map.ts";
import { imageServiceDeps } from "./service.ts";
import { eventStream } from "./sse.ts";
import { noteCharge } from "./usage.ts";

/** The chat route: image models draw, video models film. */
export function chatRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const service = imageServiceDeps(deps);

  app.post("/chat/completions", async (c) => {
    const fields = await readJson(c);
    const asked = applyModelMap(deps, fields);
    const stream = optionalBoolean(fields, "stream") ?? false;
    const includeUsage = stream && wantsUsage(fields);
    const requested = optionalString(fields, "model", { max: 200 });
    const model = await resolveModelFor(
      deps,
      c.get("auth").accounts,
      requested,
      DEFAULT_IMAGE_MODEL,
      c.req.raw.signal,
    );
    const input = readMessages(fields);
    // The answer names the model as the client asked for it (a MODEL_MAP name stays).
    const shape = completionShape(asked ?? model.id, input.prompt, deps.now());
    if (model.kind === "video") {
      return await videoCompletion(c, deps, { fields, model, input, shape, stream, includeUsage });
    }
    // In chat, `n` and `response_format` mean other things: four images (one task), URLs.
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
    const params = parseImageFields(imageFields, input.prompt, model);
    const signal = c.req.raw.signal;
    const usage = c.get("usage");
    Object.assign(usage, { model: model.id, kind: "image", n: params.n });
    admitGeneration(c, deps, {
      kind: "image",
      model: params.model,
      resolution: params.resolution,
      n: params.n,
    });
    const references = await loadReferences(deps, input.images, signal);
    const auth = c.get("auth");
    const requestId = c.get("requestId");
    const baseUrl = linkBase(c, deps);
    /** Generates, records the images in the media library, and returns their markdown. */
    const run = async (abort: AbortSignal, onProgress?: (progress: PollProgress) => void) => {
      const generation = await generateImages(
        service,
        auth.accounts,
        {
          ...params,
          references,
        },
        abort,
        { onCharge: (charge) => noteCharge(usage, charge), onProgress },
      );
      noteImageUsage(usage, model.id, generation);
      const saved = await publishImages(deps, generation, {
        model: model.id,
        prompt: input.prompt,
        requestId,
        auth,
        baseUrl,
      }, { signal: abort });
      return imagesMarkdown(saved.map((item) => item.url));
    };

    if (!stream) return c.json(shape.completion(await run(signal)));

    const ended = settleWith(usage);
    return eventStream(async (out) => {
      out.send(shape.chunk({ role: "assistant", content: "" }, null));
      let said = "";
      const narrate = queueNarrator();
      // While Jimeng queues the task, say where it stands, as reasoning: the answer's content
      // stays the images alone.
      const onProgress = ({ queue }: PollProgress) => {
        const line = narrate(
          queue
            ? {
              position: queue.position,
              length: queue.length ?? null,
              etaSeconds: queue.etaMs === undefined ? null : Math.ceil(queue.etaMs / 1000),
            }
            : null,
        );
        if (line === undefined || out.signal.aborted) return;
        said += line;
        out.send(shape.chunk({ reasoning_content: line }, null));
      };
      try {
        await clientStays(out.signal, deps.streamHoldMs);
        const content = await run(out.signal, onProgress);
        out.send(shape.chunk({ content }, null));
        out.send(shape.chunk({}, "stop"));
        if (includeUsage) out.send(shape.usageChunk(said + content));
        out.done();
        ended();
      } catch (error) {
        ended(error);
        streamError(deps, out, error);
      }
    }, { signal, keepAliveMs: deps.keepAliveMs });
  });

  return app;
}
