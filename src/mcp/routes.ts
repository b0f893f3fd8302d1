/**
 * The MCP endpoint at `/mcp`: the Streamable HTTP transport of the Model
 * Context Protocol, from the official SDK (`@modelcontextprotocol/sdk`, its
 * low-level `Server` and the web-standard transport, which takes a `Request`
 * and answers a `Response` — it fits Hono as is).
 *
 * - POST carries JSON-RPC; answers are SSE streams (keep-alive comments while
 *   a generation runs). `initialize` negotiates the protocol version and
 *   opens a session (`Mcp-Session-Id`); DELETE ends it. GET is 405: the
 *   server sends no messages of its own, so it keeps no idle streams open
 *   (which would also hold up a graceful shutdown).
 * - Every request is authenticated as `/v1` authenticates (an issued `sk-`
 *   key, or sessionids unless `ALLOW_SESSIONID_AUTH=false`); otherwise 401
 *   with `WWW-Authenticate: Bearer`. Sessions belong to the credentials that
 *   opened them. There is no cookie login here, so no Origin check is needed
 *   against DNS rebinding: a page cannot send a Bearer token it does not have.
 * - Each tool calls the `/v1` routes in-process (`tools.ts`): usage rows,
 *   quotas, rate limits and errors are exactly those of the API, counted once
 *   per tool call — the MCP messages themselves (initialize, tools/list) take
 *   no rate-limit token and leave no usage row.
 * - The SDK (with zod and ajv) adds ~16 MiB to the server's memory and takes
 *   ~65 ms to load, so it is imported on the first `/mcp` request, not at
 *   start: a server nobody drives over MCP stays as small as before. A
 *   session costs ~75 KiB; at most 256 are kept (`sessions.ts`).
 * @module
 */
import { createHash } from "node:crypto";
// The SDK's wildcard exports name no `.d.ts` for these paths; point the checker at them.
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import type * as TransportModule from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type * as TypesModule from "@modelcontextprotocol/sdk/types.js";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import { accountHealth } from "../accounts/manager.ts";
import { checkCredentials } from "../api/auth.ts";
import type { ApiDeps, ApiEnv } from "../api/deps.ts";
import { ApiError } from "../api/errors.ts";
import { publicBaseUrl } from "../api/public_url.ts";
import { maskSecret } from "../redact.ts";
import { createSessionTable } from "./sessions.ts";
import { callTool, type KeyCredits, type ToolDeps, TOOLS } from "./tools.ts";
import { type AppFetch, createV1Client, ToolCallError, type V1Context } from "./v1_client.ts";

/** How the server introduces itself in `initialize`. */
export const MCP_SERVER_INFO = {
  name: "jimeng-api",
  title: "Jimeng AI (即梦) / Dreamina",
  version: "1.0.0",
};

const INSTRUCTIONS =
  "Generates images and videos with Jimeng AI (即梦) / Dreamina. generate_image and edit_image wait for the images and return them. Videos take minutes: generate_video returns a job id at once; call get_video with it until the status is completed or failed. list_models shows the models with their sizes and durations; get_credits the credits left.";

async function loadSdk() {
  const [server, transport, types] = await Promise.all([
    import("@modelcontextprotocol/sdk/server"),
    import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js") as Promise<
      typeof TransportModule
    >,
    import("@modelcontextprotocol/sdk/types.js") as Promise<typeof TypesModule>,
  ]);
  return {
    Server: server.Server,
    Transport: transport.WebStandardStreamableHTTPServerTransport,
    ListTools: types.ListToolsRequestSchema,
    CallTool: types.CallToolRequestSchema,
  };
}

let sdk: ReturnType<typeof loadSdk> | undefined;

/** What a request tells the tool handlers (the SDK's `authInfo.extra`). */
interface CallerInfo extends Record<string, unknown> {
  authorization: string;
  origin: string;
  hostHeaders: Record<string, string>;
  baseUrl: string | null;
  signal: AbortSignal;
  label: string;
}

