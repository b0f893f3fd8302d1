import { html } from "../lib.js";
import { t } from "../i18n.js";
import { CopyButton } from "../components/CopyButton.js";
import { Dialog } from "../components/Dialog.js";
import { Icon } from "../components/Icon.js";

/**
 * A new key's secret, shown once, and the base URL to paste beside it.
 * @param {{ secret: string, baseUrl: string, onClose: () => void,
 *   notify: import("../app.js").Notify }} props
 */
export function SecretDialog({ secret, baseUrl, onClose, notify }) {
  const copyFailed = () => notify("error", t("keys.copyFailed"));
  const footer = html`
    <button type="button" class="button" onClick=${onClose}>${t("keys.done")}</button>
  `;
  return html`
    <${Dialog} title=${t("keys.secretTitle")} onClose=${onClose}
      closeLabel=${t("common.close")} footer=${footer}>
      <div class="notice notice-warn"><${Icon} name="alert" size=${16} />${t(
        "keys.secretOnce",
      )}</div>
      <div class="secret-field">
        <span class="field-label">${t("keys.secretLabel")}</span>
        <div class="secret-row">
          <pre class="secret mono" data-testid="key-secret">${secret}</pre>
          <${CopyButton} text=${secret} label=${t("keys.copy")} copiedLabel=${t("keys.copied")}
            primary onError=${copyFailed} />
        </div>
      </div>
      <div class="secret-field">
        <span class="field-label">${t("keys.baseUrl")}</span>
        <div class="secret-row">
          <pre class="secret mono" data-testid="key-base-url">${baseUrl}</pre>
          <${CopyButton} text=${baseUrl} label=${t("keys.copyBaseUrl")}
            copiedLabel=${t("keys.copied")} onError=${copyFailed} />
        </div>
      </div>
      <p class="muted small">${t("keys.secretUsage")}</p>
      <//>
  `;
}
