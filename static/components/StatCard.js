import { html } from "../lib.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {object} StatCardProps
 * @property {string} label
 * @property {string} value already formatted
 * @property {string} [detail] a second line
 * @property {Parameters<typeof Icon>[0]["name"]} icon
 * @property {"blue" | "green" | "violet" | "amber" | "pink" | "teal"} [tone]
 */

/** One headline number. @param {StatCardProps} props */
export function StatCard({ label, value, detail, icon, tone = "blue" }) {
  return html`
    <div class="stat-card">
      <div class=${`stat-icon tone-${tone}`}>
        <${Icon} name=${icon} size=${20} />
      </div>
      <div class="stat-text">
          <div class="stat-label">${label}</div>
          <div class="stat-value">${value}</div>
          ${detail ? html`<div class="stat-detail">${detail}</div>` : null}
        </div>
    </div>
  `;
}
