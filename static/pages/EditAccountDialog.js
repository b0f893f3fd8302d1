import { html, useState } from "../lib.js";
import { updateAccount } from "../api.js";
import { t } from "../i18n.js";
import { Dialog } from "../components/Dialog.js";
import { Field } from "../components/Field.js";

/** The longest name and note the server keeps. */
const MAX_NAME = 100;
const MAX_NOTE = 1000;

/**
 * Edits an account: its name, a note, and its proxy. The current proxy is
 * shown masked (its password never comes back); a new value replaces it,
 * "Remove proxy" clears it, blank keeps it.
 * @param {{ account: import("../api.js").Account, onClose: () => void,
 *   onSaved: (account: import("../api.js").Account) => void,
 *   notify: import("../app.js").Notify }} props
 */
export function EditAccountDialog({ account, onClose, onSaved, notify }) {
  const [name, setName] = useState(account.name ?? "");
  const [note, setNote] = useState(account.note ?? "");
  const [proxy, setProxy] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(
    /** @type {{ param: string, message: string } | null} */ (
      null
    ),
  );
  const own = account.proxy?.source === "account" || account.proxy?.source === "direct";
  /** @param {Record<string, string | null>} body @param {string} done */
  const save = async (body, done) => {
    setBusy(true);
    setError(null);
    try {
      const saved = await updateAccount(account.id, body);
      notify("success", done);
      onSaved(saved);
      onClose();
    } catch (failure) {
      const { message, param } = /** @type {Error & { param?: string }} */ (failure);
      setError({ param: param ?? "proxy", message });
      setBusy(false);
    }
  };
  const submit = (/** @type {Event} */ event) => {
    event.preventDefault();
    /** @type {Record<string, string | null>} */
    const body = {};
    if (name.trim() !== (account.name ?? "")) body.name = name.trim() || null;
    if (note.trim() !== (account.note ?? "")) body.note = note.trim() || null;
    if (proxy.trim()) body.proxy = proxy.trim();
    if (Object.keys(body).length === 0) return onClose();
    save(body, body.proxy ? t("accounts.proxySaved") : t("accounts.saved"));
  };
  const current = account.proxy
    ? account.proxy.source === "direct"
      ? t("accounts.proxyDirect")
      : account.proxy.source === "default"
      ? t("accounts.proxyDefault", { proxy: account.proxy.label ?? "" })
      : account.proxy.label
    : t("accounts.proxyNone");
  const errorOf = (/** @type {string} */ param) => error?.param === param ? error.message : null;
  const footer = html`
    ${own
      ? html`<button type="button" class="button" disabled=${busy} onClick=${() =>
        save({ proxy: null }, t("accounts.proxyRemoved"))}>${t("accounts.proxyRemove")}</button>`
      : null}
    <span class="spacer"></span>
    <button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
    <button type="submit" form="edit-account-form" class="button button-primary"
      disabled=${busy}>${busy ? t("common.saving") : t("common.save")}</button>
  `;
  return html`
    <${Dialog} title=${t("accounts.editTitle", { label: account.label })} onClose=${onClose}
      closeLabel=${t("common.close")} footer=${footer}>
      <form id="edit-account-form" class="form" onSubmit=${submit} novalidate>
        <${Field} id="edit-name" label=${t("accounts.name")} hint=${t("accounts.nameHint")}
          error=${errorOf("name")}>
          <input id="edit-name" class="input" type="text" maxlength=${MAX_NAME} value=${name}
            autocomplete="off" onInput=${(/** @type {any} */ e) =>
              setName(e.currentTarget.value)} />
          <//>
          <${Field} id="edit-note" label=${t("accounts.note")} error=${errorOf("note")}>
            <textarea id="edit-note" class="input textarea" rows="2" maxlength=${MAX_NOTE}
              value=${note} onInput=${(/** @type {any} */ e) =>
                setNote(e.currentTarget.value)}></textarea>
            <//>
            <p class="small"><span class="muted">${t("accounts.proxyCurrent")}</span> <code
          class="mono" data-testid="current-proxy">${current}</code></p>
            <${Field} id="edit-proxy" label=${t("accounts.proxy")} hint=${t("accounts.proxyHint")}
              error=${errorOf("proxy")}>
              <input id="edit-proxy" class="input mono" type="text" spellcheck="false"
                autocomplete="off" placeholder="socks5://user:password@host:1080" value=${proxy}
                onInput=${(/** @type {any} */ e) => setProxy(e.currentTarget.value)} />
              <//>
              </form>
              <//>
  `;
}
