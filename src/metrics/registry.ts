/**
 * A small metrics registry: counters, gauges and histograms with labels,
 * rendered in the Prometheus text exposition format (version 0.0.4).
 * Gauges whose value lives elsewhere are read at scrape time by collectors.
 * @module
 */

/** Label values by label name. */
export type Labels = Record<string, string>;

/** A monotonically increasing count. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  set(labels: Labels, value: number): void;
  /** Drops every series (e.g. before a collector sets them afresh). */
  reset(): void;
}

/** Observations counted into cumulative buckets. */
export interface Histogram {
  observe(labels: Labels, value: number): void;
}

/** The registry. */
export interface Registry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(
    name: string,
    help: string,
    labelNames: readonly string[],
    buckets: readonly number[],
  ): Histogram;
  /** Runs `collect` before every render (to set gauges from live state). */
  collect(collect: () => void): void;
  /** The exposition text; families named in `omit` are left out. */
  render(options?: { omit?: ReadonlySet<string> }): string;
}

/** The content type of {@linkcode Registry.render}'s text. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  labelNames: readonly string[];
  lines(): string[];
}

/** Creates a registry. */
export function createRegistry(): Registry {
  const families = new Map<string, Family>();
  const collectors: (() => void)[] = [];

  function register(family: Family): void {
    if (!NAME.test(family.name)) throw new TypeError(`Invalid metric name "${family.name}"`);
    for (const label of family.labelNames) {
      if (!LABEL.test(label) || label === "le") {
        throw new TypeError(`Invalid label name "${label}" of metric "${family.name}"`);
      }
    }
    if (families.has(family.name)) {
      throw new TypeError(`Metric "${family.name}" is registered twice`);
    }
    families.set(family.name, family);
  }

  /** The series key and its rendered label set, checking the names. */
  function keyOf(name: string, labelNames: readonly string[], labels: Labels = {}): string {
    const given = Object.keys(labels);
    if (
      given.length !== labelNames.length || labelNames.some((label) => !(label in labels))
    ) {
      throw new TypeError(
        `Metric "${name}" takes labels [${labelNames.join(", ")}], got [${given.join(", ")}]`,
      );
    }
    return labelNames.map((label) => `${label}="${escapeLabel(String(labels[label]))}"`).join(",");
  }

  const series = (name: string, key: string, value: number, extra = "") => {
    const labels = [key, extra].filter(Boolean).join(",");
    return `${name}${labels ? `{${labels}}` : ""} ${formatNumber(value)}`;
  };

  function valueFamily(
    type: "counter" | "gauge",
    name: string,
    help: string,
    labelNames: readonly string[],
  ): Map<string, number> {
    const values = new Map<string, number>();
    register({
      name,
      help,
      type,
      labelNames,
      lines: () => [...values].map(([key, value]) => series(name, key, value)),
    });
    return values;
  }

  return {
    counter(name, help, labelNames = []) {
      const values = valueFamily("counter", name, help, labelNames);
      // An unlabelled counter exists from the start, so rates work from the first scrape.
      if (labelNames.length === 0) values.set("", 0);
      return {
        inc(labels, by = 1) {
          if (!(by >= 0)) throw new RangeError(`Counter "${name}" cannot grow by ${by}`);
          const key = keyOf(name, labelNames, labels);
          values.set(key, (values.get(key) ?? 0) + by);
        },
      };
    },
    gauge(name, help, labelNames = []) {
      const values = valueFamily("gauge", name, help, labelNames);
      return {
        set(labels, value) {
          values.set(keyOf(name, labelNames, labels), value);
        },
        reset: () => values.clear(),
      };
    },
    histogram(name, help, labelNames, buckets) {
      const bounds = [...buckets].sort((a, b) => a - b);
      if (
        bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || b === bounds[i - 1])
      ) {
        throw new TypeError(`Histogram "${name}" needs distinct finite buckets`);
      }
      const data = new Map<string, { counts: number[]; sum: number; count: number }>();
      register({
        name,
        help,
        type: "histogram",
        labelNames,
        lines() {
          const out: string[] = [];
          for (const [key, { counts, sum, count }] of data) {
            let cumulative = 0;
            bounds.forEach((bound, i) => {
              cumulative += counts[i];
              out.push(series(`${name}_bucket`, key, cumulative, `le="${formatNumber(bound)}"`));
            });
            out.push(series(`${name}_bucket`, key, count, `le="+Inf"`));
            out.push(series(`${name}_sum`, key, sum));
            out.push(series(`${name}_count`, key, count));
          }
          return out;
        },
      });
      return {
        observe(labels, value) {
          const key = keyOf(name, labelNames, labels);
          let entry = data.get(key);
          if (!entry) {
            entry = { counts: bounds.map(() => 0), sum: 0, count: 0 };
            data.set(key, entry);
          }
          const index = bounds.findIndex((bound) => value <= bound);
          if (index !== -1) entry.counts[index]++;
          entry.sum += value;
          entry.count++;
        },
      };
    },
    collect(collect) {
      collectors.push(collect);
    },
    render(options = {}) {
      for (const collect of collectors) collect();
      const out: string[] = [];
      for (const family of families.values()) {
        if (options.omit?.has(family.name)) continue;
        out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
        out.push(`# TYPE ${family.name} ${family.type}`);
        out.push(...family.lines());
      }
      return out.join("\n") + "\n";
    },
  };
}
