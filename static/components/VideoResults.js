import { html } from "../lib.js";
import { t } from "../i18n.js";
import { EmptyState } from "./EmptyState.js";
import { JobReferences } from "./JobReferences.js";
import { ProgressBar } from "./ProgressBar.js";
import { Spinner } from "./Spinner.js";

/**
 * @typedef {import("../api.js").Job} Job
 * @typedef {object} VideoResultsProps
 * @property {Job | null} job the running job, if any
 * @property {Job[]} done finished videos, newest first
 */

/** The video mode's results: the running job's progress, then the finished videos. @param {VideoResultsProps} props */
export function VideoResults({ job, done }) {
  if (!job && done.length === 0) {
    return html`
      <section class="playground-results">
        <div class="card">
          <${EmptyState} icon="video" title=${t("omni.empty")} hint=${t("omni.emptyHint")} />
        </div>
      </section>
    `;
  }
  return html`
    <section class="playground-results">
      <div class="result-grid">
          ${job ? html`<${Pending} job=${job} />` : null}
          ${done.map((video) =>
            html`
              <figure key=${video.id} class="result-card">
                <video class="result-video" src=${video.urls
                  ?.[0]} controls muted preload="metadata"></video>
                <figcaption>
                  <span class="media-prompt">${video.prompt}</span>
                  <code class="mono muted small">${video.model} · ${video.seconds} s</code>
                  <${JobReferences} job=${video} />
                </figcaption>
              </figure>
            `
          )}
        </div>
    </section>
  `;
}

/** The running job: its state, queue place and progress. @param {{ job: Job }} props */
function Pending({ job }) {
  const queue = job.queue;
  return html`
    <div class="result-card result-video-pending">
      <div class="result-pending">
        <${Spinner} />
      </div>
      <div class="result-caption">
        <${ProgressBar} value=${job.progress} tone="blue" label=${t("jobs.progress")} />
        <span class="muted small">${t(`jobs.state.${job.status}`)} · ${job.progress}%${queue
          ? ` · ${t("jobs.queuePlace", { position: queue.position, length: queue.length ?? "?" })}`
          : ""}</span>
        <${JobReferences} job=${job} />
      </div>
    </div>
  `;
}
