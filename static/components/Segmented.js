import { html } from "../lib.js";

/**
 * @typedef {object} SegmentedProps
 * @property {{ value: string, label: string }[]} options
 * @property {string} value
 * @property {(value: string) => void} onChange
 * @property {string} label accessible name of the group
 */

/** A row of mutually exclusive buttons. @param {SegmentedProps} props */
export function Segmented({ options, value, onChange, label }) {
  return html`<div class="segmented" role="group" aria-label=${label}>
    ${
    options.map((option) =>
      html`
        <button
          type="button"
          key=${option.value}
          class=${option.value === value ? "segment segment-active" : "segment"}
          aria-pressed=${option.value === value ? "true" : "false"}
          onClick=${() => onChange(option.value)}
        >${option.label}</button>
      `
    )
  }
  </div>`;
}
