/**
 * Replies as plain data (so a fault can still truncate or drop them after
 * the handler ran) and the upstream's response envelopes (fact sheet 1.7).
 * @module
 */
import { createHash } from "node:crypto";
import type { FakeState } from "./state.ts";

/** A response before it becomes a `Response`. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
}

/** A JSON reply. */
export function jsonReply(value: unknown, status = 200): Reply {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(value),
  };
}

/** `20260111101839` + 20 upper-case hex, like the observed `logid`s. */
function logId(state: FakeState): string {
  const stamp = new Date(state.options.now() + 8 * 3600_000).toISOString()
    .replace(/[-:T]/g, "").slice(0, 14);
  const counter = (++state.seq).toString(16).toUpperCase().padStart(20, "0");
  return `${stamp}${counter}`;
}

function systime(state: FakeState): string {
  return String(Math.floor(state.options.now() / 1000));
}

/** The /mweb envelope with `ret` "0". */
export function mwebOk(state: FakeState, data: unknown): Reply {
  return jsonReply({
    ret: "0",
    errmsg: "success",
    systime: systime(state),
    logid: logId(state),
    data,
  });
}

/** A business error in the /mweb envelope (HTTP 200, `ret` a string). */
export function retError(
  state: FakeState,
  ret: string,
  errmsg: string,
  data: unknown = null,
): Reply {
  return jsonReply({ ret, errmsg, systime: systime(state), logid: logId(state), data });
}

/**
 * The /commerce envelope: the payload stringified in `response`, and on CN
 * also as the object `data`; Dreamina sends only the string (2026-10 sheet §8).
 */
export function commerceOk(state: FakeState, data: unknown, onlyString = false): Reply {
  const response = JSON.stringify(data);
  return jsonReply({
    ret: "0",
    errmsg: "success",
    svr_time: Math.floor(state.options.now() / 1000),
    log_id: logId(state),
    response,
    sign: createHash("sha256").update(state.cdnSecret).update(response).digest("base64"),
    ...(onlyString ? {} : { data }),
  });
}

/** Records a protocol violation and answers ret "4002" the way the fake rejects requests. */
export function rejectViolation(state: FakeState, where: string, reason: string): Reply {
  state.stats.violations.push(`${where}: ${reason}`);
  return retError(state, "4002", `invalid request: ${reason}`);
}

/** Fields of an ImageX (Volcengine OpenAPI style) reply. */
export interface ImagexReplyInput {
  action: string;
  /** SigV4 region of the cluster. @default "cn-north-1" */
  region?: string;
  /** Which OpenAPI answers. @default "imagex" */
  service?: "imagex" | "vod";
}

function imagexMetadata(state: FakeState, { action, region, service }: ImagexReplyInput) {
  return {
    RequestId: logId(state),
    Action: action,
    Version: service === "vod" ? "2020-11-19" : "2018-08-01",
    Service: service ?? "imagex",
    Region: region ?? "cn-north-1",
  };
}

/** A successful ImageX reply. */
export function imagexOk(state: FakeState, input: ImagexReplyInput, result: unknown): Reply {
  return jsonReply({ ResponseMetadata: imagexMetadata(state, input), Result: result });
}

/** What went wrong on an ImageX call. */
export interface ImagexErrorInput extends ImagexReplyInput {
  status: number;
  code: string;
  message: string;
  /** Whether the client broke the protocol (recorded in `stats.violations`). @default true */
  violation?: boolean;
}

/** An ImageX error: HTTP 4xx with `ResponseMetadata.Error`. */
export function imagexError(state: FakeState, input: ImagexErrorInput): Reply {
  if (input.violation !== false) {
    state.stats.violations.push(
      `${input.service ?? "imagex"}:${input.action}: ${input.code}: ${input.message}`,
    );
  }
  return jsonReply({
    ResponseMetadata: {
      ...imagexMetadata(state, input),
      Error: { Code: input.code, Message: input.message },
    },
  }, input.status);
}

/** Unknown route. */
export function notFound(path: string): Reply {
  return jsonReply({ error: "not_found", message: `No route for ${path}` }, 404);
}
