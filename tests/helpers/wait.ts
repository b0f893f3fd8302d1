/**
 * Waiting for a condition (not for time): checks it after each short pause
 * until it holds, failing with what was awaited after a generous deadline.
 * The deadline only turns a hang into a failure that says what was awaited:
 * a busy machine makes the wait longer, never the test fail.
 * @module
 */

/** Resolves once `check()` returns true; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitForValue(async () => (await check()) || undefined, what, timeoutMs);
}

/** Resolves with the first value `probe()` returns that is not `undefined`; throws like {@linkcode waitFor}. */
export async function waitForValue<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
