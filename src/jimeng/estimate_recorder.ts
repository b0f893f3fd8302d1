/**
 * Keeps the poller's learned run times without writing at every completion:
 * a model's estimate is written when it first appears, then only when it
 * moved by a few per cent, at most once per interval per model (a change that
 * has to wait is written by a timer, or at `flush()` on shutdown). The store
 * itself is injected, so this module knows no SQL.
 * @module
 */

/** Effects of the recorder. */
export interface EstimateRecorderDeps {
  /** Writes one estimate (ms). */
  save: (key: string, runMs: number) => void;
  now: () => number;
  /** Schedules `fn` after `ms`; returns a cancel function. */
  setTimer: (fn: () => void, ms: number) => () => void;
  /** A failed write (e.g. a full disk); the value is tried again at the next change. */
  onError?: (error: unknown, key: string) => void;
}

/** Tuning of {@linkcode createEstimateRecorder}. */
export interface EstimateRecorderOptions {
  /** Relative change below which nothing is written. @default 0.02 */
  minChange?: number;
  /** Shortest time between two writes of one key. @default 10000 */
  minIntervalMs?: number;
}

/** The recorder. */
export interface EstimateRecorder {
  /** Remembers a value that is already stored (read at start): nothing is written. */
  prime(key: string, runMs: number): void;
  /** Notes a new estimate of a key; writes it now, later or not at all. */
  note(key: string, runMs: number): void;
  /** Writes every pending change now and stops the timer. */
  flush(): void;
}

interface KeyState {
  /** The value last written (or primed). */
  stored: number | undefined;
  /** When it was written. */
  writtenAt: number;
  /** A value waiting for its interval. */
  pending: number | undefined;
}

/** Creates the recorder. */
export function createEstimateRecorder(
  deps: EstimateRecorderDeps,
  options: EstimateRecorderOptions = {},
): EstimateRecorder {
  const minChange = options.minChange ?? 0.02;
  const minInterval = options.minIntervalMs ?? 10_000;
  const keys = new Map<string, KeyState>();
  let cancelTimer: (() => void) | undefined;
  let timerAt = Infinity;

  function write(key: string, state: KeyState, value: number): void {
    state.pending = undefined;
    try {
      deps.save(key, value);
      state.stored = value;
      state.writtenAt = deps.now();
    } catch (error) {
      deps.onError?.(error, key);
    }
  }

  function writeDue(): void {
    cancelTimer = undefined;
    timerAt = Infinity;
    const now = deps.now();
    for (const [key, state] of keys) {
      if (state.pending !== undefined && now - state.writtenAt >= minInterval) {
        write(key, state, state.pending);
      }
    }
    armTimer();
  }

  function armTimer(): void {
    let earliest = Infinity;
    for (const state of keys.values()) {
      if (state.pending !== undefined) {
        earliest = Math.min(earliest, state.writtenAt + minInterval);
      }
    }
    if (earliest === Infinity || earliest >= timerAt) return;
    cancelTimer?.();
    timerAt = earliest;
    cancelTimer = deps.setTimer(writeDue, Math.max(0, earliest - deps.now()));
  }

  return {
    prime(key, runMs) {
      keys.set(key, { stored: runMs, writtenAt: -Infinity, pending: undefined });
    },
    note(key, runMs) {
      let state = keys.get(key);
      if (!state) {
        keys.set(key, state = { stored: undefined, writtenAt: -Infinity, pending: undefined });
      }
      const changed = state.stored === undefined ||
        Math.abs(runMs - state.stored) > minChange * Math.max(state.stored, 1);
      if (!changed) {
        state.pending = undefined;
        return;
      }
      if (deps.now() - state.writtenAt >= minInterval) write(key, state, runMs);
      else {
        state.pending = runMs;
        armTimer();
      }
    },
    flush() {
      cancelTimer?.();
      cancelTimer = undefined;
      timerAt = Infinity;
      for (const [key, state] of keys) {
        if (state.pending !== undefined) write(key, state, state.pending);
      }
    },
  };
}
