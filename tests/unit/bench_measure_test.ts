import assert from "node:assert/strict";
import {
  parseMachineStat,
  parseProcStat,
  parseStatusBytes,
  percentile,
  summarize,
} from "../../bench/measure.ts";
import { checkTarget, summaryLine } from "../../bench/report.ts";
import { parseScenarioFilter, selects } from "../../bench/scenario.ts";

Deno.test("percentile() interpolates between closest ranks", () => {
  const values = [15, 20, 35, 40, 50];
  assert.equal(percentile(values, 0), 15);
  assert.equal(percentile(values, 50), 35);
  assert.equal(percentile(values, 100), 50);
  // rank 0.9 × 4 = 3.6: 40 + 0.6 × (50 − 40)
  assert.ok(Math.abs(percentile(values, 90) - 46) < 1e-9);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});

Deno.test("percentile() does not depend on input order and leaves the input alone", () => {
  const values = [9, 1, 5, 3, 7];
  assert.equal(percentile(values, 50), 5);
  assert.equal(percentile(values, 25), 3);
  assert.deepEqual(values, [9, 1, 5, 3, 7]);
});

Deno.test("percentile() refuses a percentile outside 0-100", () => {
  assert.throws(() => percentile([1, 2], 101), RangeError);
  assert.throws(() => percentile([1, 2], -1), RangeError);
  assert.throws(() => percentile([1, 2], NaN), RangeError);
});

Deno.test("summarize() gives count, extremes, mean and p50/p90/p99", () => {
  const values = Array.from({ length: 101 }, (_, i) => 100 - i);
  const summary = summarize(values);
  assert.deepEqual(summary, { count: 101, min: 0, p50: 50, p90: 90, p99: 99, max: 100, mean: 50 });
  assert.equal(summarize([]).count, 0);
  assert.ok(Number.isNaN(summarize([]).p50));
});

Deno.test("parseProcStat() reads utime and stime, even with spaces and parentheses in the name", () => {
  // A real line of a deno process, with the command name changed.
  const tail = "S 1 4321 4321 0 -1 4194560 50329 0 0 0 1234 567 0 0 20 0 9 0 123456 " +
    "1234567890 14000 18446744073709551615 1 1 0 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0";
  assert.deepEqual(parseProcStat(`4321 (deno) ${tail}`), { utime: 1234, stime: 567 });
  assert.deepEqual(parseProcStat(`4321 (my (odd) prog) ${tail}\n`), { utime: 1234, stime: 567 });
  assert.throws(() => parseProcStat("not a stat line"), SyntaxError);
  assert.throws(() => parseProcStat("4321 (deno) S 1 2"), SyntaxError);
});

Deno.test("parseStatusBytes() reads kB fields of /proc/<pid>/status in bytes", () => {
  const status = [
    "Name:\tdeno",
    "State:\tS (sleeping)",
    "VmPeak:\t 2251532 kB",
    "VmHWM:\t  104508 kB",
    "VmRSS:\t   58236 kB",
    "Threads:\t9",
  ].join("\n");
  assert.equal(parseStatusBytes(status, "VmRSS"), 58236 * 1024);
  assert.equal(parseStatusBytes(status, "VmHWM"), 104508 * 1024);
  // A zombie has no memory fields.
  assert.equal(parseStatusBytes("Name:\tdeno\nState:\tZ (zombie)\n", "VmRSS"), undefined);
  assert.throws(() => parseStatusBytes("VmRSS:\tlots\n", "VmRSS"), SyntaxError);
});

Deno.test("parseMachineStat() sums busy and idle ticks of the all-CPU line", () => {
  const text = "cpu  135285 2679 20917 409670 797 0 2703 681 0 0\n" +
    "cpu0 69604 1413 10795 202529 375 0 1295 302 0 0\nintr 1 2 3\n";
  assert.deepEqual(parseMachineStat(text), {
    busy: 135285 + 2679 + 20917 + 0 + 2703 + 681,
    idle: 409670 + 797,
  });
  assert.throws(() => parseMachineStat("cpu0 1 2 3 4 5 6 7 8\n"), SyntaxError);
});

Deno.test("checkTarget() and summaryLine() mark PASS, MISS and unmeasured targets", () => {
  const results = [
    checkTarget("p50", 120, "<=", 150, "ms"),
    checkTarget("throughput", 100, ">=", 120, "gen/s"),
    checkTarget("filtered out", undefined, "<=", 1, ""),
    checkTarget("not a number", NaN, "<=", 1, ""),
  ];
  assert.deepEqual(results.map((r) => r.pass), [true, false, undefined, undefined]);
  assert.equal(
    summaryLine(results, 12.4),
    "bench: 1/4 targets met (1 missed, 2 skipped) in 12 s — MISS: throughput",
  );
});

Deno.test("parseScenarioFilter() and selects() pick scenarios by their parameters", () => {
  assert.deepEqual(parseScenarioFilter("c=16,lat=3500"), { c: 16, lat: 3500 });
  assert.deepEqual(parseScenarioFilter(" lat=0 "), { lat: 0 });
  assert.throws(() => parseScenarioFilter("c16"), SyntaxError);
  assert.throws(() => parseScenarioFilter("c=many"), SyntaxError);
  const scenario = { c: 16, lat: 3500 };
  assert.ok(selects([], scenario));
  assert.ok(selects([{ lat: 3500 }], scenario));
  assert.ok(selects([{ c: 1 }, { c: 16, lat: 3500 }], scenario));
  assert.ok(!selects([{ c: 16, lat: 0 }], scenario));
  // A key the scenario does not have does not match.
  assert.ok(!selects([{ rows: 1000 }], scenario));
});
