import { html } from "../lib.js";

/**
 * @typedef {object} BadgeProps
 * @property {"green" | "red" | "amber" | "blue" | "grey" | "violet"} [tone]
 * @property {boolean} [dot] a coloured dot before the text
 * @property {import("preact").ComponentChildren} children
 */

/** A small status label. @param {BadgeProps} props */
export function Badge({ tone = "grey", dot = true, children }) {
  return html`<span class=${`badge badge-${tone}`}>${
    dot ? html`<span class="badge-dot"></span>` : null
  }${children}</span>`;
}
