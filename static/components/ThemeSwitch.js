import { html, useState } from "../lib.js";
import { t } from "../i18n.js";
import { getTheme, setTheme, THEMES } from "../theme.js";
import { Icon } from "./Icon.js";

const ICONS = { system: "monitor", light: "sun", dark: "moon" };

/**
 * The colour theme: one button showing the current choice (system, light or
 * dark); each press moves to the next and remembers it.
 */
export function ThemeSwitch() {
  const [theme, setChoice] = useState(getTheme());
  const next = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
  const label = t("theme.label", { theme: t(`theme.${theme}`) });
  const choose = () => {
    setTheme(next);
    setChoice(next);
  };
  return html`
    <button type="button" class="icon-button" title=${label} aria-label=${label}
      data-theme-choice=${theme} onClick=${choose}><${Icon} name=${ICONS[theme]} /></button>
  `;
}
