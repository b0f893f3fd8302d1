import { html } from "../lib.js";

/**
 * @typedef {object} SpinnerProps
 * @property {string} [label] shown beside the spinner
 * @property {boolean} [block] centred in its own padded block
 */

/** A loading indicator. @param {SpinnerProps} props */
export function Spinner({ label, block = false }) {
  const spinner = html`<span class="spinner" role="status" aria-label=${label}></span>`;
  if (!block) return spinner;
  return html`<div class="loading-block">${spinner}${
    label ? html`<span>${label}</span>` : null
  }</div>`;
}
