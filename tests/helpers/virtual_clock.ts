/**
 * A virtual clock for code that takes `now` and `setTimer`: time moves only
 * when the test advances it, and pending promise work is flushed in between.
 * @module
 */

/** The clock. */
export interface VirtualClock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
  /** Runs every timer due within `ms`, in order, flushing async work after each. */
  advance(ms: number): Promise<void>;
  /** Advances until `done()` is true or `limitMs` passes. */
  runUntil(done: () => boolean, limitMs: number): Promise<void>;
}

/** Lets queued promise reactions and I/O callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Creates a clock starting at `start` ms. */
export function createVirtualClock(start = 1_700_000_000_000): VirtualClock {
  let current = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const next = () => {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of timers) if (!best || entry[1].at < best[1].at) best = entry;
    return best;
  };
  const clock: VirtualClock = {
    now: () => current,
    setTimer(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: current + Math.max(0, Math.ceil(ms)), fn });
      return () => timers.delete(id);
    },
    async advance(ms) {
      const target = current + ms;
      await flush();
      for (;;) {
        const due = next();
        if (!due || due[1].at > target) break;
        timers.delete(due[0]);
        current = Math.max(current, due[1].at);
        due[1].fn();
        await flush();
      }
      current = target;
    },
    async runUntil(done, limitMs) {
      const end = current + limitMs;
      await flush();
      while (!done() && current < end) {
        const due = next();
        const step = due ? Math.max(0, Math.ceil(due[1].at - current)) : end - current;
        await clock.advance(Math.min(step, end - current));
      }
    },
  };
  return clock;
}
