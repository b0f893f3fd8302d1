import { html, useEffect, useRef } from "../lib.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {object} DialogProps
 * @property {string} title
 * @property {() => void} onClose called on Escape, the close button or a click outside
 * @property {string} closeLabel accessible name of the close button
 * @property {import("preact").ComponentChildren} children the body
 * @property {import("preact").ComponentChildren} [footer] buttons, right-aligned
 * @property {"small" | "medium" | "large"} [size]
 */

/** A modal dialog on the native `<dialog>` element (focus trap, Escape, backdrop). @param {DialogProps} props */
export function Dialog({ title, onClose, closeLabel, children, footer, size = "medium" }) {
  const ref = useRef(/** @type {HTMLDialogElement | null} */ (null));
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.open && dialog.close();
  }, []);
  /** @param {Event} event */
  const onCancel = (event) => {
    event.preventDefault();
    onClose();
  };
  /** @param {MouseEvent} event */
  const onClick = (event) => {
    if (event.target === ref.current) onClose();
  };
  return html`
    <dialog
      ref=${ref}
      class=${`dialog dialog-${size}`}
      aria-label=${title}
      onCancel=${onCancel}
      onClick=${onClick}
    >
      <div class="dialog-panel">
          <header class="dialog-header">
            <h2>${title}</h2>
            <button type="button" class="icon-button" aria-label=${closeLabel} onClick=${onClose}>
              <${Icon} name="close" />
            </button>
          </header>
          <div class="dialog-body">${children}</div>
          ${footer ? html`<footer class="dialog-footer">${footer}</footer>` : null}
        </div>
    </dialog>
  `;
}
