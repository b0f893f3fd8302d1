/**
 * The web API routes (/mweb, /commerce, /passport): path → family and
 * handler. The small handlers (model config, upload token, algo_proxy) live
 * here; the larger ones in their own modules.
 * @module
 */
import { handleAccountInfo, handleCreditReceive, handleUserCredit } from "./account.ts";
import { handleGenerate } from "./generate.ts";
import { handleHistory, handleLocalItems } from "./history.ts";
import { issueUploadToken } from "./imagex.ts";
import { imageConfig, videoConfig } from "./models.ts";
import { mwebOk, rejectViolation, type Reply, retError } from "./reply.ts";
import type { FakeState, SessionState } from "./state.ts";
import type { Family } from "./validate.ts";

/** One web route. */
export interface WebRoute {
  family: Family;
  handle: (state: FakeState, session: SessionState, body: unknown) => Reply;
}

function handleUploadToken(state: FakeState, session: SessionState, body: unknown): Reply {
  const scene = (body as Record<string, unknown> | null)?.scene;
  // scene 2 = images (ImageX); scene 1 = video and audio (VOD).
  if (scene !== 2 && scene !== 1) {
    return rejectViolation(
      state,
      "/mweb/v1/get_upload_token",
      'body must be {"scene":2} or {"scene":1}',
    );
  }
  return mwebOk(state, issueUploadToken(state, session, scene));
}

/** `algo_proxy` (fact sheet 6.5): content check of an uploaded image. */
function handleAlgoProxy(state: FakeState, session: SessionState, body: unknown): Reply {
  const where = "/mweb/v1/algo_proxy";
  const files = (body as Record<string, unknown> | null)?.file_list;
  if (!Array.isArray(files) || files.length === 0) {
    return rejectViolation(state, where, "file_list must be a non-empty array");
  }
  const images = [];
  for (const file of files) {
    const uri = (file as Record<string, unknown> | null)?.file_uri;
    const image = typeof uri === "string" ? session.committed.get(uri) : undefined;
    if (!image) return rejectViolation(state, where, `file_uri ${uri} was not committed`);
    images.push(image);
  }
  if (images.some((image) => image.risky)) return retError(state, "2003", "risk not pass");
  return mwebOk(state, {
    algo_status: 0,
    result_list: images.map((image) => ({ file_uri: image.uri, pass: true })),
  });
}

function config(build: (session: SessionState) => unknown): WebRoute["handle"] {
  return (state, session) => mwebOk(state, build(session));
}

/** Every emulated web path. */
export const WEB_ROUTES: ReadonlyMap<string, WebRoute> = new Map<string, WebRoute>([
  ["/passport/account/info/v2", { family: "passport", handle: handleAccountInfo }],
  ["/commerce/v1/benefits/user_credit", { family: "commerce", handle: handleUserCredit }],
  ["/commerce/v1/benefits/credit_receive", { family: "commerce", handle: handleCreditReceive }],
  ["/mweb/v1/aigc_draft/generate", { family: "mweb", handle: handleGenerate }],
  ["/mweb/v1/get_history_by_ids", { family: "mweb", handle: handleHistory }],
  ["/mweb/v1/get_local_item_list", { family: "mweb", handle: handleLocalItems }],
  ["/mweb/v1/get_upload_token", { family: "mweb", handle: handleUploadToken }],
  ["/mweb/v1/algo_proxy", { family: "mweb", handle: handleAlgoProxy }],
  ["/mweb/v1/get_common_config", {
    family: "mweb",
    handle: config((session) => imageConfig(session.region)),
  }],
  ["/mweb/v1/video_generate/get_common_config", {
    family: "mweb",
    handle: config((session) => videoConfig(session.region)),
  }],
]);
