import assert from "node:assert/strict";
import {
  deleteAccount,
  getAccount,
  insertAccounts,
  listAccounts,
  type NewAccount,
  saveAccountState,
} from "../../src/store/accounts.ts";
import {
  clearLoginFailures,
  countAdminUsers,
  deleteAdminSessionsOfUser,
  findAdminSession,
  findAdminUser,
  insertAdminSession,
  insertFirstAdminUser,
  insertLoginFailure,
  loginFailuresSince,
} from "../../src/store/admin.ts";
import {
  apiKeysUsage,
  apiKeyUsage,
  findApiKeyByHash,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  updateApiKey,
} from "../../src/store/api_keys.ts";
import { type Db, openDatabase } from "../../src/store/db.ts";
import { migrate } from "../../src/store/migrate.ts";
import { completeRequestCredits, insertRequest, recentRequests } from "../../src/store/requests.ts";

function migrated(): Db {
  const db = openDatabase(":memory:");
  migrate(db);
  return db;
}

function account(hash: string): NewAccount {
  return {
    tokenHash: hash,
    label: `${hash.slice(0, 4)}…`,
    region: "cn",
    secret: new Uint8Array([1, 2, 3]),
    keyId: "k1",
    createdAt: 10,
  };
}

Deno.test("insertAccounts() adds new hashes once and reports known ones", () => {
  const db = migrated();
  try {
    const first = insertAccounts(db, [account("aaaa"), account("bbbb")]);
    assert.deepEqual(first.map((r) => r.added), [true, true]);
    const again = insertAccounts(db, [account("bbbb"), account("cccc")]);
    assert.deepEqual(again.map((r) => r.added), [false, true]);
    assert.equal(again[0].row.id, first[1].row.id);
    assert.deepEqual(listAccounts(db).map((r) => r.tokenHash), ["aaaa", "bbbb", "cccc"]);
    assert.deepEqual(listAccounts(db)[0].secret, new Uint8Array([1, 2, 3]));
  } finally {
    db.close();
  }
});

Deno.test("saveAccountState() round-trips the state; deleteAccount() removes the row", () => {
  const db = migrated();
  try {
    const [{ row }] = insertAccounts(db, [account("aaaa")]);
    assert.equal(row.credits, null);
    assert.equal(row.expired, false);
    const saved = saveAccountState(db, row.id, {
      disabled: true,
      expired: true,
      coolingUntil: 500,
      credits: { gift: 1, purchase: 2, vip: 3, total: 6 },
      creditsAt: 20,
      lastCheckAt: 30,
      lastCheckError: "boom",
      lastClaimAt: 40,
      lastClaimDay: "2026-01-11",
      lastClaimReceived: 66,
      updatedAt: 50,
    });
    assert.equal(saved, true);
    const back = getAccount(db, row.id)!;
    assert.deepEqual(
      { ...back, secret: undefined },
      {
        ...row,
        secret: undefined,
        disabled: true,
        expired: true,
        coolingUntil: 500,
        credits: { gift: 1, purchase: 2, vip: 3, total: 6 },
        creditsAt: 20,
        lastCheckAt: 30,
        lastCheckError: "boom",
        lastClaimAt: 40,
        lastClaimDay: "2026-01-11",
        lastClaimReceived: 66,
        updatedAt: 50,
      },
    );
    assert.equal(deleteAccount(db, row.id), true);
    assert.equal(deleteAccount(db, row.id), false);
    assert.equal(saveAccountState(db, row.id, { ...back, updatedAt: 60 }), false);
  } finally {
    db.close();
  }
});

