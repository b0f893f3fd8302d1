import { html, useState } from "../lib.js";
import { Dialog } from "./Dialog.js";

/**
 * @typedef {object} ConfirmDialogProps
 * @property {string} title
 * @property {string} message
 * @property {string} confirmLabel
 * @property {string} cancelLabel
 * @property {boolean} [danger] the confirm button is red
 * @property {() => Promise<unknown> | void} onConfirm the dialog stays open, busy, until it settles
 * @property {() => void} onClose
 */

/** Asks before something that cannot be undone. @param {ConfirmDialogProps} props */
export function ConfirmDialog(
  { title, message, confirmLabel, cancelLabel, danger = false, onConfirm, onClose },
) {
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
      onClose();
    } catch {
      // The page reports the failure; the dialog stays so the user can retry or cancel.
      setBusy(false);
    }
  };
  const footer = html`
    <button type="button" class="button" onClick=${onClose} disabled=${busy}>${cancelLabel}</button>
    <button
      type="button"
      class=${danger ? "button button-danger" : "button button-primary"}
      onClick=${confirm}
      disabled=${busy}
    >${confirmLabel}</button>
  `;
  return html`
    <${Dialog} title=${title} onClose=${onClose} closeLabel=${cancelLabel} size="small"
      footer=${footer}>
      <p class="confirm-message">${message}</p>
      <//>
  `;
}
