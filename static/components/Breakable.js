import { Fragment, html } from "../lib.js";
import { breakRuns } from "../url_breaks.js";

/** Runs longer than this may still wrap inside (a long token with no punctuation). */
const LONGEST_WHOLE_RUN = 24;

/**
 * Text (a URL, a path, a message naming one) that wraps at sensible places
 * instead of in the middle of a word: a `<wbr>` between its runs, each run
 * kept whole (so a hyphen never ends a line: the break comes before it).
 * @param {{ text: string | null | undefined }} props
 */
export function Breakable({ text }) {
  if (!text) return null;
  const runs = breakRuns(String(text)).map((run, i) => {
    const piece = run.length > LONGEST_WHOLE_RUN ? run : html`<span class="run">${run}</span>`;
    return i === 0 ? piece : html`<wbr />${piece}`;
  });
  return html`<${Fragment}>${runs}<//>`;
}
