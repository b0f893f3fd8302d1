/**
 * Measuring helpers of the benchmark: percentiles, and CPU time and resident
 * memory of a process read from Linux's `/proc/<pid>/stat` and
 * `/proc/<pid>/status`. The parsers are pure; the readers are thin wrappers.
 * @module
 */

/** Summary of a list of samples. */
export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The `p`-th percentile (0–100) of `values` by linear interpolation between
 * closest ranks (numpy's default), or `NaN` for no values.
 *
 * @throws {RangeError} when `p` is outside 0–100
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Percentile must be within 0-100: got ${p}`);
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/** Count, extremes, mean and the 50th/90th/99th percentiles of `values`. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) {
    return { count: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  }
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    sum += value;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return {
    count: values.length,
    min,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max,
    mean: sum / values.length,
  };
}

/** CPU time of a process in clock ticks, from `/proc/<pid>/stat`. */
export interface CpuTicks {
  /** Time in user mode (field 14). */
  utime: number;
  /** Time in kernel mode (field 15). */
  stime: number;
}

/**
 * Parses the text of `/proc/<pid>/stat`. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so the fields are
 * counted from the last `)`.
 *
 * @throws {SyntaxError} when the text is not a stat line
 */
export function parseProcStat(text: string): CpuTicks {
  const close = text.lastIndexOf(")");
  if (close < 0) throw new SyntaxError(`Not a /proc stat line: "${text.slice(0, 60)}"`);
  // After ")": field 3 (state) is at index 0, so field n is at index n - 3.
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) {
    throw new SyntaxError(`Not a /proc stat line: "${text.slice(0, 60)}"`);
  }
  return { utime, stime };
}

/**
 * Reads a `kB` field (`VmRSS`, `VmHWM`, …) of `/proc/<pid>/status` in bytes,
 * or `undefined` when the field is absent (e.g. a zombie process).
 */
export function parseStatusBytes(text: string, field: string): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${field}:`)) continue;
    const match = /^\S+:\s+(\d+)\s+kB\s*$/.exec(line);
    if (!match) throw new SyntaxError(`Unexpected /proc status line: "${line}"`);
    return Number(match[1]) * 1024;
  }
  return undefined;
}

/** CPU time of the whole machine in clock ticks, from the `cpu` line of `/proc/stat`. */
export interface MachineTicks {
  /** user + nice + system + irq + softirq + steal (steal: taken by the hypervisor). */
  busy: number;
  /** idle + iowait. */
  idle: number;
}

/**
 * Parses the text of `/proc/stat` (its first, all-CPU `cpu` line).
 *
 * @throws {SyntaxError} when there is no such line
 */
export function parseMachineStat(text: string): MachineTicks {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  const values = line?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (values.length < 8 || values.some((v) => !Number.isInteger(v))) {
    throw new SyntaxError(`No all-CPU line in /proc/stat: "${(line ?? text).slice(0, 60)}"`);
  }
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values;
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

/** Busy CPU time of the whole machine so far, in ms (all cores together). */
export function readMachineBusyMs(ticksPerSecond: number): number {
  return (parseMachineStat(Deno.readTextFileSync("/proc/stat")).busy * 1000) / ticksPerSecond;
}

/** Clock ticks per second (`getconf CLK_TCK`); 100 on every Linux platform Deno runs on. */
export async function clockTicksPerSecond(): Promise<number> {
  try {
    const { success, stdout } = await new Deno.Command("getconf", { args: ["CLK_TCK"] }).output();
    const value = Number(new TextDecoder().decode(stdout).trim());
    if (success && Number.isInteger(value) && value > 0) return value;
  } catch {
    // No getconf: fall through to the kernel's USER_HZ.
  }
  return 100;
}

/** User plus system CPU time of `pid` so far, in ms. */
export function readCpuMs(pid: number, ticksPerSecond: number): number {
  const { utime, stime } = parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** A `kB` field of `/proc/<pid>/status` in bytes (`VmRSS` by default). */
export function readStatusBytes(pid: number, field = "VmRSS"): number | undefined {
  return parseStatusBytes(Deno.readTextFileSync(`/proc/${pid}/status`), field);
}

/** A running sampler of a process's resident set size. */
export interface RssSampler {
  /** Largest `VmRSS` seen so far, in bytes. */
  peak(): number;
  /** Takes a last sample and stops; returns the peak. */
  stop(): number;
}

/** Samples `VmRSS` of `pid` every `intervalMs` until stopped. */
export function startRssSampler(pid: number, intervalMs = 20): RssSampler {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, readStatusBytes(pid) ?? 0);
    } catch {
      // The process has exited; the peak stays what it was.
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Bytes → MiB. */
export const mib = (bytes: number): number => bytes / 1048576;

/** The processes below `root` in a `pid → parent pid` table, nearest first. */
export function descendantsOf(root: number, parents: ReadonlyMap<number, number>): number[] {
  const found: number[] = [];
  let level = [root];
  while (level.length > 0) {
    const next = [...parents].filter(([, parent]) => level.includes(parent)).map(([pid]) => pid);
    found.push(...next);
    level = next;
  }
  return found;
}

/** The processes below `root` right now, from `/proc/<pid>/stat`. */
export function readDescendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      parents.set(Number(entry.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Ended meanwhile.
    }
  }
  return descendantsOf(root, parents);
}

/**
 * A `kB` field of `/proc/<pid>/smaps_rollup` in bytes: `Pss` shares each
 * page among the processes that map it, so it adds up across processes.
 */
export function readRollupBytes(pid: number, field = "Pss"): number | undefined {
  try {
    return parseStatusBytes(Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`), field);
  } catch {
    return undefined;
  }
}
