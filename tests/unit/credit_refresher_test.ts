import assert from "node:assert/strict";
import { createCreditRefresher } from "../../src/accounts/credits.ts";
import { newAccount } from "../../src/accounts/pool.ts";
import type { JimengClient } from "../../src/jimeng/client.ts";
import { JimengError } from "../../src/jimeng/errors.ts";
import { createLogger } from "../../src/log.ts";

/** A client whose balance reads answer `answer` and are recorded with their options. */
function recordingClient(answer: () => Promise<number>) {
  const reads: { retry?: boolean }[] = [];
  const client = {
    getCredits: async (_session: unknown, _signal?: AbortSignal, options = {}) => {
      reads.push(options);
      const total = await answer();
      return { gift: total, purchase: 0, vip: 0, total };
    },
  } as unknown as JimengClient;
  return { client, reads };
}

Deno.test("know() reads a new account's balance once, in one attempt, shared by callers", async () => {
  const { client, reads } = recordingClient(() => Promise.resolve(80));
  const refresher = createCreditRefresher({ client, log: createLogger({ write: null }) });
  const account = newAccount("1234567890abcdef1234567890abcdef", "bearer", null, 0);
  await Promise.all([refresher.know(account), refresher.know(account)]);
  assert.equal(account.credits?.total, 80);
  // The request waits for this read: no retries before the generation is even tried.
  assert.deepEqual(reads, [{ retry: false }]);
  await refresher.know(account);
  assert.equal(reads.length, 1, "a known balance is not read again");
  // Other reads keep the client's retries.
  await refresher.refreshNow(account);
  assert.deepEqual(reads[1], { retry: true });
  refresher.close();
});

Deno.test("know() leaves the balance unknown when the read fails, without throwing", async () => {
  const { client, reads } = recordingClient(() =>
    Promise.reject(new JimengError("timeout", "Jimeng did not answer"))
  );
  const refresher = createCreditRefresher({ client, log: createLogger({ write: null }) });
  const account = newAccount("abcdef1234567890abcdef1234567890", "bearer", null, 0);
  await refresher.know(account);
  assert.equal(account.credits, null);
  assert.equal(reads.length, 1);
  refresher.close();
});
