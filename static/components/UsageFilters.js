import { html } from "../lib.js";
import { t } from "../i18n.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {{ key: string, model: string, outcome: string, from: string, to: string }} UsageChoice
 * @typedef {object} UsageFiltersProps
 * @property {UsageChoice} value the filters as chosen (dates as `YYYY-MM-DD`)
 * @property {(value: UsageChoice) => void} onChange
 * @property {{ models: string[], outcomes: string[], keys: { id: number, name: string }[] }} facets
 * @property {{ csv: string, json: string }} exports the export links of the filtered log
 */

/** The label of an outcome filter: ok, error, client closed, or an error code as it is. @param {string} outcome */
function outcomeLabel(outcome) {
  if (outcome === "ok" || outcome === "error" || outcome === "client_closed") {
    return t(`usage.outcome.${outcome}`);
  }
  return outcome;
}

/** Filters of the usage log (key, model, outcome, dates) and its export links. @param {UsageFiltersProps} props */
export function UsageFilters({ value, onChange, facets, exports }) {
  const set = (/** @type {keyof UsageChoice} */ name) => (/** @type {any} */ e) =>
    onChange({ ...value, [name]: e.currentTarget.value });
  const filtered = Object.values(value).some(Boolean);
  return html`
    <div class="toolbar card usage-filters">
      <select class="input select" aria-label=${t("usage.key")} value=${value.key}
        onChange=${set("key")}>
        <option value="">${t("usage.allKeys")}</option>
        <option value="none">${t("usage.sessionCallers")}</option>
        ${facets.keys.map((k) =>
          html`<option key=${k.id} value=${String(k.id)}>${k.name}</option>`
        )}
      </select>
      <select class="input select" aria-label=${t("usage.model")} value=${value.model}
        onChange=${set("model")}>
        <option value="">${t("usage.allModels")}</option>
        ${facets.models.map((m) => html`<option key=${m} value=${m}>${m}</option>`)}
      </select>
      <select class="input select" aria-label=${t("usage.outcome")} value=${value.outcome}
        onChange=${set("outcome")}>
        <option value="">${t("usage.allOutcomes")}</option>
        ${facets.outcomes.map((o) => html`<option key=${o} value=${o}>${outcomeLabel(o)}</option>`)}
      </select>
      <div class="date-range" role="group" aria-label=${t("usage.dates")}>
        <span aria-hidden="true">${t("media.from")}</span>
        <input class="input" type="date" value=${value.from} max=${value.to || undefined}
          aria-label=${t("media.fromDate")} onChange=${set("from")} />
        <span aria-hidden="true">${t("media.to")}</span>
        <input class="input" type="date" value=${value.to} min=${value.from || undefined}
          aria-label=${t("media.toDate")} onChange=${set("to")} />
      </div>
      ${filtered
        ? html`<button type="button" class="button button-ghost" onClick=${() =>
          onChange({ key: "", model: "", outcome: "", from: "", to: "" })}>${
          t("media.reset")
        }</button>`
        : null}
      <div class="toolbar-actions">
        <a class="button" href=${exports.csv} download><${Icon} name="download"
          size=${16} />${t("usage.exportCsv")}</a>
        <a class="button" href=${exports.json} download><${Icon} name="download"
          size=${16} />${t("usage.exportJson")}</a>
      </div>
    </div>
  `;
}
