import { html } from "../lib.js";

/**
 * @typedef {object} AuthCardProps
 * @property {string} title
 * @property {string} subtitle
 * @property {import("preact").ComponentChildren} children the form
 * @property {import("preact").ComponentChildren} [footer] e.g. the language switch
 */

/** The centred card of the setup and login screens. @param {AuthCardProps} props */
export function AuthCard({ title, subtitle, children, footer }) {
  return html`<div class="auth-screen">
    <div class="auth-card">
      <div class="auth-brand">
        <img src="/static/favicon.svg" width="40" height="40" alt="" />
        <span>jimeng-api</span>
      </div>
      <h1 class="auth-title">${title}</h1>
      <p class="auth-subtitle">${subtitle}</p>
      ${children}
    </div>
    ${footer ? html`<div class="auth-footer">${footer}</div>` : null}
  </div>`;
}
