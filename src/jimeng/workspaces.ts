/**
 * Dreamina workspaces: image submits on Dreamina carry the account's
 * `workspace_id`, read from `POST /mweb/v1/workspace/list` (2026-10 sheet §8).
 * @module
 */
import { untilAborted } from "../abortable.ts";
import { JimengError } from "./errors.ts";
import { callUpstream, type Session, type UpstreamContext } from "./http.ts";
import { PATHS } from "./protocol.ts";

/** A workspace id exactly as the upstream wrote it (a number in the captures). */
export type WorkspaceId = string | number;

/**
 * The first workspace of a `workspace/list` answer (`data.workspaces[]`),
 * or `undefined` when it lists none (exported for tests).
 */
export function firstWorkspaceId(data: unknown): WorkspaceId | undefined {
  const list = (data as { workspaces?: unknown } | null)?.workspaces;
  if (!Array.isArray(list)) return undefined;
  for (const entry of list) {
    const id = (entry as { workspace_id?: unknown } | null)?.workspace_id;
    if (typeof id === "number" && Number.isFinite(id)) return id;
    if (typeof id === "string" && id !== "") return id;
  }
  return undefined;
}

/** Reads the account's workspace. */
export async function fetchWorkspaceId(
  ctx: UpstreamContext,
  session: Session,
  signal?: AbortSignal,
): Promise<WorkspaceId> {
  const data = await callUpstream(ctx, session, { path: PATHS.workspaces, body: {}, signal });
  const id = firstWorkspaceId(data);
  if (id === undefined) {
    throw new JimengError(
      "bad_response",
      "Dreamina listed no workspace for the account; open dreamina.capcut.com once with it",
    );
  }
  return id;
}

/** Options of {@linkcode createWorkspaceCache}. */
export interface WorkspaceCacheOptions {
  now: () => number;
  /** How long a looked-up workspace is used. @default 30 minutes */
  ttlMs?: number;
  /** Accounts remembered at most. @default 1000 */
  maxEntries?: number;
}

/** Workspaces per account, looked up once per TTL; concurrent lookups share one call. */
export interface WorkspaceCache {
  get(
    session: Session,
    lookup: (signal?: AbortSignal) => Promise<WorkspaceId>,
    signal?: AbortSignal,
  ): Promise<WorkspaceId>;
}

/** Creates the cache. */
export function createWorkspaceCache(options: WorkspaceCacheOptions): WorkspaceCache {
  const ttlMs = options.ttlMs ?? 30 * 60_000;
  const maxEntries = options.maxEntries ?? 1000;
  const known = new Map<string, { id: WorkspaceId; expires: number }>();
  const pending = new Map<string, Promise<WorkspaceId>>();
  return {
    async get(session, lookup, signal) {
      const key = session.token;
      const cached = known.get(key);
      if (cached && cached.expires > options.now()) return cached.id;
      let running = pending.get(key);
      if (!running) {
        // Not tied to one caller's signal: others may be waiting on the same lookup.
        running = lookup().then((id) => {
          if (known.size >= maxEntries) known.delete(known.keys().next().value!);
          known.set(key, { id, expires: options.now() + ttlMs });
          return id;
        }).finally(() => pending.delete(key));
        pending.set(key, running);
      }
      return await untilAborted(running, signal);
    },
  };
}
