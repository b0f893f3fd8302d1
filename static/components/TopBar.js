import { html, useEffect, useState } from "../lib.js";
import { Icon } from "./Icon.js";
import { ThemeSwitch } from "./ThemeSwitch.js";

/**
 * @typedef {{ path: string, label: string, icon: Parameters<typeof Icon>[0]["name"] }} NavItem
 * @typedef {object} TopBarProps
 * @property {NavItem[]} items
 * @property {string} current the current path
 * @property {string} username
 * @property {{ code: string, label: string, short: string }[]} languages
 * @property {string} language
 * @property {(code: string) => void} onLanguage
 * @property {() => void} onLogout
 * @property {{ menu: string, logout: string, language: string, navigation: string }} labels
 */

/** Brand, navigation, language and theme switches and logout; a drawer on narrow screens. @param {TopBarProps} props */
export function TopBar(
  { items, current, username, languages, language, onLanguage, onLogout, labels },
) {
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [current]);
  const next = languages.find((l) => l.code !== language) ?? languages[0];
  return html`
    <header class=${open ? "topbar topbar-open" : "topbar"}>
      <div class="topbar-row">
        <a class="brand" href="/overview">
          <img src="/static/favicon.svg" width="28" height="28" alt="" />
          <span>jimeng-api</span>
        </a>
        <nav class="nav" aria-label=${labels.navigation}>
            ${items.map((item) =>
              html`
                <a
                  key=${item.path}
                  href=${item.path}
                  class=${item.path === current ? "nav-link nav-link-active" : "nav-link"}
                  aria-current=${item.path === current ? "page" : undefined}
                ><${Icon} name=${item.icon} size=${17} /><span>${item.label}</span></a>
              `
            )}
          </nav>
        <div class="topbar-tools">
          <button
            type="button"
            class="chip-button"
            title=${labels.language}
            aria-label=${`${labels.language}: ${next.label}`}
            onClick=${() => onLanguage(next.code)}
          ><${Icon} name="globe" size=${16} /><span>${next.label}</span></button>
          <${ThemeSwitch} />
          <span class="user-chip" title=${username}><${Icon} name="user" size=${16} /><span
              >${username}</span></span>
          <button
            type="button"
            class="icon-button"
            title=${labels.logout}
            aria-label=${labels.logout}
            onClick=${onLogout}
          ><${Icon} name="logout" /></button>
          <button
            type="button"
            class="icon-button menu-button"
            aria-label=${labels.menu}
            aria-expanded=${open ? "true" : "false"}
            onClick=${() => setOpen(!open)}
          ><${Icon} name=${open ? "close" : "menu"} /></button>
        </div>
      </div>
    </header>
  `;
}
