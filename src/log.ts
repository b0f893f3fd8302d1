/**
 * Structured logging: JSON lines on stdout at the configured level, and a
 * hook for other sinks (the SQLite log table, the console's live tail).
 * Everything is redacted before it leaves this module.
 * @module
 */
import { redact } from "./redact.ts";

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One log event after redaction. */
export interface LogRecord {
  /** Unix ms. */
  time: number;
  level: LogLevel;
  message: string;
  /** Extra structured fields, already redacted. */
  fields?: Record<string, unknown>;
}

/** A destination for log records at or above its own level. */
export type LogSink = (record: LogRecord) => void;

/** The logger handed to every module. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /**
   * Prints a notice for the operator to stdout as given: not redacted and not
   * sent to sinks. Only for one-time links the operator must copy (setup).
   */
  notice(message: string): void;
  /** Adds a sink that receives records of `info` and above. */
  addSink(sink: LogSink): () => void;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level printed to stdout. @default "info" */
  level?: LogLevel;
  /** Where lines go; defaults to stdout. `null` silences stdout. */
  write?: ((line: string) => void) | null;
  now?: () => number;
}

function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) out[key] = redact(value.message);
    else if (typeof value === "string") out[key] = redact(value);
    else if (value !== null && typeof value === "object") {
      out[key] = JSON.parse(redact(JSON.stringify(value)));
    } else out[key] = value;
  }
  return out;
}

const encoder = new TextEncoder();

/** Creates a logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? "info"];
  const write = options.write === undefined
    ? (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"))
    : options.write;
  const now = options.now ?? Date.now;
  const sinks = new Set<LogSink>();

  function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const toStdout = write !== null && RANK[level] >= threshold;
    const toSinks = sinks.size > 0 && RANK[level] >= RANK.info;
    if (!toStdout && !toSinks) return;
    const record: LogRecord = { time: now(), level, message: redact(message) };
    if (fields && Object.keys(fields).length > 0) record.fields = redactFields(fields);
    if (toStdout) {
      write!(JSON.stringify({
        time: new Date(record.time).toISOString(),
        level,
        msg: record.message,
        ...record.fields,
      }));
    }
    if (toSinks) {
      for (const sink of sinks) {
        try {
          sink(record);
        } catch {
          // A failing sink (e.g. a read-only database) must never break the caller.
        }
      }
    }
  }

  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    notice(message) {
      write?.(JSON.stringify({ time: new Date(now()).toISOString(), level: "info", msg: message }));
    },
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
  };
}
