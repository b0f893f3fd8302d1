import { html } from "../lib.js";
import { t } from "../i18n.js";
import { modelLabel } from "../models.js";
import { Field } from "./Field.js";

/**
 * @typedef {object} ModelSelectProps
 * @property {string} id
 * @property {import("../models.js").MenuModel[] | null} models null while loading
 * @property {string} value
 * @property {(id: string) => void} onChange
 * @property {string} [hint] shown instead of the aliases note
 */

/** The model menu of a playground: each model once, the chosen one's aliases as a note. @param {ModelSelectProps} props */
export function ModelSelect({ id, models, value, onChange, hint }) {
  const selected = models?.find((m) => m.id === value);
  const note = hint ??
    (selected?.aliases.length
      ? t("playground.aliases", { names: selected.aliases.join(", ") })
      : undefined);
  return html`
    <${Field} id=${id} label=${t("playground.model")} hint=${note}>
      <select id=${id} class="input select" value=${value} disabled=${!models?.length}
        onChange=${(/** @type {any} */ e) => onChange(e.currentTarget.value)}>
        ${(models ?? []).map((m) =>
          html`<option key=${m.id} value=${m.id}>${modelLabel(m)}</option>`
        )}
      </select>
      <//>
  `;
}
