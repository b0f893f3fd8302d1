/**
 * Calls the server's own `/v1` routes in-process for the MCP tools, with the
 * caller's `Authorization` header. Authentication, usage records, quotas and
 * rate limits are therefore whatever `/v1` does, with no copy here; an error
 * answer becomes a {@linkcode ToolCallError} carrying the API's error body.
 * @module
 */
import type { ErrorBody } from "../api/errors.ts";

/** Serves a request in-process (the application's `fetch`). */
export type AppFetch = (request: Request) => Response | Promise<Response>;

/** Who is calling and where the call comes from. */
export interface V1Context {
  /** The MCP request's `Authorization` header, passed on unchanged. */
  authorization: string;
  /** The MCP request's URL; inner requests use its origin. */
  origin: string;
  /** Aborts the inner request (the MCP client cancelled the call). */
  signal?: AbortSignal;
}

/** A successful answer. */
export interface V1Answer<T> {
  status: number;
  body: T;
  /** The `X-Request-Id` of the inner request (its usage row and log line carry it). */
  requestId: string | null;
}

/** A `/v1` error answer, as a tool error: the same message, the same code. */
export class ToolCallError extends Error {
  override name = "ToolCallError";
  constructor(
    readonly status: number,
    readonly error: ErrorBody["error"],
    readonly requestId: string | null = null,
  ) {
    super(error.message);
  }
}

/** The in-process client of `/v1`. */
export interface V1Client {
  get<T>(path: string, context: V1Context): Promise<V1Answer<T>>;
  post<T>(path: string, body: unknown, context: V1Context): Promise<V1Answer<T>>;
  /** Any in-process request (e.g. a `/media/…` file); the response as it is. */
  raw(path: string, context: V1Context): Promise<Response>;
}

/** Creates the client over the application's `fetch`. */
export function createV1Client(fetch: AppFetch): V1Client {
  function request(method: string, path: string, body: unknown, context: V1Context): Request {
    const headers = new Headers({
      Authorization: context.authorization,
      Accept: "application/json",
    });
    if (body !== undefined) headers.set("Content-Type", "application/json");
    return new Request(new URL(path, context.origin), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: context.signal,
    });
  }

  async function call<T>(
    method: string,
    path: string,
    body: unknown,
    context: V1Context,
  ): Promise<V1Answer<T>> {
    const response = await fetch(request(method, path, body, context));
    const requestId = response.headers.get("x-request-id");
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok && parsed !== undefined) {
      return { status: response.status, body: parsed as T, requestId };
    }
    const error = (parsed as Partial<ErrorBody> | undefined)?.error;
    throw new ToolCallError(
      response.status,
      error && typeof error.message === "string" ? error : {
        message: `${method} ${path} answered HTTP ${response.status}`,
        type: "server_error",
        param: null,
        code: null,
      },
      requestId,
    );
  }

  return {
    get: (path, context) => call("GET", path, undefined, context),
    post: (path, body, context) => call("POST", path, body, context),
    raw: async (path, context) => await fetch(request("GET", path, undefined, context)),
  };
}
