import { html } from "../lib.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {object} EmptyStateProps
 * @property {Parameters<typeof Icon>[0]["name"]} [icon]
 * @property {string} title
 * @property {string} [hint]
 * @property {import("preact").ComponentChildren} [children] actions
 */

/** What a list shows when it has nothing yet. @param {EmptyStateProps} props */
export function EmptyState({ icon = "info", title, hint, children }) {
  return html`<div class="empty">
    <div class="empty-icon"><${Icon} name=${icon} size=${28} /></div>
    <p class="empty-title">${title}</p>
    ${hint ? html`<p class="empty-hint">${hint}</p>` : null}
    ${children ? html`<div class="empty-actions">${children}</div>` : null}
  </div>`;
}
