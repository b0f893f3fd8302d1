import { html, useEffect, useState } from "../lib.js";
import { Icon } from "./Icon.js";

/** Copies through the Clipboard API, or a hidden textarea where it is missing (plain HTTP). */
async function copyText(/** @type {string} */ text) {
  if (globalThis.isSecureContext && navigator.clipboard) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("copy refused");
}

/**
 * @typedef {object} CopyButtonProps
 * @property {string} text what goes to the clipboard
 * @property {string} label
 * @property {string} copiedLabel shown for two seconds after copying
 * @property {(error: Error) => void} [onError]
 * @property {boolean} [primary]
 */

/** A button that copies `text` and says so. @param {CopyButtonProps} props */
export function CopyButton({ text, label, copiedLabel, onError, primary = false }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  const onClick = async () => {
    try {
      await copyText(text);
      setCopied(true);
    } catch (error) {
      onError?.(/** @type {Error} */ (error));
    }
  };
  return html`
    <button
      type="button"
      class=${primary ? "button button-primary" : "button"}
      onClick=${onClick}
    >
      <${Icon} name=${copied ? "check" : "copy"} size=${16} />
      <span aria-live="polite">${copied ? copiedLabel : label}</span>
    </button>
  `;
}
