import assert from "node:assert/strict";
import type { LogEntry } from "../../src/store/logs.ts";
import { countLogs, queryLogs } from "../../src/store/logs.ts";
import { startStack } from "../helpers/stack.ts";

Deno.test("the server keeps its last LOG_KEEP records in SQLite and tells subscribers", async () => {
  const stack = await startStack({ env: { LOG_KEEP: "5" } });
  const live: LogEntry[] = [];
  const unsubscribe = stack.server.deps.logs.subscribe((entry) => live.push(entry));
  try {
    for (let i = 0; i < 8; i++) await (await fetch(`${stack.url}/nowhere-${i}`)).body?.cancel();
    await (await fetch(`${stack.url}/metrics`)).body?.cancel();
    stack.server.deps.logs.flush();
    assert.equal(countLogs(stack.server.db), 5);
    const newest = queryLogs(stack.server.db, { limit: 10 });
    assert.deepEqual(
      newest.map((entry) => entry.message),
      [7, 6, 5, 4, 3].map((i) => `GET /nowhere-${i} 404`),
      "debug-level lines (the scrape) stay out of the table",
    );
    assert.equal(typeof newest[0].fields?.requestId, "string");
    assert.deepEqual(live.slice(-5).map((entry) => entry.id), newest.map((e) => e.id).reverse());
  } finally {
    unsubscribe();
    await stack.close();
  }
});
