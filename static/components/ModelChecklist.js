import { html } from "../lib.js";
import { t } from "../i18n.js";
import { modelLabel } from "../models.js";

/**
 * @typedef {object} ModelChecklistProps
 * @property {import("../models.js").MenuModel[] | null} models null while loading
 * @property {string[] | null} value the allowed model ids; `null` = every model
 * @property {(value: string[] | null) => void} onChange
 * @property {string | null} [error]
 */

/**
 * A key's model allow-list: "any model", or the models ticked (each once,
 * images then videos).
 * @param {ModelChecklistProps} props
 */
export function ModelChecklist({ models, value, onChange, error }) {
  const any = value === null;
  const chosen = new Set(value ?? []);
  // A model allowed before but missing from today's list stays visible, and can be unticked.
  const listed = [...(models ?? [])];
  for (const id of chosen) {
    if (!listed.some((m) => m.id === id)) listed.push({ id, kind: "image", aliases: [] });
  }
  const toggle = (/** @type {string} */ id, /** @type {boolean} */ on) =>
    onChange(on ? [...chosen, id] : [...chosen].filter((x) => x !== id));
  return html`
    <fieldset class=${error ? "field model-checklist field-invalid" : "field model-checklist"}>
      <legend class="field-label">${t("keys.models")}</legend>
      <label class="check">
        <input type="checkbox" checked=${any}
          onChange=${(/** @type {any} */ e) => onChange(e.currentTarget.checked ? null : [])} />
        <span>${t("keys.anyModel")}</span>
      </label>
      ${any ? null : html`<div class="check-grid" role="group" aria-label=${t("keys.models")}>
        ${
        listed.map((m) =>
          html`
            <label key=${m.id} class="check" title=${m.id}>
              <input type="checkbox" value=${m.id} checked=${chosen.has(m.id)}
                onChange=${(/** @type {any} */ e) => toggle(m.id, e.currentTarget.checked)} />
              <span>${modelLabel(m)}</span>
            </label>
          `
        )
      }
      </div>`}
      ${error
        ? html`<p class="field-error" role="alert">${error}</p>`
        : html`<p class="field-hint">${t("keys.modelsHint")}</p>`}
    </fieldset>
  `;
}
