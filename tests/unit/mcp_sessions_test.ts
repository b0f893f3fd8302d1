import assert from "node:assert/strict";
import { createSessionTable, type McpSession } from "../../src/mcp/sessions.ts";

function session(id: string, owner: string, closed: string[]): McpSession {
  return {
    id,
    owner,
    lastSeen: 0,
    handle: () => Promise.resolve(new Response(null)),
    close: () => {
      closed.push(id);
      return Promise.resolve();
    },
  };
}

Deno.test("createSessionTable() finds a session only for its owner and drops idle and old ones", () => {
  let now = 0;
  const closed: string[] = [];
  const table = createSessionTable({ now: () => now, maxSessions: 2, idleMs: 1000 });
  table.add(session("a", "alice", closed));
  table.add(session("b", "bob", closed));
  assert.equal(table.find("a", "bob"), undefined);
  now = 500;
  assert.equal(table.find("a", "alice")?.id, "a");
  // Full: the least recently used one (b) goes.
  table.add(session("c", "carol", closed));
  assert.deepEqual(closed, ["b"]);
  assert.equal(table.find("b", "bob"), undefined);
  // Idle past the limit: dropped at the next add.
  now = 1600;
  table.add(session("d", "dave", closed));
  assert.deepEqual(closed, ["b", "a", "c"]);
  assert.equal(table.size(), 1);
  table.forget("d");
  assert.equal(table.size(), 0);
});
