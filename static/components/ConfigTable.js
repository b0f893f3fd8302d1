import { html } from "../lib.js";
import { settingDescription, t } from "../i18n.js";
import { Badge } from "./Badge.js";
import { Breakable } from "./Breakable.js";
import { Icon } from "./Icon.js";

/** @typedef {import("../api.js").Setting} Setting */

/**
 * A setting's description in the current language, its `backticked` names
 * set as code (breakable where they are URLs).
 * @param {{ setting: Setting }} props
 */
export function SettingText({ setting }) {
  const text = settingDescription(setting.env, setting.description);
  return text.split(/`([^`]+)`/).map((part, i) =>
    i % 2 ? html`<code><${Breakable} text=${part} /></code>` : part
  );
}

/** A default as the current language says it: "(unset)", "(empty)" and "(none)" are words. @param {string} text */
function defaultText(text) {
  const word = /^\((unset|empty|none)\)$/.exec(text)?.[1];
  return word ? t(`settings.placeholder.${word}`) : text;
}

/** Where the value comes from; nothing for the default. @param {Setting} s */
function SourceBadge({ setting }) {
  if (setting.source === "environment") {
    return html`<${Badge} tone="grey">${t("settings.source.environment")}<//>`;
  }
  if (setting.source === "console") {
    return html`<${Badge} tone="blue">${t("settings.source.console")}<//>`;
  }
  return null;
}

/** The value column: the effective value (secrets only "set"), its source and the default. @param {{ setting: Setting }} props */
function Value({ setting: s }) {
  const shown = s.secret && s.value !== null
    ? t("settings.secretSet")
    : s.value ?? defaultText(s.default);
  return html`
    <code class=${s.value === null ? "mono muted" : "mono value-set"}><${Breakable}
      text=${shown || "—"} /></code>
    <div class="setting-source"><${SourceBadge} setting=${s} />${s.value !== null && s.default
      ? html`<span class="muted small">${t("settings.defaultLabel")} <${Breakable}
        text=${defaultText(s.default)} /></span>`
      : null}</div>
  `;
}

/**
 * Every setting with its value, source and description; the runtime ones
 * have an edit button, unless the environment sets them (it wins).
 * @param {{ settings: Setting[], onEdit: (setting: Setting) => void }} props
 */
export function ConfigTable({ settings, onEdit }) {
  return html`
    <div class="table-wrap">
      <table class="table table-stack config-table">
        <thead>
          <tr>
            <th>${t("settings.variable")}</th>
            <th>${t("settings.value")}</th>
            <th>${t("settings.description")}</th>
            <th class="actions-col"><span class="offscreen">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>${settings.map((s) =>
          html`
            <tr key=${s.env} data-env=${s.env}>
              <td data-label=${t("settings.variable")}><code class="mono">${s.env}</code></td>
              <td data-label=${t("settings.value")} class="value-cell">
                <${Value} setting=${s} />
              </td>
              <td data-label=${t("settings.description")} class="small description-cell">
                <${SettingText}
                  setting=${s} />
              </td>
              <td class="actions-col">${s.runtime
                ? html`
                  <button type="button" class="button button-small" disabled=${s.source ===
                    "environment"}
                    title=${s.source === "environment" ? t("settings.fromEnv") : undefined}
                    aria-label=${t("settings.editNamed", { env: s.env })} onClick=${() =>
                      onEdit(s)}><${Icon}
                          name="edit" size=${15} />${t("common.edit")}</button>
                `
                : null}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}