Deno.test("api key rows: insert, find by hash, update, revoke and usage from requests", () => {
  const db = migrated();
  try {
    const key = insertApiKey(db, {
      name: "ci",
      prefix: "sk-abcd…wxyz",
      secretHash: "h1",
      quotaPerDay: null,
      ratePerMinute: 10,
      createdAt: 100,
    });
    assert.equal(findApiKeyByHash(db, "h1")!.id, key.id);
    assert.equal(findApiKeyByHash(db, "h2"), undefined);
    const changed = updateApiKey(db, key.id, { quotaPerDay: 50 })!;
    assert.equal(changed.quotaPerDay, 50);
    assert.equal(changed.ratePerMinute, 10);
    assert.equal(changed.name, "ci");
    const cleared = updateApiKey(db, key.id, { ratePerMinute: null, name: "build" })!;
    assert.equal(cleared.ratePerMinute, null);
    assert.equal(cleared.quotaPerDay, 50);
    assert.equal(cleared.name, "build");
    assert.equal(updateApiKey(db, 999, { name: "x" }), undefined);

    const base = {
      requestId: "r",
      endpoint: "/v1/images/generations",
      model: "m",
      kind: "image" as const,
      n: 1,
      status: "ok" as const,
      httpStatus: 200,
      errorCode: null,
      accountKey: "acc",
      accountLabel: "a…",
      creditsRemaining: null,
      latencyMs: 1,
      historyIds: null,
    };
    insertRequest(db, { ...base, createdAt: 50, creditsSpent: 4, apiKeyId: key.id });
    insertRequest(db, { ...base, createdAt: 150, creditsSpent: 2, apiKeyId: key.id });
    const pending = insertRequest(db, {
      ...base,
      createdAt: 160,
      creditsSpent: null,
      apiKeyId: key.id,
    });
    insertRequest(db, { ...base, createdAt: 170, creditsSpent: 9, apiKeyId: null });
    assert.deepEqual(apiKeyUsage(db, key.id, 100), { requests: 2, credits: 2 });
    completeRequestCredits(db, pending, 3, 90);
    assert.deepEqual(apiKeyUsage(db, key.id, 100), { requests: 2, credits: 5 });
    assert.deepEqual(apiKeyUsage(db, key.id, 0), { requests: 3, credits: 9 });
    assert.deepEqual(apiKeysUsage(db, 100), new Map([[key.id, { requests: 2, credits: 5 }]]));
    assert.equal(recentRequests(db, 2)[1].creditsRemaining, 90);

    const revoked = revokeApiKey(db, key.id, 200)!;
    assert.equal(revoked.revokedAt, 200);
    assert.equal(revokeApiKey(db, key.id, 300)!.revokedAt, 200);
    assert.equal(listApiKeys(db).length, 1);
  } finally {
    db.close();
  }
});

Deno.test("admin rows: one first user, sessions expire and end per user, failures count", () => {
  const db = migrated();
  try {
    const user = insertFirstAdminUser(db, { username: "Root", passwordHash: "x", createdAt: 1 })!;
    assert.equal(
      insertFirstAdminUser(db, { username: "two", passwordHash: "y", createdAt: 2 }),
      undefined,
    );
    assert.equal(countAdminUsers(db), 1);
    assert.equal(findAdminUser(db, "root")!.id, user.id);
    for (const id of ["s1", "s2", "s3"]) {
      insertAdminSession(db, {
        idHash: id,
        userId: user.id,
        createdAt: 0,
        expiresAt: id === "s3" ? 50 : 1000,
        lastSeenAt: 0,
      });
    }
    assert.equal(findAdminSession(db, "s1", 10)!.username, "Root");
    assert.equal(findAdminSession(db, "s3", 60), undefined);
    assert.equal(deleteAdminSessionsOfUser(db, user.id, "s1"), 2);
    assert.ok(findAdminSession(db, "s1", 10));
    assert.equal(findAdminSession(db, "s2", 10), undefined);

    insertLoginFailure(db, [{ scope: "ip", subject: "1.2.3.4" }, {
      scope: "user",
      subject: `id:${user.id}`,
    }], 100);
    insertLoginFailure(db, [{ scope: "ip", subject: "1.2.3.4" }], 200);
    assert.deepEqual(loginFailuresSince(db, "ip", "1.2.3.4", 0), { count: 2, oldest: 100 });
    assert.deepEqual(loginFailuresSince(db, "ip", "1.2.3.4", 150), { count: 1, oldest: 200 });
    assert.deepEqual(loginFailuresSince(db, "user", `id:${user.id}`, 0), { count: 1, oldest: 100 });
    clearLoginFailures(db, "ip", "1.2.3.4");
    assert.deepEqual(loginFailuresSince(db, "ip", "1.2.3.4", 0), { count: 0, oldest: null });
  } finally {
    db.close();
  }
});
