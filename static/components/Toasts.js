import { html } from "../lib.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {{ id: number, kind: "success" | "error" | "info", text: string }} Toast
 * @typedef {object} ToastsProps
 * @property {Toast[]} toasts newest last
 * @property {(id: number) => void} onDismiss
 * @property {string} dismissLabel
 */

const ICONS = { success: "check", error: "alert", info: "info" };

/** Transient messages in the corner. @param {ToastsProps} props */
export function Toasts({ toasts, onDismiss, dismissLabel }) {
  return html`<div class="toasts" aria-live="polite">
    ${
    toasts.map((toast) =>
      html`
        <div key=${toast.id} class=${`toast toast-${toast.kind}`} role=${toast.kind === "error"
          ? "alert"
          : "status"}>
          <span class="toast-icon"><${Icon} name=${ICONS[toast.kind]} size=${18} /></span>
          <span class="toast-text">${toast.text}</span>
          <button
            type="button"
            class="icon-button"
            aria-label=${dismissLabel}
            onClick=${() => onDismiss(toast.id)}
          ><${Icon} name="close" size=${16} /></button>
        </div>
      `
    )
  }
  </div>`;
}
