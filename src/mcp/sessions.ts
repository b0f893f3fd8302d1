/**
 * The open MCP sessions, by `Mcp-Session-Id`. A session is bound to the
 * credentials that opened it (a hash of its Bearer tokens): a request with
 * the id but other credentials is answered as if the session did not exist.
 * Memory stays bounded without a timer: idle sessions are dropped, and the
 * least recently used one when the table is full, whenever one is added.
 * @module
 */

/** What a session holds; `close` releases its server and transport. */
export interface McpSession {
  id: string;
  /** Hash of the credentials that opened it. */
  owner: string;
  lastSeen: number;
  /** Serves one HTTP request of the session; `caller` goes to the tool handlers. */
  handle(request: Request, caller: Record<string, unknown>): Promise<Response>;
  close(): Promise<void>;
}

/** The table of sessions. */
export interface SessionTable {
  /** The session `id` of `owner`, touched; `undefined` when unknown or someone else's. */
  find(id: string, owner: string): McpSession | undefined;
  add(session: McpSession): void;
  /** Forgets a session (it closed itself). */
  forget(id: string): void;
  size(): number;
}

/** Options of {@linkcode createSessionTable}. */
export interface SessionTableOptions {
  now: () => number;
  /** Sessions kept at most (one is about 75 KiB). @default 256 */
  maxSessions?: number;
  /** A session unused this long is dropped. @default 1 h */
  idleMs?: number;
  onError?: (error: unknown) => void;
}

/** Creates the table. */
export function createSessionTable(options: SessionTableOptions): SessionTable {
  const sessions = new Map<string, McpSession>();
  const max = options.maxSessions ?? 256;
  const idleMs = options.idleMs ?? 3_600_000;

  function drop(session: McpSession): void {
    sessions.delete(session.id);
    session.close().catch((error) => options.onError?.(error));
  }

  return {
    find(id, owner) {
      const session = sessions.get(id);
      if (!session || session.owner !== owner) return undefined;
      session.lastSeen = options.now();
      // Most recently used last: the map's order is the eviction order.
      sessions.delete(id);
      sessions.set(id, session);
      return session;
    },
    add(session) {
      const now = options.now();
      for (const old of [...sessions.values()]) {
        if (now - old.lastSeen > idleMs) drop(old);
      }
      while (sessions.size >= max) drop(sessions.values().next().value!);
      sessions.set(session.id, session);
    },
    forget: (id) => void sessions.delete(id),
    size: () => sessions.size,
  };
}
