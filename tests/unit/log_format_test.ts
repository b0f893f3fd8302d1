import assert from "node:assert/strict";
import { createLogger, formatText } from "../../src/log.ts";

const AT = new Date(2026, 9, 5, 14, 3, 22).getTime();

Deno.test("formatText() is time, level, message and a few key=value fields", () => {
  assert.equal(
    formatText({
      time: AT,
      level: "warn",
      message: "Account check failed",
      fields: { account: "0f1e…e1f0", error: "socket closed", ms: 12, none: null },
    }),
    '14:03:22 WARN  Account check failed  account=0f1e…e1f0  error="socket closed"  ms=12',
  );
  const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i]));
  const line = formatText({ time: AT, level: "info", message: "m", fields: many });
  assert.equal(line.match(/ f\d+=/g)?.length, 8, "at most eight fields");
  assert.ok(
    formatText({ time: AT, level: "info", message: "m", fields: { x: "y".repeat(900) } })
      .length < 400,
  );
});

Deno.test("createLogger() writes text on a terminal and JSON lines otherwise or when asked", () => {
  const run = (options: Parameters<typeof createLogger>[0]) => {
    const lines: string[] = [];
    const log = createLogger({ ...options, write: (line) => lines.push(line), now: () => AT });
    log.info("Listening on 0.0.0.0:8000 (every network interface)", { port: 8000 });
    log.notice(
      "No console administrator yet. Open this one-time link to create one:",
      "http://localhost:8000/setup?token=abc",
    );
    log.warn("Bearer 0f1e2d3c4b5a69788796a5b4c3d2e1f0 was refused");
    return lines;
  };
  const text = run({ format: "auto", terminal: true });
  assert.deepEqual(text, [
    "14:03:22 INFO  Listening on 0.0.0.0:8000 (every network interface)  port=8000",
    "14:03:22 INFO  No console administrator yet. Open this one-time link to create one:",
    "\n    http://localhost:8000/setup?token=abc\n",
    "14:03:22 WARN  Bearer 0f1e…e1f0 was refused",
  ]);
  assert.deepEqual(run({ format: "text", terminal: false }), text);
  for (
    const json of [
      run({ format: "auto", terminal: false }),
      run({ format: "json", terminal: true }),
    ]
  ) {
    const parsed = json.map((line) => JSON.parse(line));
    assert.equal(parsed.length, 3);
    assert.deepEqual(parsed[0], {
      time: new Date(AT).toISOString(),
      level: "info",
      msg: "Listening on 0.0.0.0:8000 (every network interface)",
      port: 8000,
    });
    assert.match(parsed[1].msg, /create one: http:\/\/localhost:8000\/setup\?token=abc$/);
    assert.equal(parsed[2].msg, "Bearer 0f1e…e1f0 was refused");
  }
});
