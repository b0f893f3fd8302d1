import assert from "node:assert/strict";
import { maskSecret, redact, registeredSecrets, registerSecret } from "../../src/redact.ts";
import { mulberry32 } from "../helpers/prng.ts";

/** A token of `length` characters from the PRNG (letters and digits). */
function token(random: () => number, length: number): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
}

// First: the registry is process-wide and the other tests fill it.
Deno.test("redact() costs the same with 12,500 registered secrets as with a few", () => {
  const random = mulberry32(23);
  const line =
    `POST /v1/images/generations 200 {"requestId":"${crypto.randomUUID()}","ms":12,"auth":"ab12…cd34","model":"jimeng-image-4.5","prompt":"${
      token(random, 200)
    }"}`;
  const median = (runs: number) => {
    const times: number[] = [];
    for (let r = 0; r < 15; r++) {
      const started = performance.now();
      for (let i = 0; i < runs; i++) redact(line);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[7];
  };
  const before = median(200);
  for (let i = 0; i < 12_500; i++) registerSecret(token(random, 32));
  const after = median(200);
  // A scan over every registered secret made this ~100× slower; an index keeps it flat.
  assert.ok(after < before * 3 + 1, `${before.toFixed(2)} ms → ${after.toFixed(2)} ms per 200`);
});

Deno.test("registerSecret() secrets are masked wherever they appear, longest first", () => {
  const random = mulberry32(7);
  const secrets = Array.from({ length: 40 }, (_, i) => token(random, 6 + (i % 20)));
  for (const secret of secrets) registerSecret(secret);
  // A secret that extends another: the longer one is masked whole.
  registerSecret(`${secrets[0]}Extra`);
  for (let round = 0; round < 300; round++) {
    const used = Array.from(
      { length: 1 + (round % 4) },
      () => secrets[Math.floor(random() * secrets.length)],
    );
    const parts = used.flatMap((s) => [s, round % 3 ? " — 文字 " : ""]);
    const text = `${round % 2 ? "" : "x="}${parts.join("")}${round % 5 ? "." : ""}`;
    let expected = text;
    for (const secret of used) expected = expected.replaceAll(secret, maskSecret(secret));
    assert.equal(redact(text), expected, text);
    for (const secret of used) assert.ok(!redact(text).includes(secret));
  }
  assert.equal(redact(`a${secrets[0]}Extra`), `a${maskSecret(`${secrets[0]}Extra`)}`);
  assert.equal(redact("short"), "short");
});

Deno.test("registerSecret() keeps lasting secrets through a flood of seen ones, bounded", () => {
  const random = mulberry32(11);
  const kept = token(random, 32);
  registerSecret(kept, { lasting: true });
  for (let i = 0; i < 25_000; i++) registerSecret(token(random, 32));
  const { lasting, seen } = registeredSecrets();
  assert.ok(lasting >= 1);
  assert.equal(seen, 10_000, "seen secrets are bounded");
  assert.equal(redact(`session ${kept} end`), `session ${maskSecret(kept)} end`);
});
