/**
 * OpenAI-style errors: `{"error":{"message","type","param","code"}}` with a
 * real HTTP status. {@linkcode toApiError} is the one place where a failure
 * becomes a status.
 * @module
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { NoAccountError } from "../accounts/pool.ts";
import { JimengError } from "../jimeng/errors.ts";
import { InvalidReferenceError } from "../generation/references.ts";
import { ClientClosedError, JobInterruptedError } from "../jobs/runner.ts";
import { redact } from "../redact.ts";
import { type StorageFailure, storageFailure } from "../store/db.ts";

/** The body of an error answer. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error with everything the answer needs. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly type: string = "invalid_request_error",
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra answer headers (e.g. `Retry-After`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The JSON body; secrets in the message (e.g. echoed input) are masked. */
  toBody(): ErrorBody {
    return {
      error: {
        message: redact(this.message),
        type: this.type,
        param: this.param,
        code: this.code,
      },
    };
  }
}

/** A 400 about one request field. */
export function badRequest(
  param: string | null,
  message: string,
  code = "invalid_value",
): ApiError {
  return new ApiError(400, message, "invalid_request_error", code, param);
}

const HINTS: Record<string, string> = {
  session_expired:
    "log in to jimeng.jianying.com (or dreamina.capcut.com), copy the sessionid cookie again and use it as the Bearer token or update the account in the console",
  insufficient_credits:
    "Jimeng grants free credits every day; wait for them, use a lower resolution or add another account",
  content_blocked: "rephrase the prompt or use another reference image",
  rate_limited: "Jimeng is throttling this server; send fewer requests or wait a while",
  risk_control:
    "Jimeng accepts this call only from its own web page. Repeating it from the server will not help: let the server send it through a browser (JIMENG_BROWSER_TRANSPORT=auto with Chromium installed, see the README's 'Risk control (4013 / -6)'), or use another model",
  client_outdated:
    "set JIMENG_APPVR / JIMENG_DA_VERSION (DREAMINA_APPVR for Dreamina) to the values the web app sends now",
  timeout: "Jimeng is slow right now; try again later or raise the timeout",
  upstream_unavailable: "Jimeng could not be reached or answered garbage; try again later",
  proxy_error:
    "check the account's proxy in the console (Accounts) or JIMENG_PROXY: its address, port and credentials, and that it can reach Jimeng",
};

function withHint(message: string, kind: string): string {
  const hint = HINTS[kind];
  return hint ? `${message}: ${hint}` : message;
}

