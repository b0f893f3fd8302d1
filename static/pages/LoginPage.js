import { html, useEffect, useState } from "../lib.js";
import { ApiRequestError, login } from "../api.js";
import { t } from "../i18n.js";
import { formatDuration } from "../format.js";
import { AuthCard } from "../components/AuthCard.js";
import { Field } from "../components/Field.js";
import { Segmented } from "../components/Segmented.js";
import { ThemeSwitch } from "../components/ThemeSwitch.js";

/**
 * @typedef {object} LoginPageProps
 * @property {string} language
 * @property {{ code: string, label: string }[]} languages
 * @property {(code: string) => void} onLanguage
 * @property {() => Promise<void>} onSignedIn
 */

/** Username and password; says how long to wait when the server throttles. @param {LoginPageProps} props */
export function LoginPage({ language, languages, onLanguage, onSignedIn }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    if (waitUntil <= now) return;
    const timer = setTimeout(() => setNow(Date.now()), 1000);
    return () => clearTimeout(timer);
  }, [waitUntil, now]);
  const waiting = Math.ceil((waitUntil - now) / 1000);

  /** @param {Event} event */
  const onSubmit = async (event) => {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError(t("login.missing"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await login({ username: username.trim(), password });
      await onSignedIn();
    } catch (failure) {
      const problem = /** @type {ApiRequestError} */ (failure);
      if (problem instanceof ApiRequestError && problem.status === 401) {
        setError(t("login.wrong"));
      } else if (problem instanceof ApiRequestError && problem.status === 429) {
        const seconds = problem.retryAfter ?? 60;
        setWaitUntil(Date.now() + seconds * 1000);
        setNow(Date.now());
        setError(t("login.throttled"));
      } else {
        setError(problem.message);
      }
      setPassword("");
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
    <${AuthCard} title=${t("login.title")} subtitle=${t("login.subtitle")} footer=${switcher}>
      <form class="form" onSubmit=${onSubmit} novalidate>
        <${Field} id="login-username" label=${t("login.username")}>
          <input id="login-username" class="input" value=${username} autocomplete="username" autofocus
            onInput=${(/** @type {any} */ e) => setUsername(e.currentTarget.value)} />
          <//>
          <${Field} id="login-password" label=${t("login.password")}>
            <input id="login-password" class="input" type="password" value=${password}
              autocomplete="current-password" onInput=${(/** @type {any} */ e) =>
                setPassword(e.currentTarget.value)} />
          <//>
          ${error
            ? html`<div class="notice notice-error" role="alert">${error}${
              waiting > 0 ? ` ${t("login.retryIn", { time: formatDuration(waiting * 1000) })}` : ""
            }</div>`
            : null}
          <button type="submit" class="button button-primary button-block" disabled=${busy ||
            waiting > 0}>
            ${busy ? t("login.signingIn") : t("login.submit")}
          </button>
        </form>
      <//>
  `;
}
