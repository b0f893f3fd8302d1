import { html, useState } from "../lib.js";
import { addAccounts } from "../api.js";
import { t } from "../i18n.js";
import { Dialog } from "../components/Dialog.js";
import { Field } from "../components/Field.js";
import { Icon } from "../components/Icon.js";

/** @typedef {{ line: number, label: string, code: string, reason: string }} Refusal */

/** Why a line was refused, in the console's language (the server's text for a new code). @param {Refusal} refusal */
function reasonOf(refusal) {
  const key = `accounts.reason.${refusal.code}`;
  const text = t(key);
  return text === key ? refusal.reason : text;
}

/**
 * Whether pasted text is cookies copied from the browser (a Cookie header, a
 * JSON export, a cookies.txt) rather than sessionids; the server decides, this
 * only names the button.
 * @param {string} text
 */
function looksLikeCookies(text) {
  return /^\s*[[{]/.test(text) || text.includes("\t") || /^\s*cookie\s*:/im.test(text) ||
    /=[^;\n]*;\s*[\w.-]+=/.test(text);
}

/**
 * Pastes one or many sessionids, or the cookies of a logged-in browser; the
 * server splits, dedupes and adds them, with the optional proxy. When some
 * lines are refused, the dialog stays open and says which and why.
 * @param {{ onClose: () => void, onAdded: () => Promise<unknown> | void,
 *   notify: import("../app.js").Notify }} props
 */
export function AddAccountsDialog({ onClose, onAdded, notify }) {
  const [text, setText] = useState("");
  const [proxy, setProxy] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [proxyError, setProxyError] = useState(/** @type {string | null} */ (null));
  const [refused, setRefused] = useState(/** @type {Refusal[] | null} */ (null));
  const cookies = looksLikeCookies(text);
  // Split as the server does: lines, commas and semicolons (a line with spaces stays one entry).
  const count = cookies
    ? 1
    : new Set(text.split(/[\r\n,;]+/).map((s) => s.trim()).filter(Boolean)).size;
  const submit = async () => {
    if (!count) return setError(t("accounts.addEmpty"));
    setBusy(true);
    setError(null);
    setProxyError(null);
    try {
      const result = await addAccounts(text, proxy.trim() || undefined);
      await onAdded();
      notify("success", t("accounts.added", { n: result.added.length, d: result.duplicates }));
      if (result.invalid.length === 0) return onClose();
      // The pasted text goes: the refused lines are listed (masked) below.
      setText("");
      setRefused(result.invalid);
      setBusy(false);
    } catch (failure) {
      const { message, param } = /** @type {Error & { param?: string }} */ (failure);
      if (param === "proxy") setProxyError(message);
      else setError(message);
      setBusy(false);
    }
  };
  if (refused) {
    return html`
      <${Dialog} title=${t("accounts.addTitle")} onClose=${onClose} closeLabel=${t(
        "common.close",
      )} footer=${html`<button type="button" class="button button-primary" onClick=${onClose}>${
        t("common.done")
      }</button>`}>
        <div class="notice notice-warn"
          role="alert"><${Icon} name="alert" size=${16} />${refused.length === 1
            ? t("accounts.refusedOne")
            : t("accounts.refused", { n: refused.length })}</div>
        <ul class="refused-list">
          ${refused.map((r, i) =>
            html`
              <li
                key=${i}><strong class="refused-line">${t("accounts.refusedLine", {
                  n: r.line,
                })}</strong><code class="mono">${r.label}</code><span>${reasonOf(r)}</span></li>
            `
          )}
        </ul>
        <//>
    `;
  }
  const footer = html`
    <button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
    <button type="button" class="button button-primary" onClick=${submit} disabled=${busy}>
      ${busy
        ? t("common.saving")
        : cookies
        ? t("accounts.importCookies")
        : t("accounts.addSubmit", { n: count })}
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
        <${Field} id="account-proxy" label=${t("accounts.proxyOptional")} hint=${t(
          "accounts.proxyHint",
        )} error=${proxyError}>
          <input id="account-proxy" class="input mono" type="text" spellcheck="false"
            autocomplete="off" placeholder="socks5://user:password@host:1080" value=${proxy}
            onInput=${(/** @type {any} */ e) => setProxy(e.currentTarget.value)} />
          <//>
          <//>
  `;
}
