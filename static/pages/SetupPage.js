import { html, useState } from "../lib.js";
import { createAdmin, login } from "../api.js";
import { t } from "../i18n.js";
import { AuthCard } from "../components/AuthCard.js";
import { Field } from "../components/Field.js";
import { Segmented } from "../components/Segmented.js";
import { ThemeSwitch } from "../components/ThemeSwitch.js";

/** Shortest admin password. */
const MIN_PASSWORD = 8;

/**
 * @typedef {object} SetupPageProps
 * @property {string} language
 * @property {{ code: string, label: string }[]} languages
 * @property {(code: string) => void} onLanguage
 * @property {import("../app.js").Notify} notify
 * @property {() => Promise<void>} onSignedIn
 */

/** Creates the first admin with the one-time token from the server's log. @param {SetupPageProps} props */
export function SetupPage({ language, languages, onLanguage, notify, onSignedIn }) {
  const fromUrl = new URLSearchParams(location.search).get("token") ?? "";
  const [token, setToken] = useState(fromUrl);
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));

  const errors = {
    token: token.trim() ? null : t("setup.tokenMissing"),
    username: username.trim() ? null : t("setup.usernameMissing"),
    password: password.length >= MIN_PASSWORD
      ? null
      : t("setup.passwordShort", { n: MIN_PASSWORD }),
    confirm: confirm === password ? null : t("setup.passwordMismatch"),
  };
  const shown = (/** @type {keyof typeof errors} */ name) => submitted ? errors[name] : null;

  /** @param {Event} event */
  const onSubmit = async (event) => {
    event.preventDefault();
    setSubmitted(true);
    setError(null);
    if (Object.values(errors).some(Boolean)) return;
    setBusy(true);
    try {
      const credentials = { username: username.trim(), password };
      await createAdmin({ token: token.trim(), ...credentials });
      await login(credentials);
      // The token is spent; keep it out of the address bar and history.
      history.replaceState(null, "", "/setup");
      notify("success", t("setup.done"));
      await onSignedIn();
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
      setBusy(false);
    }
  };

  const switcher = html`
    <${Segmented}
      label=${t("nav.language")}
      value=${language}
      onChange=${onLanguage}
      options=${languages.map((l) => ({ value: l.code, label: l.label }))}
    />
    <${ThemeSwitch} />
  `;
  return html`
    <${AuthCard} title=${t("setup.title")} subtitle=${t("setup.subtitle")} footer=${switcher}>
      <form class="form" onSubmit=${onSubmit} novalidate>
          ${fromUrl
            ? html`<div class="notice notice-info">${t("setup.tokenFromLink")}</div>`
            : html`
              <${Field} id="setup-token" label=${t("setup.token")} hint=${t(
                "setup.tokenHint",
              )} error=${shown("token")}>
                <input id="setup-token" class="input" value=${token} autocomplete="off" spellcheck="false"
                  onInput=${(/** @type {any} */ e) => setToken(e.currentTarget.value)} />
                <//>
            `}
          <${Field} id="setup-username" label=${t("setup.username")} error=${shown("username")}>
            <input id="setup-username" class="input" value=${username} autocomplete="username"
              onInput=${(/** @type {any} */ e) => setUsername(e.currentTarget.value)} />
          <//>
          <${Field} id="setup-password" label=${t("setup.password")} hint=${t(
            "setup.passwordHint",
            {
              n: MIN_PASSWORD,
            },
          )} error=${shown("password")}>
            <input id="setup-password" class="input" type="password" value=${password}
              autocomplete="new-password" onInput=${(/** @type {any} */ e) =>
                setPassword(e.currentTarget.value)} />
          <//>
          <${Field} id="setup-confirm" label=${t("setup.confirm")} error=${shown("confirm")}>
            <input id="setup-confirm" class="input" type="password" value=${confirm}
              autocomplete="new-password" onInput=${(/** @type {any} */ e) =>
                setConfirm(e.currentTarget.value)} />
          <//>
          ${error ? html`<div class="notice notice-error" role="alert">${error}</div>` : null}
          <button type="submit" class="button button-primary button-block" disabled=${busy}>
            ${busy ? t("setup.creating") : t("setup.submit")}
          </button>
        </form>
      <//>
  `;
}
