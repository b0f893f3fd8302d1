import assert from "node:assert/strict";
import { maskSecret, redact, registeredSecrets, registerSecret } from "../../src/redact.ts";
import { mulberry32 } from "../helpers/prng.ts";

/** A token of `length` characters from the PRNG (letters and digits). */
function token(random: () => number, length: number): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
}

// First: the registry is process-wide and the other tests fill it.
Deno.test("redact() compares a text with a few candidates, not with every registered secret", () => {
  const random = mulberry32(23);
  const line =
    `POST /v1/images/generations 200 {"requestId":"${crypto.randomUUID()}","auth":"ab12…cd34",` +
    `"prompt":"${token(random, 200)}"}`;
  for (let i = 0; i < 12_500; i++) registerSecret(token(random, 32));
  const secret = token(random, 32);
  registerSecret(secret);
  // Count the string searches one call makes (a scan per secret made one per registered secret).
  const methods = ["includes", "indexOf", "startsWith", "replaceAll", "split"] as const;
  const originals = methods.map((name) => String.prototype[name]);
  let searches = 0;
  methods.forEach((name, i) => {
    // deno-lint-ignore no-explicit-any
    (String.prototype as any)[name] = function (this: string, ...args: unknown[]) {
      searches++;
      // deno-lint-ignore no-explicit-any
      return (originals[i] as any).apply(this, args);
    };
  });
  let masked: string;
  try {
    masked = redact(`${line} ${secret}`);
  } finally {
    // deno-lint-ignore no-explicit-any
    methods.forEach((name, i) => ((String.prototype as any)[name] = originals[i]));
  }
  assert.ok(masked.endsWith(maskSecret(secret)), masked);
  assert.ok(searches < 50, `${searches} string searches for one line`);
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
