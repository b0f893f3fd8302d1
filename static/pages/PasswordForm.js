import { html, useState } from "../lib.js";
import { changePassword } from "../api.js";
import { t } from "../i18n.js";
import { Field } from "../components/Field.js";

const MIN_PASSWORD = 8;

/**
 * Changes the signed-in admin's password (other sessions end).
 * @param {{ notify: import("../app.js").Notify }} props
 */
export function PasswordForm({ notify }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const errors = {
    current: current ? null : t("settings.currentMissing"),
    next: next.length >= MIN_PASSWORD ? null : t("setup.passwordShort", { n: MIN_PASSWORD }),
    confirm: confirm === next ? null : t("setup.passwordMismatch"),
  };
  const shown = (/** @type {keyof typeof errors} */ name) => submitted ? errors[name] : null;
  const submit = async (/** @type {Event} */ event) => {
    event.preventDefault();
    setSubmitted(true);
    setError(null);
    if (Object.values(errors).some(Boolean)) return;
    setBusy(true);
    try {
      await changePassword({ current_password: current, new_password: next });
      notify("success", t("settings.passwordChanged"));
      setCurrent("");
      setNext("");
      setConfirm("");
      setSubmitted(false);
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="card form" onSubmit=${submit} novalidate>
      <div class="card-header">
        <h2>${t("settings.password")}</h2>
      </div>
      <p class="muted small">${t("settings.passwordHint")}</p>
      <${Field} id="pw-current" label=${t("settings.current")} error=${shown("current")}>
        <input id="pw-current" class="input" type="password" value=${current}
          autocomplete="current-password" onInput=${(/** @type {any} */ e) =>
            setCurrent(e.currentTarget.value)} />
        <//>
        <${Field} id="pw-new" label=${t("settings.new")} hint=${t("setup.passwordHint", {
          n: MIN_PASSWORD,
        })} error=${shown("next")}>
          <input id="pw-new" class="input" type="password" value=${next} autocomplete="new-password"
            onInput=${(/** @type {any} */ e) => setNext(e.currentTarget.value)} />
          <//>
          <${Field} id="pw-confirm" label=${t("setup.confirm")} error=${shown("confirm")}>
          <input id="pw-confirm" class="input" type="password" value=${confirm}
            autocomplete="new-password" onInput=${(/** @type {any} */ e) =>
              setConfirm(e.currentTarget.value)} />
        <//>
        ${error ? html`<div class="notice notice-error" role="alert">${error}</div>` : null}
        <div><button type="submit" class="button button-primary" disabled=${busy}>${busy
          ? t("common.saving")
          : t("settings.change")}</button></div>
      </form>
  `;
}
