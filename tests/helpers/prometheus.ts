/**
 * A strict parser of the Prometheus text exposition format, for tests: every
 * line must be a well-formed comment or sample, every sample must belong to
 * a family declared by `# TYPE` before it.
 * @module
 */

/** One sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed scrape. */
export interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample matching `name` and every given label; `undefined` if none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** Samples of `name` matching the given labels. */
  find(name: string, labels?: Record<string, string>): Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new SyntaxError(`Bad sample value in: ${line}`);
  return value;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new SyntaxError(`Bad labels in: ${line}`);
    labels[match[1]] = match[2].replace(/\\(.)/g, (_m, ch) => (ch === "n" ? "\n" : ch));
  }
  return labels;
}

/** The family a sample name belongs to (histogram series carry suffixes). */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === "histogram") return base;
    }
  }
  return undefined;
}

/** Parses exposition text; throws `SyntaxError` on any malformed line. */
export function parseExposition(text: string): Scrape {
  if (!text.endsWith("\n")) throw new SyntaxError("The exposition must end with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) continue;
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type)) {
        throw new SyntaxError(`Bad TYPE line: ${line}`);
      }
      if (types.has(name)) throw new SyntaxError(`Family declared twice: ${name}`);
      types.set(name, type);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new SyntaxError(`Bad line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = match;
    if (!familyOf(name, types)) throw new SyntaxError(`Sample before its TYPE: ${line}`);
    samples.push({
      name,
      labels: labelText ? parseLabels(labelText, line) : {},
      value: parseValue(valueText, line),
    });
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) =>
      s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
    );
  return {
    types,
    samples,
    find,
    value(name, labels) {
      const found = find(name, labels);
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} match`);
      return found[0]?.value;
    },
  };
}
