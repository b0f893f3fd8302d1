import { html } from "../lib.js";

/**
 * @typedef {object} ProgressBarProps
 * @property {number} value 0..100
 * @property {"blue" | "green" | "red" | "amber"} [tone]
 * @property {string} [label] accessible description
 */

/** A thin horizontal bar. @param {ProgressBarProps} props */
export function ProgressBar({ value, tone = "blue", label }) {
  const percent = Math.max(0, Math.min(100, Number.isFinite(value) ? value : 0));
  return html`
    <div
      class=${`progress progress-${tone}`}
      role="progressbar"
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow=${Math.round(percent)}
      aria-label=${label}
    >
      <div class="progress-fill" style=${{ width: `${percent}%` }}></div>
    </div>
  `;
}
