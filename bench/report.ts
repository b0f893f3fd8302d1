/**
 * Presentation of benchmark results: aligned text tables, target checks with
 * PASS/MISS marks, and the one-line summary.
 * @module
 */

/** One column of a table of `R` rows. */
export interface Column<R> {
  header: string;
  value: (row: R) => string;
}

/** Renders `rows` as a table with right-aligned cells (the first column left-aligned). */
export function formatTable<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.value(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const render = (line: string[]) =>
    line.map((cell, i) => i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])).join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [render(cells[0]), rule, ...cells.slice(1).map(render)].join("\n");
}

/** A number for a table: fixed decimals, `-` when not measured. */
export function num(value: number | undefined, decimals = 0): string {
  return value === undefined || Number.isNaN(value) ? "-" : value.toFixed(decimals);
}

/** A target and how the run did against it. */
export interface TargetResult {
  name: string;
  op: "<=" | ">=";
  limit: number;
  unit: string;
  /** `undefined` when the run did not measure it (filtered out). */
  actual: number | undefined;
  /** `undefined` when not measured. */
  pass: boolean | undefined;
}

/** Checks `actual` against `limit`. */
export function checkTarget(
  name: string,
  actual: number | undefined,
  op: "<=" | ">=",
  limit: number,
  unit: string,
): TargetResult {
  const measured = actual !== undefined && !Number.isNaN(actual);
  const pass = !measured ? undefined : op === "<=" ? actual <= limit : actual >= limit;
  return { name, op, limit, unit, actual: measured ? actual : undefined, pass };
}

/** The mark of a target: PASS, MISS or SKIP (not measured in this run). */
export function mark(result: TargetResult): string {
  return result.pass === undefined ? "SKIP" : result.pass ? "PASS" : "MISS";
}

/** Renders the target list. */
export function formatTargets(results: readonly TargetResult[]): string {
  return formatTable<TargetResult>([
    { header: "target", value: (r) => r.name },
    { header: "limit", value: (r) => `${r.op} ${r.limit} ${r.unit}` },
    {
      header: "actual",
      value: (r) => r.actual === undefined ? "-" : `${num(r.actual, 1)} ${r.unit}`,
    },
    { header: "", value: mark },
  ], results);
}

/** The final line, e.g. `bench: 7/7 targets met (0 missed, 0 skipped) in 142 s`. */
export function summaryLine(results: readonly TargetResult[], seconds: number): string {
  const passed = results.filter((r) => r.pass === true).length;
  const missed = results.filter((r) => r.pass === false).length;
  const skipped = results.length - passed - missed;
  const misses = results.filter((r) => r.pass === false).map((r) => r.name);
  return `bench: ${passed}/${results.length} targets met (${missed} missed, ${skipped} skipped) in ${
    seconds.toFixed(0)
  } s${misses.length ? ` — MISS: ${misses.join("; ")}` : ""}`;
}
