import { html, useState } from "../lib.js";
import { putSetting } from "../api.js";
import { t } from "../i18n.js";
import { SettingText } from "../components/ConfigTable.js";
import { Dialog } from "../components/Dialog.js";
import { Field } from "../components/Field.js";

/**
 * Edits one runtime setting. A secret is write-only: its value never comes
 * back, a new one replaces it. "Use the default" removes the console's
 * value. The server checks the value; its message shows in the field.
 * @param {{ setting: import("../api.js").Setting, onClose: () => void,
 *   onSaved: () => Promise<unknown> | void, notify: import("../app.js").Notify }} props
 */
export function SettingDialog({ setting, onClose, onSaved, notify }) {
  const secret = setting.secret === true;
  const fromConsole = setting.source === "console";
  const [value, setValue] = useState(secret || !fromConsole ? "" : setting.value ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  /** @param {string | null} next */
  const save = async (next) => {
    setBusy(true);
    setError(null);
    try {
      await putSetting(setting.env, next);
      // The toast comes once the table shows the new value.
      await onSaved();
      notify("success", t("settings.saved", { env: setting.env }));
      onClose();
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
      setBusy(false);
    }
  };
  const submit = (/** @type {Event} */ event) => {
    event.preventDefault();
    if (!value.trim()) return setError(t("settings.valueMissing"));
    save(value.trim());
  };
  const footer = html`
    ${fromConsole
      ? html`<button type="button" class="button" disabled=${busy} onClick=${() => save(null)}>${
        t("settings.useDefault")
      }</button>`
      : null}
    <span class="spacer"></span>
    <button type="button" class="button" onClick=${onClose}>${t("common.cancel")}</button>
    <button type="submit" form="setting-form" class="button button-primary"
      disabled=${busy}>${busy ? t("common.saving") : t("common.save")}</button>
  `;
  const hint = secret && fromConsole ? t("settings.secretKeep") : t("settings.valueHint", {
    value: setting.default,
  });
  return html`
    <${Dialog} title=${t("settings.editTitle", { env: setting.env })} onClose=${onClose}
      closeLabel=${t("common.close")} footer=${footer}>
      <form id="setting-form" class="form" onSubmit=${submit} novalidate>
        <p class="small muted setting-text">
          <${SettingText} setting=${setting} />
        </p>
        <${Field} id="setting-value" label=${setting.env} hint=${hint} error=${error}>
          <input id="setting-value" class="input mono" type=${secret ? "password" : "text"}
            value=${value} spellcheck="false" autocomplete=${secret ? "new-password" : "off"}
            placeholder=${secret && fromConsole
              ? t("settings.secretPlaceholder")
              : setting.default.startsWith("(")
              ? ""
              : setting.default}
            onInput=${(/** @type {any} */ e) => setValue(e.currentTarget.value)} />
          <//>
          </form>
          <//>
  `;
}
