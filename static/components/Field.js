import { html } from "../lib.js";

/**
 * @typedef {object} FieldProps
 * @property {string} label
 * @property {string} id the control's id, tied to the label
 * @property {string} [hint] help under the control
 * @property {string | null} [error] replaces the hint, in red
 * @property {import("preact").ComponentChildren} children the control
 */

/** A labelled form control with help or an error message. @param {FieldProps} props */
export function Field({ label, id, hint, error, children }) {
  return html`<div class=${error ? "field field-invalid" : "field"}>
    <label class="field-label" for=${id}>${label}</label>
    ${children}
    ${
    error
      ? html`<p class="field-error" role="alert">${error}</p>`
      : hint
      ? html`<p class="field-hint">${hint}</p>`
      : null
  }
  </div>`;
}
