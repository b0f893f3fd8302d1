import { html, useState } from "../lib.js";
import { addAccounts } from "../api.js";
import { t } from "../i18n.js";
import { Dialog } from "../components/Dialog.js";
import { Field } from "../components/Field.js";

/**
 * Pastes one or many sessionids; the server splits, dedupes and adds them.
 * @param {{ onClose: () => void, onAdded: () => void, notify: import("../app.js").Notify }} props
 */
export function AddAccountsDialog({ onClose, onAdded, notify }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const count = text.split(/[\s,;]+/).filter(Boolean).length;
  const submit = async () => {
    if (!count) return setError(t("accounts.addEmpty"));
    setBusy(true);
    try {
      const result = await addAccounts(text);
      notify("success", t("accounts.added", { n: result.added.length, d: result.duplicates }));
      onAdded();
      onClose();
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
      setBusy(false);
    }
  };
  const footer = html`
    <button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
    <button type="button" class="button button-primary" onClick=${submit} disabled=${busy}>
      ${busy ? t("common.saving") : t("accounts.addSubmit", { n: count })}
    </button>
  `;
  return html`
    <${Dialog} title=${t("accounts.addTitle")} onClose=${onClose} closeLabel=${t(
      "common.close",
    )} footer=${footer}>
      <${Field} id="account-sessionids" label=${t("accounts.sessionids")} hint=${t(
        "accounts.sessionidsHint",
      )} error=${error}>
        <textarea id="account-sessionids" class="input textarea mono" rows="6" spellcheck="false"
          placeholder=${t("accounts.sessionidsPlaceholder")} value=${text}
          onInput=${(/** @type {any} */ e) => setText(e.currentTarget.value)}></textarea>
        <//>
        <//>
  `;
}
