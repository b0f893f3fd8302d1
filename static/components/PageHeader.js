import { html } from "../lib.js";

/**
 * @typedef {object} PageHeaderProps
 * @property {string} title
 * @property {string} [subtitle]
 * @property {import("preact").ComponentChildren} [children] actions on the right
 */

/** The title row of a page. @param {PageHeaderProps} props */
export function PageHeader({ title, subtitle, children }) {
  return html`<div class="page-header">
    <div>
      <h1 class="page-title">${title}</h1>
      ${subtitle ? html`<p class="page-subtitle">${subtitle}</p>` : null}
    </div>
    ${children ? html`<div class="page-actions">${children}</div>` : null}
  </div>`;
}
