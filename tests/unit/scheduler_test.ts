import assert from "node:assert/strict";
import { claimDailyCredits, type ClaimDeps } from "../../src/accounts/claims.ts";
import { type Account, newAccount } from "../../src/accounts/pool.ts";
import { startAccountScheduler } from "../../src/accounts/scheduler.ts";
import { dayOf, nextDayStart, startOfDay, zoneOffsetMs } from "../../src/days.ts";
import { createLogger } from "../../src/log.ts";
import { createVirtualClock } from "../helpers/virtual_clock.ts";

const HOUR = 3_600_000;
const log = createLogger({ write: null });

function accounts(): Account[] {
  return ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc"].map((t, i) =>
    newAccount(t, "stored", i + 1, 0)
  );
}

Deno.test("dayOf(), startOfDay() and nextDayStart() follow the zone's calendar", () => {
  const lastSecond = Date.UTC(2026, 0, 11, 15, 59, 59); // 23:59:59 in Shanghai
  assert.equal(dayOf(lastSecond, "Asia/Shanghai"), "2026-01-11");
  assert.equal(dayOf(lastSecond + 1000, "Asia/Shanghai"), "2026-01-12");
  assert.equal(dayOf(lastSecond, "UTC"), "2026-01-11");
  assert.equal(startOfDay(lastSecond, "Asia/Shanghai"), Date.UTC(2026, 0, 10, 16));
  assert.equal(nextDayStart(lastSecond, "Asia/Shanghai"), Date.UTC(2026, 0, 11, 16));
  assert.equal(zoneOffsetMs(lastSecond, "Asia/Shanghai"), 8 * HOUR);
  // New York's 8 March 2026 has 23 hours, 1 November 25.
  const spring = Date.UTC(2026, 2, 8, 12);
  assert.equal(startOfDay(spring, "America/New_York"), Date.UTC(2026, 2, 8, 5));
  assert.equal(nextDayStart(spring, "America/New_York"), Date.UTC(2026, 2, 9, 4));
  const autumn = Date.UTC(2026, 10, 1, 12);
  assert.equal(
    nextDayStart(autumn, "America/New_York") - startOfDay(autumn, "America/New_York"),
    25 * HOUR,
  );
});

Deno.test("startAccountScheduler() claims at start and then once per Shanghai day", async () => {
  // 2026-01-11 20:00 in Shanghai.
  const clock = createVirtualClock(Date.UTC(2026, 0, 11, 12));
  const list = accounts();
  list[1].disabled = true;
  list[2].expired = true;
  const claims: [string, string][] = [];
  const scheduler = startAccountScheduler({
    accounts: () => list,
    claim: (account) => {
      claims.push([account.label, dayOf(clock.now(), "Asia/Shanghai")]);
      return Promise.resolve();
    },
    check: () => Promise.resolve(),
    log,
    now: clock.now,
    setTimer: clock.setTimer,
  }, { timeZone: "Asia/Shanghai", dailyClaim: true, checkIntervalMs: 0 });
  try {
    await scheduler.idle();
    assert.deepEqual(claims, [[list[0].label, "2026-01-11"]]);
    await clock.advance(4 * HOUR - 1000); // 23:59:59
    assert.equal(claims.length, 1);
    await clock.advance(61_000); // 00:01:00, the claim delay after midnight
    await scheduler.idle();
    assert.deepEqual(claims.at(-1), [list[0].label, "2026-01-12"]);
    assert.equal(claims.length, 2);
    list[2].expired = false;
    await clock.advance(24 * HOUR);
    await scheduler.idle();
    assert.deepEqual(claims.slice(2), [
      [list[0].label, "2026-01-13"],
      [list[2].label, "2026-01-13"],
    ]);
  } finally {
    await scheduler.close();
  }
  await clock.advance(48 * HOUR);
  assert.equal(claims.length, 4);
});

Deno.test("startAccountScheduler() checks every interval, one account at a time, and keeps going after errors", async () => {
  const clock = createVirtualClock();
  const list = accounts();
  const checks: string[] = [];
  let running = 0;
  const scheduler = startAccountScheduler({
    accounts: () => list,
    claim: () => Promise.resolve(),
    check: async (account) => {
      running++;
      assert.equal(running, 1);
      checks.push(account.label);
      await Promise.resolve();
      running--;
      if (account === list[0]) throw new Error("upstream down");
    },
    log,
    now: clock.now,
    setTimer: clock.setTimer,
  }, { timeZone: "Asia/Shanghai", dailyClaim: false, checkIntervalMs: 30 * 60_000 });
  try {
    await scheduler.idle();
    assert.equal(checks.length, 3);
    await clock.advance(29 * 60_000);
    assert.equal(checks.length, 3);
    await clock.advance(60_000);
    await scheduler.idle();
    assert.equal(checks.length, 6);
    await clock.advance(60 * 60_000);
    await scheduler.idle();
    assert.equal(checks.length, 12);
    const added = newAccount("dddddddddddddddddddd", "stored", 4, 0);
    scheduler.adopt([added]);
    await scheduler.idle();
    assert.equal(checks.at(-1), added.label);
  } finally {
    await scheduler.close();
  }
  await clock.advance(2 * HOUR);
  assert.equal(checks.length, 13);
});

Deno.test("startAccountScheduler().close() aborts a running round", async () => {
  const clock = createVirtualClock();
  const list = accounts();
  const seen: string[] = [];
  const scheduler = startAccountScheduler({
    accounts: () => list,
    claim: (account, signal) => {
      seen.push(account.label);
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      );
    },
    check: () => Promise.resolve(),
    log,
    now: clock.now,
    setTimer: clock.setTimer,
  }, { timeZone: "UTC", dailyClaim: true, checkIntervalMs: 0 });
  await Promise.resolve();
  await scheduler.close();
  assert.deepEqual(seen, [list[0].label]);
});

Deno.test("claimDailyCredits() claims once per day of the zone unless forced", async () => {
  let now = Date.UTC(2026, 0, 11, 15, 0); // 23:00 in Shanghai
  let calls = 0;
  const deps: ClaimDeps = {
    client: {
      receiveDailyCredits: () => Promise.resolve({ received: calls++ === 0 ? 66 : 0 }),
    } as unknown as ClaimDeps["client"],
    log,
    now: () => now,
    timeZone: "Asia/Shanghai",
  };
  const [account] = accounts();
  assert.deepEqual(await claimDailyCredits(deps, account), { received: 66 });
  assert.equal(await claimDailyCredits(deps, account), null);
  assert.deepEqual(await claimDailyCredits(deps, account, { force: true }), { received: 0 });
  now += 2 * HOUR; // 01:00 the next day
  assert.deepEqual(await claimDailyCredits(deps, account), { received: 0 });
  assert.equal(calls, 3);
  assert.equal(account.claimedDay, "2026-01-12");
  assert.equal(account.lastClaimAt, now);
  // A refused claim leaves the day open for another try.
  deps.client.receiveDailyCredits = () => Promise.reject(new Error("refused"));
  now += 24 * HOUR;
  await assert.rejects(claimDailyCredits(deps, account), /refused/);
  assert.equal(account.claimedDay, "2026-01-12");
});
