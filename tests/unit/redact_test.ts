import assert from "node:assert/strict";
import { createAccountPool, newAccount } from "../../src/accounts/pool.ts";
import { clientClosed, toApiError } from "../../src/api/errors.ts";
import { errorFromFailCode, errorFromRet, withModelAlternatives } from "../../src/jimeng/errors.ts";
import { looksLikeSecret, redact, registerSecret } from "../../src/redact.ts";
import { isProse, literalsUnder, scanLiterals } from "../helpers/literals.ts";

const SID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const KEY = "sk-Zq3v8Hk1LmN0pQr5StUvWxYz2AbCdEfGhIjKlMnOpQr";

Deno.test("redact() masks credentials after Bearer, in cookies and as keys", () => {
  assert.equal(redact(`Authorization: Bearer ${SID}`), "Authorization: Bearer 0f1e…e1f0");
  assert.equal(redact(`Bearer ${SID},us-${SID}`), "Bearer 0f1e…e1f0,us-0…e1f0");
  assert.equal(redact(`Cookie: sessionid=${SID}; sid_tt=${SID}`).includes(SID), false);
  assert.equal(redact(`the key ${KEY} works`), "the key sk-Z…OpQr works");
  assert.equal(redact("password=hunter2"), "password=hu…");
  assert.equal(redact(`{"token":"${SID}"}`).includes(SID), false);
  assert.equal(redact(`Bearer abcd1234xyz`), "Bearer ab…");
  registerSecret("short-pw-1");
  assert.equal(redact("it was short-pw-1 all along"), "it was sh… all along");
});

Deno.test("redact() leaves our own sentences alone", () => {
  for (
    const text of [
      "Missing credentials: send 'Authorization: Bearer <API key>' or 'Bearer <Jimeng sessionid>'",
      "use it as the Bearer token or update the account in the console",
      "GET /metrics needs the METRICS_TOKEN: send 'Authorization: Bearer <token>' or '?token=<token>'",
      "The token routes work on the sessionids sent as the Bearer value",
      "Accept a Bearer value that is not an issued key",
      "the session: expired",
    ]
  ) {
    assert.equal(redact(text), text);
  }
  assert.ok(!looksLikeSecret("token"));
  assert.ok(!looksLikeSecret("<API"));
  assert.ok(looksLikeSecret(SID));
});

Deno.test("scanLiterals() finds strings and templates, skipping comments and regexes", () => {
  const source = [
    "// 'not this'",
    "const a = 'one two three'; /* \"nor this\" */",
    "const re = /it's [\"`]/g;",
    "const b = `x ${a + `inner ${1}`} y`;",
    'throw new Error("Bearer \\"quoted\\"");',
  ].join("\n");
  const found = scanLiterals(source, "t.ts").map((l) => [l.line, l.text]);
  assert.deepEqual(found, [
    [2, "one two three"],
    [4, "inner X"],
    [4, "x X y"],
    [5, 'Bearer "quoted"'],
  ]);
});

Deno.test("every sentence in the server's sources survives the masker unchanged", async () => {
  const sentences = (await literalsUnder(new URL("../../src", import.meta.url).pathname))
    .filter((literal) => isProse(literal.text));
  // The scan must find the messages (a broken scanner would pass vacuously).
  assert.ok(sentences.length > 300, `only ${sentences.length} sentences found`);
  assert.ok(sentences.some((s) => s.text.includes("Bearer <API key>")));
  const damaged = sentences
    .filter((literal) => redact(literal.text) !== literal.text)
    .map((literal) => `${literal.file}:${literal.line}: ${redact(literal.text)}`);
  assert.deepEqual(damaged, []);
});

Deno.test("every upstream and account error, as the client gets it, survives the masker", () => {
  const errors: unknown[] = [];
  for (
    const ret of [
      "1015",
      "34010105",
      "1006",
      "5000",
      "2039",
      "4001",
      "2003",
      "3018",
      "1014",
      "2061",
      "4002",
      "34010100",
      "5001",
      "5002",
      "4013",
      "1019",
      "-6",
      "9999",
    ]
  ) {
    errors.push(errorFromRet(ret, "积分不足"), errorFromRet(ret, ""));
  }
  for (const code of ["2038", "2047", "4001", "1006", "5000", "4013", "", "77"]) {
    errors.push(
      errorFromFailCode(code, "image"),
      errorFromFailCode(code, "video", "shark not pass"),
    );
  }
  errors.push(
    withModelAlternatives(errorFromRet("2061", ""), "jimeng-image-4.5", ["jimeng-image-5.0-lite"]),
  );
  const pool = createAccountPool();
  const account = newAccount(SID, "stored", 1);
  const filter = { regions: ["cn" as const], exclude: new Set<string>() };
  errors.push(pool.exhausted([], filter));
  errors.push(pool.exhausted([{ ...account, disabled: true }], filter));
  errors.push(pool.exhausted([{ ...account, expired: true }], filter));
  errors.push(pool.exhausted([account], filter));
  errors.push(pool.exhausted([account], { ...filter, regions: ["us"] }));
  const messages = errors.map((error) => toApiError(error).message);
  messages.push(clientClosed().message);
  for (const message of messages) {
    assert.equal(redact(message), message);
    assert.ok(!message.includes(SID));
  }
  // The expired-session advice is given once, not twice.
  const expired = toApiError(pool.exhausted([{ ...account, expired: true }], filter)).message;
  assert.equal(expired.match(/log in/g)?.length, 1, expired);
  const noAccount = toApiError(pool.exhausted([], filter));
  assert.equal(noAccount.status, 503);
  assert.equal(noAccount.code, "no_account_available");
});
