/**
 * Calendar days in a time zone (the daily credit claim and the API keys'
 * daily quotas follow `CLAIM_TIME_ZONE`), computed with `Intl` so daylight
 * saving time is handled.
 * @module
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, format);
  }
  return format;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(ms: number, timeZone: string): WallClock {
  const out: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type !== "literal") out[part.type] = Number(part.value);
  }
  return out as unknown as WallClock;
}

/** Offset of the zone from UTC at an instant, ms (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The calendar day of an instant in a zone, `YYYY-MM-DD`. */
export function dayOf(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${w.year}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
}

/** The instant a local wall-clock time occurs (the later one across a DST change). */
function instantOf(wallUtc: number, timeZone: string): number {
  let guess = wallUtc - zoneOffsetMs(wallUtc, timeZone);
  guess = wallUtc - zoneOffsetMs(guess, timeZone);
  return guess;
}

/** The first instant of the day that contains `ms`. */
export function startOfDay(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const start = instantOf(Date.UTC(w.year, w.month - 1, w.day), timeZone);
  return start > ms ? start - 3_600_000 : start;
}

/** The first instant of the next day after the one containing `ms`. */
export function nextDayStart(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  let next = instantOf(Date.UTC(w.year, w.month - 1, w.day + 1), timeZone);
  // A zone that skips midnight lands an hour off; never answer a time not after `ms`.
  while (next <= ms) next += 3_600_000;
  return next;
}
