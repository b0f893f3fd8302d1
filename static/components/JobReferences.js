import { html } from "../lib.js";
import { t } from "../i18n.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {import("../api.js").Job} Job
 * @typedef {import("../api.js").JobReference} JobReference
 */

const ICONS = { image: "image", video: "video", audio: "audio" };

/** "5.2 s · 640×360 · MP4". @param {JobReference} ref */
function describe(ref) {
  return [
    ref.seconds !== undefined ? `${ref.seconds.toFixed(1)} s` : null,
    ref.width && ref.height ? `${ref.width}×${ref.height}` : null,
    ref.format.toUpperCase(),
  ].filter(Boolean).join(" · ");
}

/**
 * The references of an omni-reference job as numbered chips, each with the
 * placeholders that name it. Renders nothing for other jobs.
 * @param {{ job: Job }} props
 */
export function JobReferences({ job }) {
  const refs = job.references;
  if (!refs?.length) return null;
  return html`<ul class="ref-chips ref-chips-compact" aria-label=${t("omni.references")}>
    ${
    refs.map((ref) =>
      html`
        <li key=${ref.placeholder} class=${`ref-chip ref-${ref.kind}`}
          title=${t(`omni.kind.${ref.kind}`)}>
                <span class="ref-icon"><${Icon} name=${ICONS[ref.kind]} size=${14} /></span>
                <code>${ref.placeholder}</code><code class="muted">${ref.kind_placeholder}</code>
                <span class="muted small">${describe(ref)}</span>
              </li>
      `
    )
  }
  </ul>`;
}
