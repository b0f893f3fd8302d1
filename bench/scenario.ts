/**
 * What every benchmark suite (images now; video and database later) shares:
 * the running stack it drives and the `--scenario` filter.
 * @module
 */
import type { FakeUpstream } from "../tests/fake_upstream/server.ts";
import type { ServerProcess } from "../tests/helpers/server_process.ts";

/** The stack a scenario runs against. */
export interface BenchContext {
  fake: FakeUpstream;
  server: ServerProcess;
  /** A sessionid the fake knows, with plenty of credits. */
  sessionId: string;
  /** From `getconf CLK_TCK`, for `/proc/<pid>/stat`. */
  ticksPerSecond: number;
  /** Short runs (`--quick`). */
  quick: boolean;
  /** Progress output (stderr), kept apart from the report. */
  progress: (line: string) => void;
}

/** `--scenario c=16,lat=3500` → `{ c: 16, lat: 3500 }`; several filters are alternatives. */
export type ScenarioFilter = Record<string, number>;

/**
 * Parses one `--scenario` value.
 *
 * @throws {SyntaxError} when a part is not `key=number`
 */
export function parseScenarioFilter(text: string): ScenarioFilter {
  const filter: ScenarioFilter = {};
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const match = /^([a-z_]+)=(\d+(?:\.\d+)?)$/i.exec(part);
    if (!match) {
      throw new SyntaxError(`Invalid --scenario part "${part}": expected key=number, e.g. c=16`);
    }
    filter[match[1].toLowerCase()] = Number(match[2]);
  }
  return filter;
}

/**
 * Whether a scenario with `params` is selected: no filters select all; else
 * the scenario must have every key of one filter, with the same value.
 */
export function selects(filters: readonly ScenarioFilter[], params: ScenarioFilter): boolean {
  if (filters.length === 0) return true;
  return filters.some((filter) =>
    Object.entries(filter).every(([key, value]) => params[key] === value)
  );
}
