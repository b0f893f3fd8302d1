import { html, useState } from "../lib.js";
import { setAccountProxy } from "../api.js";
import { t } from "../i18n.js";
import { Dialog } from "../components/Dialog.js";
import { Field } from "../components/Field.js";

/**
 * Edits an account: its proxy. The current one is shown masked (its password
 * never comes back); a new value replaces it, "Remove proxy" clears it.
 * @param {{ account: import("../api.js").Account, onClose: () => void,
 *   onSaved: (account: import("../api.js").Account) => void,
 *   notify: import("../app.js").Notify }} props
 */
export function EditAccountDialog({ account, onClose, onSaved, notify }) {
  const [proxy, setProxy] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const own = account.proxy?.source === "account" || account.proxy?.source === "direct";
  /** @param {string | null} value */
  const save = async (value) => {
    setBusy(true);
    setError(null);
    try {
      const saved = await setAccountProxy(account.id, value);
      notify("success", value === null ? t("accounts.proxyRemoved") : t("accounts.proxySaved"));
      onSaved(saved);
      onClose();
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
      setBusy(false);
    }
  };
  const current = account.proxy
    ? account.proxy.source === "direct"
      ? t("accounts.proxyDirect")
      : account.proxy.source === "default"
      ? t("accounts.proxyDefault", { proxy: account.proxy.label ?? "" })
      : account.proxy.label
    : t("accounts.proxyNone");
  const footer = html`
    ${own
      ? html`<button type="button" class="button" disabled=${busy} onClick=${() => save(null)}>${
        t("accounts.proxyRemove")
      }</button>`
      : null}
    <span class="spacer"></span>
    <button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
    <button type="button" class="button button-primary" disabled=${busy || !proxy.trim()}
      onClick=${() => save(proxy.trim())}>${busy ? t("common.saving") : t("common.save")}</button>
  `;
  return html`
    <${Dialog} title=${t("accounts.editTitle", { label: account.label })} onClose=${onClose}
      closeLabel=${t("common.close")} footer=${footer}>
      <p class="small"><span class="muted">${t("accounts.proxyCurrent")}</span> <code class="mono"
        data-testid="current-proxy">${current}</code></p>
      <${Field} id="edit-proxy" label=${t("accounts.proxy")} hint=${t("accounts.proxyHint")}
        error=${error}>
        <input id="edit-proxy" class="input mono" type="text" spellcheck="false" autocomplete="off"
          placeholder="socks5://user:password@host:1080" value=${proxy}
          onInput=${(/** @type {any} */ e) => setProxy(e.currentTarget.value)} />
        <//>
        <//>
  `;
}
