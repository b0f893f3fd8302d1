/**
 * Collects the string and template literals of TypeScript sources, to test
 * every message the server can produce (e.g. against the secret masker).
 * A small scanner, not a parser: it skips comments and regular-expression
 * literals and turns each `${…}` of a template into a stand-in value.
 * @module
 */

/** One literal and where it is. */
export interface Literal {
  file: string;
  line: number;
  /** The text, with every `${…}` replaced by the stand-in. */
  text: string;
}

/** Characters after which a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const REGEX_KEYWORDS = /(?:^|[^\w$])(?:return|typeof|case|do|else|in|of|void|yield|await)$/;

/**
 * The literals of one source text.
 * @param stand what each `${…}` becomes
 */
export function scanLiterals(source: string, file: string, stand = "X"): Literal[] {
  const out: Literal[] = [];
  let i = 0;
  let line = 1;
  let last = ""; // the last significant character outside literals and comments
  let lastWord = "";

  const advance = (n = 1) => {
    for (let k = 0; k < n; k++) if (source[i + k] === "\n") line++;
    i += n;
  };

  function readQuoted(quote: string): string {
    let text = "";
    advance();
    while (i < source.length && source[i] !== quote) {
      if (source[i] === "\\") {
        text += unescape(source[i + 1]);
        advance(2);
      } else {
        text += source[i];
        advance();
      }
    }
    advance();
    return text;
  }

  /** Reads a template from its backtick; nested code in `${}` is scanned too. */
  function readTemplate(): string {
    let text = "";
    advance();
    while (i < source.length && source[i] !== "`") {
      if (source[i] === "\\") {
        text += unescape(source[i + 1]);
        advance(2);
      } else if (source[i] === "$" && source[i + 1] === "{") {
        advance(2);
        scanCode(true);
        text += stand;
      } else {
        text += source[i];
        advance();
      }
    }
    advance();
    return text;
  }

  function skipRegex(): void {
    advance();
    let inClass = false;
    while (i < source.length && source[i] !== "\n") {
      const ch = source[i];
      if (ch === "\\") {
        advance(2);
        continue;
      }
      if (ch === "[") inClass = true;
      else if (ch === "]") inClass = false;
      else if (ch === "/" && !inClass) break;
      advance();
    }
    advance();
    while (/[a-z]/i.test(source[i] ?? "")) advance();
  }

  /** Scans code; inside a template's `${`, stops at its closing brace. */
  function scanCode(nested: boolean): void {
    let depth = 0;
    while (i < source.length) {
      const ch = source[i];
      const next = source[i + 1];
      if (ch === "/" && next === "/") {
        while (i < source.length && source[i] !== "\n") advance();
      } else if (ch === "/" && next === "*") {
        const end = source.indexOf("*/", i + 2);
        advance((end === -1 ? source.length : end + 2) - i);
      } else if (ch === "'" || ch === '"') {
        const at = line;
        out.push({ file, line: at, text: readQuoted(ch) });
        last = "a";
      } else if (ch === "`") {
        const at = line;
        out.push({ file, line: at, text: readTemplate() });
        last = "a";
      } else if (
        ch === "/" && (last === "" || BEFORE_REGEX.has(last) || REGEX_KEYWORDS.test(lastWord))
      ) {
        skipRegex();
        last = "a";
      } else {
        if (nested && ch === "{") depth++;
        if (nested && ch === "}") {
          if (depth === 0) {
            advance();
            return;
          }
          depth--;
        }
        if (!/\s/.test(ch)) {
          last = ch;
          lastWord = /[\w$]/.test(ch) ? lastWord + ch : "";
        } else if (lastWord) lastWord += " ";
        if (lastWord.length > 40) lastWord = lastWord.slice(-20);
        advance();
      }
    }
  }

  scanCode(false);
  return out;
}

function unescape(ch: string | undefined): string {
  switch (ch) {
    case "n":
      return "\n";
    case "t":
      return "\t";
    case "r":
      return "\r";
    default:
      return ch ?? "";
  }
}

/** Whether a literal reads like a sentence meant for a person (3+ words with letters). */
export function isProse(text: string): boolean {
  const words = text.split(/\s+/).filter((w) => /[A-Za-z]{2,}/.test(w));
  return words.length >= 3 && !/^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|PRAGMA)\b/i.test(text);
}

/** Every literal of the `.ts` files under `dir`. */
export async function literalsUnder(dir: string): Promise<Literal[]> {
  const out: Literal[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await literalsUnder(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) {
      out.push(...scanLiterals(await Deno.readTextFile(path), path));
    }
  }
  return out;
}
