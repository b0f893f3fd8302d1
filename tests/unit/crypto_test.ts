import assert from "node:assert/strict";
import { crc32, crc32Hex } from "../../src/jimeng/crc32.ts";
import { computeSign } from "../../src/jimeng/sign.ts";
import { signV4 } from "../../src/jimeng/sigv4.ts";

const SIGN_VECTORS: [string, string, string][] = [
  [
    "/mweb/v1/aigc_draft/generate",
    "ae3b32f5eac9141aae9ff491a3bd4c7c",
    "a29e0b750501aa30af81fd309a15ceca",
  ],
  [
    "/mweb/v1/get_history_by_ids",
    "9e99ef695c30983f8eb22036fb164009",
    "89fc65c93b50132b5eded79da14f0c14",
  ],
  [
    "/commerce/v1/benefits/user_credit",
    "941a472cc125c2189cfdbb4f6f752ea8",
    "f3f7a12f5f13aca1846fe2ea4fd8a65e",
  ],
  [
    "/commerce/v1/benefits/credit_receive",
    "71879a52ca8f167d30c516cc0e902774",
    "944980d8ce8654a303db0e32d93a62fc",
  ],
  [
    "/mweb/v1/get_upload_token",
    "73778fc3d172e49a6459181a5cdf21f3",
    "1b29032d7ce81e3017668ac5c1923e78",
  ],
  [
    "/passport/account/info/v2",
    "0c940359032a9b46ee792a23c0b1d22b",
    "50ae3799a22d985399d1cafbd651cc3a",
  ],
  [
    "/mweb/v1/get_common_config",
    "d0963c94176f3c2a7ab22e33999b06b7",
    "9262689d3dae629f3323aec273f96945",
  ],
  [
    "/mweb/v1/get_local_item_list",
    "e37133d5da97c542d9ca6a3bc0550c08",
    "91f54cd6c5f6f62f939146893a80bf9e",
  ],
  [
    "/mweb/v1/get_history_records",
    "87e5f7c231c7b9f33518136cf97f31f1",
    "1103c3f82a9330fa721d1ea106ad3b73",
  ],
];

Deno.test("computeSign() matches the fact sheet vectors for Appvr 5.8.0 and 8.4.0", () => {
  for (const [path, v580, v840] of SIGN_VECTORS) {
    const base = { path, platform: "7", deviceTime: 1700000000 };
    assert.equal(computeSign({ ...base, appVersion: "5.8.0" }), v580, path);
    assert.equal(computeSign({ ...base, appVersion: "8.4.0" }), v840, path);
  }
});

Deno.test("computeSign() ignores the query string", () => {
  const base = { platform: "7", deviceTime: 1700000000, appVersion: "5.8.0" };
  assert.equal(
    computeSign({ ...base, path: "/passport/account/info/v2?account_sdk_source=web" }),
    "0c940359032a9b46ee792a23c0b1d22b",
  );
});

Deno.test("crc32() matches the fact sheet vectors", () => {
  const hello = new TextEncoder().encode("hello world");
  assert.equal(crc32(hello), 0x0d4a1185);
  assert.equal(crc32Hex(hello), "0d4a1185");
  assert.equal(crc32Hex(new Uint8Array([0])), "d202ef8d");
  assert.equal(crc32Hex(new Uint8Array()), "00000000");
});

const credentials = {
  accessKeyId: "AKTPEXAMPLEKEY",
  secretAccessKey: "exampleSecretKey/123+abc",
  sessionToken: "STS2exampleSessionToken",
};
const date = new Date("2026-01-01T00:00:00Z");

Deno.test("signV4() matches the ApplyImageUpload vector", () => {
  const signed = signV4({
    method: "GET",
    query: {
      s: "abc123def45",
      Action: "ApplyImageUpload",
      Version: "2018-08-01",
      ServiceId: "tb4s082cfz",
      FileSize: "1024",
    },
    credentials,
    region: "cn-north-1",
    service: "imagex",
    date,
  });
  assert.equal(
    signed.queryString,
    "Action=ApplyImageUpload&FileSize=1024&ServiceId=tb4s082cfz&Version=2018-08-01&s=abc123def45",
  );
  assert.equal(
    signed.canonicalRequestHash,
    "f1b6776bd1de49e1bb9a453502ab7e9745cadc942fa950c23f4b7f62a7256182",
  );
  assert.equal(
    signed.headers.Authorization,
    "AWS4-HMAC-SHA256 Credential=AKTPEXAMPLEKEY/20260101/cn-north-1/imagex/aws4_request, SignedHeaders=x-amz-date;x-amz-security-token, Signature=eb4b93f57cd27bf574c9b14935e6d2992090a39e0b828348725b877d4cf8ffeb",
  );
  assert.equal(signed.headers["X-Amz-Date"], "20260101T000000Z");
  assert.equal(signed.headers["X-Amz-Content-Sha256"], undefined);
});

Deno.test("signV4() matches the CommitImageUpload vector", () => {
  const signed = signV4({
    method: "POST",
    query: {
      Action: "CommitImageUpload",
      FileSize: "1024",
      ServiceId: "tb4s082cfz",
      Version: "2018-08-01",
    },
    body: '{"SessionKey":"exampleSessionKey"}',
    credentials,
    region: "cn-north-1",
    service: "imagex",
    date,
  });
  assert.equal(
    signed.headers["X-Amz-Content-Sha256"],
    "d491bac2497b4e07b13deac54e9f792dc49c3d9d9b6312babac2c01621965347",
  );
  assert.equal(
    signed.canonicalRequestHash,
    "2c8a199b72f50fee0b1c8c9b7d445e11a41c42cd7dbe44faddc5022fee61e577",
  );
  assert.equal(
    signed.headers.Authorization,
    "AWS4-HMAC-SHA256 Credential=AKTPEXAMPLEKEY/20260101/cn-north-1/imagex/aws4_request, SignedHeaders=x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=829e481428d70753c8284f686aac7ed554097ae71b9a8a9d78da493215496146",
  );
});

Deno.test("signV4() percent-encodes query values per RFC 3986", () => {
  const signed = signV4({
    method: "GET",
    query: { b: "a b*c", a: "x/y" },
    credentials,
    region: "cn-north-1",
    service: "imagex",
    date,
  });
  assert.equal(signed.queryString, "a=x%2Fy&b=a%20b%2Ac");
});
