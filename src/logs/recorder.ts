/**
 * Keeps the last N log records in SQLite for the console, and tells live
 * subscribers (the console's tail) about each one. Records are queued by the
 * logger's sink and written in batches shortly after, off the caller's path.
 * @module
 */
import type { LogRecord, LogSink } from "../log.ts";
import type { Db } from "../store/db.ts";
import { insertLogs, type LogEntry } from "../store/logs.ts";

/** Options of {@linkcode createLogRecorder}. */
export interface LogRecorderOptions {
  db: Db;
  /** Records kept in the table. */
  keep: number;
  /** Schedules a flush; returns a cancel function. @default a 25 ms timer */
  schedule?: (flush: () => void) => () => void;
  /** Told when a batch could not be written (records arriving meanwhile are dropped). */
  onError?: (error: unknown, dropped: number) => void;
  /** Largest queue; older queued records are dropped beyond it. @default 5000 */
  maxQueue?: number;
}

/** A listener of new records. */
export type LogListener = (entry: LogEntry) => void;

/** The recorder. */
export interface LogRecorder {
  /** The sink to add to the logger. */
  sink: LogSink;
  /** Calls `listener` with every record after it is stored; returns the unsubscribe function. */
  subscribe(listener: LogListener): () => void;
  /** Writes what is queued now. */
  flush(): void;
  /** Flushes and stops; later records are ignored. */
  close(): void;
}

const defaultSchedule = (flush: () => void) => {
  const timer = setTimeout(flush, 25);
  return () => clearTimeout(timer);
};

/** Creates the recorder. */
export function createLogRecorder(options: LogRecorderOptions): LogRecorder {
  const schedule = options.schedule ?? defaultSchedule;
  const maxQueue = options.maxQueue ?? 5000;
  const listeners = new Set<LogListener>();
  let queue: LogRecord[] = [];
  let cancel: (() => void) | null = null;
  let closed = false;
  // While reporting a failure, records (the report itself) are not queued: no feedback loop.
  let reporting = false;

  function flush(): void {
    cancel?.();
    cancel = null;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let entries: LogEntry[];
    try {
      entries = options.keep > 0 ? insertLogs(options.db, batch, options.keep) : [];
    } catch (error) {
      reporting = true;
      try {
        options.onError?.(error, batch.length);
      } finally {
        reporting = false;
      }
      return;
    }
    for (const entry of entries) {
      for (const listener of listeners) {
        try {
          listener(entry);
        } catch {
          // A broken subscriber must not stop the others or the logger.
        }
      }
    }
  }

  return {
    sink(record) {
      if (closed || reporting || options.keep === 0) return;
      queue.push(record);
      if (queue.length > maxQueue) queue.splice(0, queue.length - maxQueue);
      cancel ??= schedule(flush);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush,
    close() {
      if (closed) return;
      flush();
      closed = true;
      listeners.clear();
    },
  };
}
