/**
 * Where long URLs, paths and model names may wrap: the runs between break
 * opportunities, as style guides break URLs. Plain (no Preact), so it is
 * tested on its own; `components/Breakable.js` renders the runs.
 * @module
 */

/** Where a URL or path may break: after these… */
const AFTER = new Set(["/", "&", "=", ",", ";"]);
/** …and before these (as style guides break URLs: never leave a dot at a line's end). */
const BEFORE = new Set([".", "?", "#", "-", "_", "@", "~", "%"]);

/**
 * Cuts text into the runs between break opportunities of URLs and paths:
 * after `/`, `&`, `=`, `,`, `;` (a `//` stays whole) and before `.`, `?`,
 * `#`, `-`, `_`, `@`, `~`, `%` (not before the dot of a number: `3.0`, `127.0.0.1`).
 * @param {string} text
 * @returns {string[]}
 */
export function breakRuns(text) {
  const runs = [];
  let run = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    // A dot between digits is part of a number (a version, an address): no break there.
    const inNumber = ch === "." && /\d/.test(run.at(-1) ?? "") && /\d/.test(text[i + 1] ?? "");
    if (BEFORE.has(ch) && run && !BEFORE.has(run.at(-1) ?? "") && !inNumber) {
      runs.push(run);
      run = "";
    }
    run += ch;
    if (AFTER.has(ch) && text[i + 1] !== ch && i < text.length - 1) {
      runs.push(run);
      run = "";
    }
  }
  if (run) runs.push(run);
  return runs;
}
