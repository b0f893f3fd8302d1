/**
 * Numbers, times and durations in the current language.
 * @module
 */
import { getLocale, t } from "./i18n.js";

/** @param {number | null | undefined} value */
export function formatNumber(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return new Intl.NumberFormat(getLocale(), { maximumFractionDigits: 1 }).format(value);
}

/** Large counts short: 12.3k / 1.2万. @param {number | null | undefined} value */
export function formatCompact(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return new Intl.NumberFormat(getLocale(), { notation: "compact", maximumFractionDigits: 1 })
    .format(value);
}

/** @param {number | null | undefined} ratio 0..1 */
export function formatPercent(ratio) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "—";
  return new Intl.NumberFormat(getLocale(), { style: "percent", maximumFractionDigits: 1 })
    .format(ratio);
}

/** @param {number | null | undefined} ms Unix ms */
export function formatDateTime(ms) {
  if (!ms) return "—";
  return new Intl.DateTimeFormat(getLocale(), { dateStyle: "medium", timeStyle: "short" })
    .format(ms);
}

/** Hours and minutes with seconds, for log lines. @param {number} ms */
export function formatClock(ms) {
  return new Intl.DateTimeFormat(getLocale(), {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(ms);
}

/** @param {number} ms @param {"24h" | "30d"} range */
export function formatBucket(ms, range) {
  const options = range === "24h"
    ? { hour: "2-digit", minute: "2-digit", hour12: false }
    : { month: "short", day: "numeric" };
  return new Intl.DateTimeFormat(getLocale(), /** @type {any} */ (options)).format(ms);
}

/** "3 minutes ago". @param {number | null | undefined} ms @param {number} [now] */
export function formatRelative(ms, now = Date.now()) {
  if (!ms) return t("common.never");
  const seconds = Math.round((ms - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(getLocale(), { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 45) return t("common.justNow");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  if (abs < 86400 * 30) return rtf.format(Math.round(seconds / 86400), "day");
  return formatDateTime(ms);
}

/** "1 m 05 s". @param {number} ms */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes === 0) return t("common.seconds", { n: seconds });
  return t("common.minutesSeconds", { m: minutes, s: String(seconds).padStart(2, "0") });
}

/**
 * Unix ms of the start of a local `YYYY-MM-DD` day, or of the next day for
 * the end of a range (the server's end bound excludes it); undefined when blank.
 * @param {string} value @param {boolean} end
 */
export function dayBound(value, end) {
  if (!value) return undefined;
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, end ? d + 1 : d).getTime();
}

/** "850 ms", "12.4 s", "2 min 05 s". @param {number} ms */
export function formatLatency(ms) {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return t("common.seconds", { n: formatNumber(ms / 1000) });
  return formatDuration(ms);
}
