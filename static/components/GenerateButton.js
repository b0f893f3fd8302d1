import { html, useEffect, useState } from "../lib.js";
import { t } from "../i18n.js";
import { formatDuration } from "../format.js";
import { Icon } from "./Icon.js";
import { Spinner } from "./Spinner.js";

/**
 * @typedef {object} GenerateButtonProps
 * @property {boolean} busy the generation runs
 * @property {boolean} [disabled] nothing to generate with yet
 * @property {number} started when the generation began (ms since the epoch)
 * @property {string} icon the icon beside `label`
 * @property {string} label what the button does
 */

/**
 * A playground form's submit button; while busy, a spinner and the time since
 * the generation began, counted by the button itself.
 * @param {GenerateButtonProps} props
 */
export function GenerateButton({ busy, disabled = false, started, icon, label }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!busy) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [busy]);
  return html`<button type="submit" class="button button-primary button-block" disabled=${
    busy ||
    disabled
  }>
    ${
    busy
      ? html`<${Spinner} />${
        t("playground.generating", { time: formatDuration(Math.max(0, now - started)) })
      }`
      : html`<${Icon} name=${icon} size=${16} />${label}`
  }
  </button>`;
}
