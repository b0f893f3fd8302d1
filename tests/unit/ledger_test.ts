import assert from "node:assert/strict";
import { createCreditLedger } from "../../src/accounts/ledger.ts";
import { type ClaimDeps, creditsAfterClaim } from "../../src/accounts/claims.ts";
import { runWithFailover } from "../../src/accounts/failover.ts";
import { type Account, createAccountPool, newAccount } from "../../src/accounts/pool.ts";
import { JimengError } from "../../src/jimeng/errors.ts";
import { createLogger } from "../../src/log.ts";

function account(total: number | null): Account {
  const a = newAccount("1234567890abcdef1234567890abcdef", "stored", 1, 0);
  a.credits = total === null ? null : { gift: total, purchase: 0, vip: 0, total };
  return a;
}

const credits = (total: number) => ({ gift: total, purchase: 0, vip: 0, total });

Deno.test("createCreditLedger() charges a lone task the drop in balance after it", async () => {
  const ledger = createCreditLedger();
  const a = account(100);
  const charge = ledger.begin(a);
  ledger.end(charge, "ok");
  assert.equal(charge.settled, false);
  const read = ledger.readStarted(a);
  ledger.readLanded(read, credits(97));
  await charge.done;
  assert.deepEqual([charge.spent, charge.remaining], [3, 97]);
  assert.equal(ledger.pending(), 0);

  // The next task starts from the balance the last read left.
  a.credits = credits(97);
  const next = ledger.begin(a);
  ledger.end(next, "ok");
  ledger.readLanded(ledger.readStarted(a), credits(95));
  assert.deepEqual([next.spent, next.remaining], [2, 95]);
});

Deno.test("createCreditLedger() waits for a reading taken while no task runs, then shares the drop", () => {
  const ledger = createCreditLedger();
  const a = account(50);
  const first = ledger.begin(a);
  const second = ledger.begin(a);
  const failed = ledger.begin(a);
  ledger.end(first, "ok");
  // Read while `second` still runs: it may or may not include second's cost.
  ledger.readLanded(ledger.readStarted(a), credits(47));
  assert.equal(first.settled, false);
  ledger.end(second, "ok");
  ledger.end(failed, "failed");
  ledger.readLanded(ledger.readStarted(a), credits(43));
  assert.deepEqual([first.spent, second.spent, failed.spent], [4, 3, 0]);
  assert.equal(first.spent! + second.spent! + failed.spent!, 50 - 43);
  assert.deepEqual([first.remaining, second.remaining], [43, 43]);
});

Deno.test("createCreditLedger() records unknown when the balance before was not known", () => {
  const ledger = createCreditLedger();
  const a = account(null);
  const charge = ledger.begin(a);
  ledger.end(charge, "ok");
  ledger.readLanded(ledger.readStarted(a), credits(10));
  assert.deepEqual([charge.spent, charge.remaining, charge.settled], [null, 10, true]);
});

Deno.test("createCreditLedger() counts a daily claim made while a task runs", () => {
  const ledger = createCreditLedger();
  const a = account(10);
  const task = ledger.begin(a);
  ledger.credited(a, { received: 50 });
  ledger.end(task, "ok");
  ledger.readLanded(ledger.readStarted(a), credits(58));
  assert.equal(task.spent, 2);

  // The upstream's own total after the claim replaces what was known.
  const b = account(3);
  const other = ledger.begin(b);
  const dry = ledger.begin(b);
  ledger.dry(b);
  ledger.credited(b, { received: 66, total: 66 });
  ledger.end(dry, "free");
  assert.deepEqual([dry.spent, dry.settled], [0, true]);
  ledger.end(other, "ok");
  ledger.readLanded(ledger.readStarted(b), credits(65));
  assert.equal(other.spent, 1);
});

Deno.test("runWithFailover() and the claim leave a balance the next task starts from", async () => {
  const ledger = createCreditLedger();
  const a = account(40);
  const claims: ClaimDeps = {
    client: {
      receiveDailyCredits: () => Promise.resolve({ received: 66, total: 66 }),
    } as unknown as ClaimDeps["client"],
    log: createLogger({ write: null }),
    now: () => Date.UTC(2026, 0, 11),
  };
  const pool = createAccountPool();
  let calls = 0;
  const { charge } = await runWithFailover(
    { ...claims, pool, ledger },
    [a],
    ["cn"],
    () => {
      if (calls++ === 0) throw new JimengError("insufficient_credits", "no credits");
      return Promise.resolve("done");
    },
  );
  assert.equal(a.credits!.total, 66);
  assert.equal(a.claimedDay, "2026-01-11");
  ledger.readLanded(ledger.readStarted(a), credits(62));
  assert.deepEqual([charge!.spent, charge!.remaining], [4, 62]);
});

Deno.test("creditsAfterClaim() takes the upstream total, else adds what was received", () => {
  const before = { gift: 1, purchase: 5, vip: 0, total: 6 };
  assert.deepEqual(creditsAfterClaim(before, { received: 66, total: 71 }), {
    gift: 66,
    purchase: 5,
    vip: 0,
    total: 71,
  });
  assert.deepEqual(creditsAfterClaim(before, { received: 50 }), {
    gift: 51,
    purchase: 5,
    vip: 0,
    total: 56,
  });
  assert.equal(creditsAfterClaim(null, { received: 50 }), null);
});

Deno.test("createCreditLedger() closes an epoch under constant load after maxEpochMs", () => {
  let now = 0;
  const ledger = createCreditLedger({ now: () => now, maxEpochMs: 1000 });
  const a = account(100);
  const first = ledger.begin(a);
  const busy = ledger.begin(a);
  ledger.end(first, "ok");
  ledger.readLanded(ledger.readStarted(a), credits(98));
  assert.equal(first.settled, false);
  now = 1500;
  ledger.readLanded(ledger.readStarted(a), credits(96));
  assert.deepEqual([first.spent, first.remaining], [4, 96]);
  ledger.end(busy, "ok");
  ledger.readLanded(ledger.readStarted(a), credits(95));
  assert.deepEqual([busy.spent, busy.remaining], [1, 95]);
  assert.equal(ledger.pending(), 0);
});