/** Maps any failure to an {@linkcode ApiError}. Unknown errors become 500 and should be logged. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof JimengError) {
    // A refusal the browser transport could not help with already says what to do.
    const advised = error.kind === "risk_control" && error.cause instanceof JimengError;
    const message = advised ? error.message : withHint(error.message, error.kind);
    switch (error.kind) {
      case "session_expired":
        return new ApiError(401, message, "authentication_error", "session_expired");
      case "insufficient_credits":
        return new ApiError(429, message, "insufficient_quota", "insufficient_quota");
      case "content_blocked":
        return new ApiError(400, message, "invalid_request_error", "content_policy_violation");
      case "rate_limited":
        return new ApiError(429, message, "rate_limit_error", "upstream_rate_limited");
      case "risk_control":
        return new ApiError(403, message, "permission_error", "upstream_risk_control");
      case "model_unavailable":
        return new ApiError(404, message, "invalid_request_error", "model_not_found", "model");
      case "client_outdated":
        return new ApiError(502, message, "upstream_error", "upstream_client_outdated");
      case "invalid_parameter":
        return new ApiError(
          400,
          message,
          "invalid_request_error",
          error.code === "model_not_in_region"
            ? "model_not_available"
            : "upstream_invalid_parameter",
          error.code === "model_not_in_region" ? "model" : null,
        );
      case "generation_failed":
        return new ApiError(502, message, "upstream_error", "generation_failed");
      case "timeout":
        return new ApiError(504, message, "upstream_error", "upstream_timeout");
      case "upstream_unavailable":
        return new ApiError(502, message, "upstream_error", "upstream_unavailable");
      case "proxy_error":
        return new ApiError(502, message, "upstream_error", "proxy_error");
      case "bad_response":
        return new ApiError(502, message, "upstream_error", "upstream_bad_response");
    }
  }
  if (error instanceof InvalidReferenceError) {
    return new ApiError(
      error.status,
      error.message,
      "invalid_request_error",
      error.code ?? (error.status === 413 ? "image_too_large" : "invalid_image"),
      error.param,
    );
  }
  if (error instanceof NoAccountError) {
    return new ApiError(503, error.message, "server_error", "no_account_available");
  }
  if (error instanceof ClientClosedError) return clientClosed(error.message);
  if (error instanceof JobInterruptedError) {
    return new ApiError(503, error.message, "server_error", "server_shutting_down");
  }
  if (error instanceof HTTPException) {
    if (error.status === 413) {
      return new ApiError(
        413,
        "The request body is too large",
        "invalid_request_error",
        "request_too_large",
      );
    }
    return new ApiError(error.status as ContentfulStatusCode, error.message || "Bad request");
  }
  const storage = storageFailure(error);
  if (storage !== undefined) {
    return new ApiError(503, STORAGE_MESSAGES[storage], "server_error", STORAGE_CODES[storage]);
  }
  return new ApiError(500, "Internal server error", "server_error", "internal_error");
}

const STORAGE_MESSAGES: Record<StorageFailure, string> = {
  full:
    "The server's disk is full: its database under DATA_DIR cannot grow. Free disk space on the server (or lower MEDIA_MAX_GB) and retry",
  read_only:
    "The server's database under DATA_DIR is read-only: give the server write access to it and retry",
  io:
    "The server could not read or write its database under DATA_DIR (disk error): check the disk and retry",
  busy: "The server's database is busy: retry in a moment",
};

const STORAGE_CODES: Record<StorageFailure, string> = {
  full: "storage_full",
  read_only: "storage_unavailable",
  io: "storage_unavailable",
  busy: "storage_busy",
};

/** HTTP status recorded for a request whose client went away (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

/** The outcome of a request whose client closed the connection before the answer. */
export function clientClosed(
  message = "The client closed the connection before the answer",
): ApiError {
  return new ApiError(
    CLIENT_CLOSED_STATUS as ContentfulStatusCode,
    message,
    "invalid_request_error",
    "client_closed",
  );
}

/**
 * What a failed request amounts to: `client_closed` (499) when its client
 * went away — a disconnect is not a server error —, else {@linkcode toApiError}.
 */
export function failureOf(c: Context, error: unknown): ApiError {
  if (c.req.raw.signal.aborted) return clientClosed();
  return toApiError(error);
}

/** Status and type of each code {@linkcode toApiError} produces, to rebuild a stored failure. */
const STORED: Record<string, [ContentfulStatusCode, string]> = {
  session_expired: [401, "authentication_error"],
  insufficient_quota: [429, "insufficient_quota"],
  content_policy_violation: [400, "invalid_request_error"],
  upstream_rate_limited: [429, "rate_limit_error"],
  upstream_risk_control: [403, "permission_error"],
  model_not_found: [404, "invalid_request_error"],
  upstream_client_outdated: [502, "upstream_error"],
  model_not_available: [400, "invalid_request_error"],
  upstream_invalid_parameter: [400, "invalid_request_error"],
  generation_failed: [502, "upstream_error"],
  upstream_timeout: [504, "upstream_error"],
  upstream_unavailable: [502, "upstream_error"],
  proxy_error: [502, "upstream_error"],
  upstream_bad_response: [502, "upstream_error"],
  invalid_image: [400, "invalid_request_error"],
  image_too_large: [413, "invalid_request_error"],
  invalid_reference: [400, "invalid_request_error"],
  no_account_available: [503, "server_error"],
  client_closed: [CLIENT_CLOSED_STATUS as ContentfulStatusCode, "invalid_request_error"],
};

/** Rebuilds the error of a failed job from its stored code and message. */
export function fromStoredError(code: string | null, message: string | null): ApiError {
  const [status, type] = STORED[code ?? ""] ?? [500, "server_error"];
  return new ApiError(status, message ?? "The job failed", type, code ?? "internal_error");
}
