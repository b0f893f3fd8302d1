import { html, useCallback, useEffect, useRef, useState } from "../lib.js";
import { listJobs } from "../api.js";
import { t } from "../i18n.js";
import { formatDuration, formatRelative } from "../format.js";
import { Badge } from "../components/Badge.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { JobReferences } from "../components/JobReferences.js";
import { PageHeader } from "../components/PageHeader.js";
import { ProgressBar } from "../components/ProgressBar.js";
import { Segmented } from "../components/Segmented.js";
import { Spinner } from "../components/Spinner.js";
import { VariantLabel } from "../components/VariantLabel.js";

/** @typedef {import("../api.js").Job} Job */

const TONES = { queued: "grey", in_progress: "blue", completed: "green", failed: "red" };
const ACTIVE_MS = 3000;
const IDLE_MS = 15000;

const isRunning = (/** @type {Job} */ job) =>
  job.status === "queued" || job.status === "in_progress";

/**
 * A job's progress: the bar (full once completed) and its upstream queue
 * place while it waits; for a failed job, the failure instead of a bar.
 * @param {{ job: Job }} props
 */
function JobProgress({ job }) {
  if (job.status === "failed") {
    return html`<span class="progress-failed" title=${
      job.error?.message ?? ""
    }><${Icon} name="alert"
      size=${14} />${job.error?.code ?? t("jobs.state.failed")}</span>`;
  }
  const percent = job.status === "completed" ? 100 : Math.round(job.progress ?? 0);
  return html`<div class="job-progress">
    <div class="progress-cell">
      <${ProgressBar} value=${percent} tone=${job.status === "completed" ? "green" : "blue"}
        label=${t("jobs.progress")} />
      <span class="muted small">${percent}%</span>
    </div>
    ${
    job.queue
      ? html`<span class="muted small queue-place">${
        t("jobs.queueAt", {
          position: job.queue.position,
          length: job.queue.length ?? "?",
        })
      }${
        job.queue.eta_seconds === null
          ? ""
          : ` · ${t("jobs.queueEta", { time: formatDuration(job.queue.eta_seconds * 1000) })}`
      }</span>`
      : null
  }
  </div>`;
}

/** @param {{ notify: import("../app.js").Notify }} props */
export function JobsPage({ notify }) {
  const [status, setStatus] = useState("");
  const [jobs, setJobs] = useState(/** @type {Job[] | null} */ (null));
  const [auto, setAuto] = useState(true);
  const failing = useRef(false);

  const load = useCallback(async () => {
    try {
      setJobs((await listJobs({ status, limit: 100 })).items);
      failing.current = false;
    } catch (error) {
      // One toast per outage, not one per refresh.
      if (!failing.current) notify("error", /** @type {Error} */ (error).message);
      failing.current = true;
      setJobs((list) => list ?? []);
    }
  }, [status]);

  useEffect(() => {
    setJobs(null);
    load();
  }, [load]);

  const running = (jobs ?? []).some(isRunning);
  useEffect(() => {
    if (!auto) return;
    const timer = setInterval(load, running ? ACTIVE_MS : IDLE_MS);
    return () => clearInterval(timer);
  }, [auto, running, load]);

  return html`<${PageHeader} title=${t("jobs.title")} subtitle=${t("jobs.subtitle")}>
    <label class="switch">
      <input type="checkbox" checked=${auto} onChange=${(/** @type {any} */ e) =>
    setAuto(e.currentTarget.checked)} />
      <span class="switch-track"><span class="switch-thumb"></span></span>
      <span>${t("jobs.autoRefresh")}</span>
    </label>
    <button type="button" class="button" onClick=${load}><${Icon} name="refresh" size=${16} />${
    t(
      "common.refresh",
    )
  }</button>
  <//>
    <div class="toolbar card">
      <${Segmented} label=${t("jobs.status")} value=${status} onChange=${setStatus} options=${[
    { value: "", label: t("jobs.all") },
    { value: "in_progress", label: t("jobs.running") },
    { value: "queued", label: t("jobs.queued") },
    { value: "completed", label: t("jobs.completed") },
    { value: "failed", label: t("jobs.failed") },
  ]} />
    </div>
    ${
    jobs === null
      ? html`<${Spinner} block label=${t("common.loading")} />`
      : jobs.length === 0
      ? html`
        <div class="card">
          <${EmptyState} icon="jobs" title=${t("jobs.empty")} hint=${t(
            "jobs.emptyHint",
          )} />
        </div>
      `
      : html`
        <div class="card card-flush">
          <div class="table-wrap">
            <table class="table table-stack">
              <thead>
                <tr>
                  <th>${t("jobs.job")}</th>
                  <th>${t("jobs.model")}</th>
                  <th>${t("jobs.prompt")}</th>
                  <th>${t("jobs.status")}</th>
                  <th class="progress-col">${t("jobs.progress")}</th>
                  <th>${t("jobs.created")}</th>
                  <th class="num">${t("jobs.duration")}</th>
                </tr>
              </thead>
              <tbody>${jobs.map((job) => {
                const end = job.finished_at ? job.finished_at * 1000 : Date.now();
                return html`
                  <tr key=${job.id}>
                    <td data-label=${t("jobs.job")}><code class="mono" title=${job.id}>${job.id
                      .slice(0, 14)}…</code>
                                ${job.seconds || job.size
                                  ? html`<div class="muted small">${
                                    [job.seconds && `${job.seconds}s`, job.size]
                                      .filter(Boolean).join(" · ")
                                  }</div>`
                                  : null}</td>
                    <td data-label=${t("jobs.model")}><code class="mono">${job.model}</code></td>
                    <td data-label=${t("jobs.prompt")} class="prompt-cell" title=${job.prompt}>${job
                      .prompt}
                                <${JobReferences} job=${job} />
                                ${job.error
                                  ? html`<div class="text-danger small">${job.error.message}</div>`
                                  : null}
                                ${job.urls?.length
                                  ? html`<div class="small">${
                                    job.urls.map((url, i) =>
                                      html`
                                        <a key=${url} href=${url} target="_blank" rel="noopener noreferrer"
                                          class="link">${t("jobs.result", { n: i + 1 })}</a>
                                      `
                                    )
                                  } <${VariantLabel} variant=${job.variant} /></div>`
                                  : null}</td>
                    <td data-label=${t("jobs.status")}>
                      <${Badge} tone=${TONES[job.status] ?? "grey"}>${t(
                        `jobs.state.${job.status}`,
                      )}<//></td>
                              <td data-label=${t(
                                "jobs.progress",
                              )} class="progress-col"><${JobProgress}
                                job=${job} /></td>
                              <td data-label=${t("jobs.created")}>${formatRelative(
                                job.created_at * 1000,
                              )}</td>
                              <td data-label=${t("jobs.duration")} class="num">${formatDuration(
                                end - job.created_at * 1000,
                              )}</td>
                            </tr>
                `;
              })}</tbody>
            </table>
          </div>
        </div>
      `
  }`;
}
