/**
 * What an operator configures: API key options (the base URL to paste,
 * expiry, model allow-list, total credit cap, deleting revoked keys),
 * account names and notes, `MODEL_MAP`, links built from the request's own
 * address, and the statistics without stored accounts.
 * @module
 */
import assert from "node:assert/strict";
import { type APIError } from "openai";
import type { AccountJson } from "../../src/dashboard/accounts_routes.ts";
import type { KeyJson } from "../../src/dashboard/keys_routes.ts";
import { ADMIN_ENV, type AdminClient, loginAdmin } from "../helpers/admin.ts";
import { GOOD_SESSION, startStack } from "../helpers/stack.ts";
import { waitFor } from "../helpers/wait.ts";

const ENV = { ...ADMIN_ENV, DAILY_CLAIM: "false", JIMENG_SESSIONS: GOOD_SESSION };

type CreatedKey = KeyJson & { key: string; baseUrl: string | null };

function createKey(admin: AdminClient, body: Record<string, unknown>): Promise<CreatedKey> {
  return admin.json<CreatedKey>("POST", "/keys", { name: "client", ...body }, 201);
}

Deno.test("a new key comes with the base URL to paste; expiry, allow-list and credit cap are enforced on /v1", async () => {
  const stack = await startStack({ env: ENV, overrides: { creditRefreshMs: 0 } });
  try {
    await stack.server.scheduler.idle();
    const admin = await loginAdmin(stack);
    const plain = await createKey(admin, {});
    assert.equal(plain.baseUrl, `${stack.url}/v1`);
    assert.deepEqual([plain.expiresAt, plain.models, plain.creditCap], [null, null, null]);

    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const limited = await createKey(admin, {
      expiresAt,
      models: ["jimeng-4.5", "jimeng-image-4.5", "jimeng-video-3.0"],
      creditCap: 5,
    });
    assert.equal(limited.expiresAt, Date.parse(expiresAt));
    assert.deepEqual(limited.models, ["jimeng-image-4.5", "jimeng-video-3.0"], "aliases → ids");
    assert.equal(limited.creditCap, 5);
    const client = stack.openai(limited.key);
    await assert.rejects(
      client.images.generate({ model: "jimeng-image-4.0", prompt: "not allowed" }),
      (error: APIError) => {
        assert.equal(error.status, 403);
        assert.equal(error.code, "model_not_allowed");
        assert.equal(error.param, "model");
        assert.match(error.message, /may use 'jimeng-image-4\.5', 'jimeng-video-3\.0'/);
        return true;
      },
    );
    // Four 2k images (one task) reserve 4 credits (cost 2): the first fit the cap of 5, the
    // next do not.
    await client.images.generate({ model: "jimeng-image-4.5", prompt: "allowed", n: 4 });
    await assert.rejects(
      client.images.generate({ model: "jimeng-image-4.5", prompt: "over the cap", n: 4 }),
      (error: APIError) => error.status === 429 && /credit cap of 5/.test(error.message),
    );
    await waitFor(async () => {
      const key = (await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data
        .find((k) => k.id === limited.id)!;
      return key.creditsUsed === 2;
    }, "the cap to count the real spend");
    // 2 charged + four 1k images' 2 reserved fit in 5.
    await client.images.generate({
      model: "jimeng-image-4.5",
      prompt: "fits",
      size: "1024x1024",
      n: 4,
    });
    assert.equal(stack.fake.records().length, 2);

    for (
      const [body, param] of [
        [{ expiresAt: "2001-01-01T00:00:00Z" }, "expiresAt"],
        [{ expiresAt: "soon" }, "expiresAt"],
        [{ models: [] }, "models"],
        [{ models: ["dall-e-3"] }, "models"],
        [{ creditCap: 0 }, "creditCap"],
      ] as const
    ) {
      const response = await admin.call("POST", "/keys", { name: "bad", ...body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal((await response.json()).error.param, param);
    }
    const patched = await admin.json<KeyJson>("PATCH", `/keys/${limited.id}`, {
      models: null,
      creditCap: null,
    });
    assert.deepEqual([patched.models, patched.creditCap], [null, null]);
    await client.images.generate({ model: "jimeng-image-4.0", prompt: "any model now" });

    // Expired (time passed): 401 api_key_expired on every /v1 call.
    stack.server.db.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?").run(
      Date.now() - 1,
      limited.id,
    );
    await assert.rejects(
      client.models.retrieve("jimeng-image-4.5").then(() => client.videos.list()),
      (error: APIError) => error.status === 401 && error.code === "api_key_expired",
    );
  } finally {
    await stack.close();
  }
});

Deno.test("revoked keys can be deleted for good; active ones must be revoked first", async () => {
  const stack = await startStack({ env: ENV });
  try {
    const admin = await loginAdmin(stack);
    const key = await createKey(admin, {});
    const early = await admin.call("DELETE", `/keys/${key.id}?purge=true`);
    assert.equal(early.status, 409);
    assert.equal((await early.json()).error.code, "key_not_revoked");
    await admin.json("DELETE", `/keys/${key.id}`);
    assert.deepEqual(await admin.json("DELETE", `/keys/${key.id}?purge=true`), {
      id: key.id,
      deleted: true,
    });
    assert.deepEqual((await admin.json<{ data: KeyJson[] }>("GET", "/keys")).data, []);
    const gone = await admin.call("DELETE", `/keys/${key.id}?purge=true`);
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  } finally {
    await stack.close();
  }
});

Deno.test("accounts get a name and a note; statistics say when no account is stored", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    const admin = await loginAdmin(stack);
    const empty = await admin.json<{ totals: Record<string, unknown> }>("GET", "/stats");
    assert.equal(empty.totals.creditsRemaining, null);
    assert.equal(empty.totals.storedAccounts, 0);
    assert.equal(empty.totals.accountsNote, "no stored accounts");

    const added = await admin.json<{ added: AccountJson[] }>(
      "POST",
      "/accounts",
      { sessionids: GOOD_SESSION },
      201,
    );
    const id = added.added[0].id;
    assert.deepEqual([added.added[0].name, added.added[0].note], [null, null]);
    const named = await admin.json<AccountJson>("PATCH", `/accounts/${id}`, {
      name: "  Studio main  ",
      note: "Paid plan until March.\nAsk Li before removing.",
    });
    assert.equal(named.name, "Studio main");
    assert.equal(named.note, "Paid plan until March.\nAsk Li before removing.");
    assert.equal(named.disabled, false);
    const listed = (await admin.json<{ data: AccountJson[] }>("GET", "/accounts")).data[0];
    assert.equal(listed.name, "Studio main");
    const cleared = await admin.json<AccountJson>("PATCH", `/accounts/${id}`, { note: "" });
    assert.deepEqual([cleared.name, cleared.note], ["Studio main", null]);
    for (const body of [{ name: "x".repeat(101) }, { name: "a\u0000b" }, { note: 5 }, {}]) {
      const response = await admin.call("PATCH", `/accounts/${id}`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      await response.body?.cancel();
    }
    // The name survives a restart (it is stored).
    const row = stack.server.db.prepare("SELECT name, note FROM accounts WHERE id = ?").get(id);
    assert.deepEqual({ ...row }, { name: "Studio main", note: null });
    const stats = await admin.json<{ totals: Record<string, unknown> }>("GET", "/stats");
    assert.equal(stats.totals.storedAccounts, 1);
    assert.equal(stats.totals.accountsNote, null);
  } finally {
    await stack.close();
  }
});

Deno.test("MODEL_MAP lets clients use fixed names; unmapped ones keep a 404 naming this server's models", async () => {
  const stack = await startStack({ env: ADMIN_ENV });
  try {
    const admin = await loginAdmin(stack);
    const client = stack.openai();
    await assert.rejects(
      client.images.generate({ model: "dall-e-3", prompt: "before the map" }),
      (error: APIError) => {
        assert.equal(error.status, 404);
        assert.equal(error.code, "model_not_found");
        assert.match(error.message, /'jimeng-image-5\.0-lite' or 'jimeng-video-3\.0'.*MODEL_MAP/);
        return true;
      },
    );
    const value = "dall-e-3=jimeng-image-4.5, sora-2=jimeng-video-3.0";
    const setting = await admin.json<{ value: string; source: string }>(
      "PUT",
      "/settings/MODEL_MAP",
      { value },
    );
    assert.deepEqual([setting.value, setting.source], [value, "console"]);

    await client.images.generate({ model: "dall-e-3", prompt: "mapped" });
    assert.equal(stack.fake.records()[0].model, "high_aes_general_v40l");
    const chat = await client.chat.completions.create({
      model: "DALL-E-3",
      messages: [{ role: "user", content: "a mapped chat" }],
    });
    assert.equal(chat.model, "DALL-E-3", "the answer names the model as asked");
    const video = await client.videos.create({ model: "sora-2", prompt: "mapped" });
    assert.equal(video.model, "jimeng-video-3.0");
    await assert.rejects(
      client.images.generate({ model: "gpt-image-1", prompt: "still unknown" }),
      (error: APIError) => error.status === 404 && error.code === "model_not_found",
    );
    for (const bad of ["dall-e-3", "dall-e-3=nope", "jimeng-4.5=jimeng-image-4.0"]) {
      const response = await admin.call("PUT", "/settings/MODEL_MAP", { value: bad });
      assert.equal(response.status, 400, bad);
      await response.body?.cancel();
    }
  } finally {
    await stack.close();
  }
});

Deno.test("links use the request's own address; X-Forwarded-* only with TRUST_PROXY", async () => {
  for (const trustProxy of [false, true]) {
    // The forwarded name is one the operator allows (DNS-rebinding protection, ALLOWED_HOSTS).
    const stack = await startStack({
      env: { TRUST_PROXY: String(trustProxy), ALLOWED_HOSTS: "img.example.com" },
    });
    try {
      const response = await fetch(`${stack.url}/v1/images/generations`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${GOOD_SESSION}`,
          "Content-Type": "application/json",
          "X-Forwarded-Host": "img.example.com",
          "X-Forwarded-Proto": "https",
        },
        body: JSON.stringify({ model: "jimeng-image-4.5", prompt: "where am I" }),
      });
      assert.equal(response.status, 200);
      const url: string = (await response.json()).data[0].url;
      const base = trustProxy ? "https://img.example.com" : stack.url;
      assert.match(url, new RegExp(`^${base.replaceAll(".", "\\.")}/media/[\\w-]{22}\\.png$`));
    } finally {
      await stack.close();
    }
  }
});