/** The headers the public base URL is derived from (`src/api/public_url.ts`). */
function hostHeaders(c: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ["host", "x-forwarded-host", "x-forwarded-proto"]) {
    const value = c.req.header(name);
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

function jsonRpcError(status: number, code: number, message: string, headers = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** The `/mcp` routes; `fetch` serves the in-process `/v1` calls. */
export function mcpRoutes(deps: ApiDeps, fetch: AppFetch): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const sessions = createSessionTable({
    now: deps.now,
    onError: (error) => deps.log.warn("Closing an MCP session failed", { error }),
  });
  const tools: ToolDeps = {
    v1: createV1Client(fetch),
    publicBaseUrl: deps.config.publicBaseUrl,
    keyCredits: (token) => keyCredits(deps, token),
    resultFetch: deps.resultFetch,
  };

  /**
   * A new server and transport for a request without a session id. The
   * session exists (and is in the table) only once `initialize` succeeded.
   */
  async function openSession(owner: string) {
    const { Server, Transport, ListTools, CallTool } = await (sdk ??= loadSdk());
    const server = new Server(MCP_SERVER_INFO, {
      capabilities: { tools: { listChanged: false } },
      instructions: INSTRUCTIONS,
    });
    server.setRequestHandler(ListTools, () => ({ tools: [...TOOLS] }));
    server.setRequestHandler(CallTool, async (request, extra) => {
      const caller = extra.authInfo?.extra as CallerInfo;
      const started = performance.now();
      const context: V1Context = {
        authorization: caller.authorization,
        origin: caller.origin,
        hostHeaders: caller.hostHeaders,
        baseUrl: caller.baseUrl,
        signal: AbortSignal.any([extra.signal, caller.signal]),
      };
      const result = await callTool(tools, request.params.name, request.params.arguments, context);
      deps.log.info(`MCP tool ${request.params.name} ${result.isError ? "failed" : "done"}`, {
        session: extra.sessionId?.slice(0, 8),
        auth: caller.label,
        ms: Math.round(performance.now() - started),
        ...(result.isError ? { error: result.content[0] } : {}),
      });
      // The SDK's result type is a wide union; ours is one of its members.
      return result as unknown as Record<string, unknown>;
    });
    const handle = (request: Request, caller: Record<string, unknown>) =>
      transport.handleRequest(request, {
        authInfo: { token: owner, clientId: owner, scopes: [], extra: caller },
      });
    const transport = new Transport({
      sessionIdGenerator: () => crypto.randomUUID(),
      keepAliveMs: deps.keepAliveMs ?? 15_000,
      maxRequestBodySize: deps.config.maxBodyMb * 1048576,
      onsessioninitialized: (id) => {
        sessions.add({ id, owner, lastSeen: deps.now(), handle, close: () => server.close() });
      },
      onsessionclosed: (id) => sessions.forget(id),
    });
    transport.onerror = (error) => deps.log.debug("MCP transport", { error: error.message });
    await server.connect(transport);
    return { handle, close: () => server.close(), opened: () => transport.sessionId };
  }

  app.use(
    "/mcp",
    cors({
      origin: "*",
      allowMethods: ["POST", "GET", "DELETE", "OPTIONS"],
      allowHeaders: [
        "Authorization",
        "Content-Type",
        "Accept",
        "Mcp-Session-Id",
        "Mcp-Protocol-Version",
        "Last-Event-ID",
      ],
      exposeHeaders: ["Mcp-Session-Id", "WWW-Authenticate", "X-Request-Id"],
      maxAge: 86400,
    }),
  );

  app.all("/mcp", async (c) => {
    const header = c.req.header("authorization");
    let credentials;
    try {
      credentials = checkCredentials(deps, header);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      const challenge = header
        ? 'Bearer realm="jimeng-api", error="invalid_token"'
        : 'Bearer realm="jimeng-api"';
      throw new ApiError(401, error.message, error.type, error.code, error.param, {
        ...error.headers,
        "WWW-Authenticate": challenge,
      });
    }
    const owner = createHash("sha256").update([...credentials.tokens].sort().join(",")).digest(
      "hex",
    );
    const method = c.req.method;
    if (method !== "POST" && method !== "DELETE") {
      return jsonRpcError(
        405,
        -32000,
        "Method not allowed: send JSON-RPC with POST (this server opens no stream of its own), DELETE to end a session",
        { Allow: "POST, DELETE" },
      );
    }
    const caller: CallerInfo = {
      authorization: header!,
      origin: new URL(c.req.url).origin,
      hostHeaders: hostHeaders(c),
      baseUrl: publicBaseUrl(c, deps.config),
      signal: c.req.raw.signal,
      label: credentials.kind === "key"
        ? credentials.key.prefix
        : credentials.tokens.map(maskSecret).join(","),
    };
    const id = c.req.header("mcp-session-id");
    if (id !== undefined) {
      const session = sessions.find(id, owner);
      if (!session) return jsonRpcError(404, -32001, "Session not found: initialize a new one");
      return await session.handle(c.req.raw, caller);
    }
    if (method === "DELETE") {
      return jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
    }
    const fresh = await openSession(owner);
    const response = await fresh.handle(c.req.raw, caller);
    // Anything but a successful initialize leaves no session behind.
    if (fresh.opened() === undefined) await fresh.close();
    return response;
  });

  return app;
}

/** The credits view of an issued key: its quota today and the operator's accounts, masked. */
function keyCredits(deps: ApiDeps, token: string): KeyCredits {
  let key;
  try {
    key = deps.keys!.authenticate(token);
  } catch (error) {
    if (error instanceof ApiError) throw new ToolCallError(error.status, error.toBody().error);
    throw error;
  }
  // What running requests hold counts as used, as it does for the quota itself.
  const held = deps.keys!.held(key.id);
  const used = deps.keys!.usageToday(key.id).credits + held;
  const total = key.creditsUsed + held;
  const now = deps.now();
  return {
    key: key.prefix,
    quota_per_day: key.quotaPerDay,
    used_today: used,
    remaining_today: key.quotaPerDay === null ? null : Math.max(0, key.quotaPerDay - used),
    credit_cap: key.creditCap,
    credits_used: total,
    remaining_total: key.creditCap === null ? null : Math.max(0, key.creditCap - total),
    accounts: deps.pool.storedAccounts().map((account) => ({
      account: account.label,
      health: accountHealth(account, now),
      credits: account.credits?.total ?? null,
    })),
  };
}
