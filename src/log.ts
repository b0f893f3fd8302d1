/**
 * Structured logging to stdout at the configured level — readable lines
 * (time, level, message, fields) on a terminal, JSON lines otherwise or with
 * `LOG_FORMAT=json` — and a hook for other sinks (the SQLite log table, the
 * console's live tail). Everything is redacted before it leaves this module.
 * @module
 */
import { redact } from "./redact.ts";

/** How stdout lines look; `auto` = text on a terminal, JSON otherwise. */
export type LogFormat = "auto" | "text" | "json";

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
   * sent to sinks. Only for one-time links the operator must copy (setup);
   * in text format the link stands on its own line.
   */
  notice(message: string, link?: string): void;
  /** Adds a sink that receives records of `info` and above. */
  addSink(sink: LogSink): () => void;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Lowest level printed to stdout. @default "info" */
  level?: LogLevel;
  /** Where lines go; defaults to stdout. `null` silences stdout. */
  write?: ((line: string) => void) | null;
  /** Line format. @default "json" when `write` is given, else "auto" */
  format?: LogFormat;
  /** Whether stdout is a terminal (for `auto`). @default Deno.stdout.isTerminal() */
  terminal?: boolean;
  now?: () => number;
}

/** Fields shown on a text line; the JSON format has them all. */
const TEXT_FIELDS = 8;
const TEXT_VALUE_CHARS = 300;

function textValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  const cut = text.length > TEXT_VALUE_CHARS ? `${text.slice(0, TEXT_VALUE_CHARS)}…` : text;
  return /[\s"=]/.test(cut) || cut === "" ? JSON.stringify(cut) : cut;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A readable line: local time, level, message, then `key=value` fields. */
export function formatText(record: LogRecord): string {
  const at = new Date(record.time);
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  const fields = Object.entries(record.fields ?? {})
    .filter(([, value]) => value !== undefined && value !== null)
    .slice(0, TEXT_FIELDS)
    .map(([key, value]) => `${key}=${textValue(value)}`);
  const level = record.level.toUpperCase().padEnd(5);
  return [`${time} ${level} ${record.message}`, ...fields].join("  ");
}

/** One JSON line. */
export function formatJson(record: LogRecord): string {
  return JSON.stringify({
    time: new Date(record.time).toISOString(),
    level: record.level,
    msg: record.message,
    ...record.fields,
  });
}

function isTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
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
  const wanted = options.format ?? (options.write === undefined ? "auto" : "json");
  const text = wanted === "text" ||
    (wanted === "auto" && (options.terminal ?? isTerminal()));

  function emit(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    const toStdout = write !== null && RANK[level] >= threshold;
    const toSinks = sinks.size > 0 && RANK[level] >= RANK.info;
    if (!toStdout && !toSinks) return;
    const record: LogRecord = { time: now(), level, message: redact(message) };
    if (fields && Object.keys(fields).length > 0) record.fields = redactFields(fields);
    if (toStdout) write!(text ? formatText(record) : formatJson(record));
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
    notice(message, link) {
      if (!write) return;
      const record: LogRecord = { time: now(), level: "info", message };
      if (!text) {
        write(formatJson({ ...record, message: link ? `${message} ${link}` : message }));
        return;
      }
      write(formatText(record));
      if (link) write(`\n    ${link}\n`);
    },
    addSink(sink) {
      sinks.add(sink);
      return () => sinks.delete(sink);
    },
  };
}
