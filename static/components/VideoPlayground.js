import { html, useEffect, useRef, useState } from "../lib.js";
import { createVideo, getVideo, listModels } from "../api.js";
import { t } from "../i18n.js";
import { formatDuration } from "../format.js";
import { EmptyState } from "./EmptyState.js";
import { Field } from "./Field.js";
import { Icon } from "./Icon.js";
import { JobReferences } from "./JobReferences.js";
import { ProgressBar } from "./ProgressBar.js";
import { ReferencePicker } from "./ReferencePicker.js";
import { Spinner } from "./Spinner.js";

/**
 * @typedef {import("../api.js").Model} Model
 * @typedef {import("../api.js").Job} Job
 * @typedef {import("./ReferencePicker.js").PickedReference} PickedReference
 */

const RATIOS = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"];
const POLL_MS = 1500;
/** An omni-reference video lasts 4–15 whole seconds, whatever the model's usual rule. */
const OMNI_SECONDS = Array.from({ length: 12 }, (_, i) => i + 4);

/** The durations a model offers; with references, the omni rule. */
function durationsOf(/** @type {Model | undefined} */ model, /** @type {boolean} */ omni) {
  const rule = model?.durations;
  if (omni) return OMNI_SECONDS;
  if (!rule) return [5];
  if (rule.kind === "set") return rule.seconds;
  return Array.from({ length: rule.max - rule.min + 1 }, (_, i) => rule.min + i);
}

/**
 * The playground's video mode: a prompt, references dropped onto it with
 * the placeholders to type, and the resulting job followed to its video.
 * @param {{ notify: import("../app.js").Notify }} props
 */
export function VideoPlayground({ notify }) {
  const [models, setModels] = useState(/** @type {Model[] | null} */ (null));
  const [model, setModel] = useState("");
  const [prompt, setPrompt] = useState("");
  const [ratio, setRatio] = useState("16:9");
  const [seconds, setSeconds] = useState(5);
  const [references, setReferences] = useState(/** @type {PickedReference[]} */ ([]));
  const [job, setJob] = useState(/** @type {Job | null} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [started, setStarted] = useState(0);
  const [now, setNow] = useState(0);
  const [done, setDone] = useState(/** @type {Job[]} */ ([]));
  const prompter = useRef(/** @type {HTMLTextAreaElement | null} */ (null));

  useEffect(() => {
    listModels().then((list) => {
      // Aliases repeat a model's name; the id comes first.
      const names = new Set();
      const videos = list.data.filter((m) => {
        if (m.kind !== "video" || names.has(m.name)) return false;
        names.add(m.name);
        return true;
      }).sort((a, b) => Number(b.omni_references ?? false) - Number(a.omni_references ?? false));
      setModels(videos);
      if (videos[0]) {
        setModel(videos[0].id);
        setSeconds(videos[0].durations?.default ?? 5);
      }
    }).catch((failure) => {
      notify("error", failure.message);
      setModels([]);
    });
  }, []);

  const busy = job !== null && (job.status === "queued" || job.status === "in_progress");
  useEffect(() => {
    if (!busy || !job) return;
    const timer = setInterval(async () => {
      setNow(Date.now());
      try {
        const next = await getVideo(job.id);
        if (next.status === "completed") {
          setDone((list) => [next, ...list].slice(0, 12));
          notify("success", t("omni.done"));
          setJob(null);
        } else if (next.status === "failed") {
          setError(next.error?.message ?? t("omni.failed"));
          setJob(null);
        } else setJob(next);
      } catch (failure) {
        setError(/** @type {Error} */ (failure).message);
        setJob(null);
      }
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [busy, job?.id]);

  const selected = models?.find((m) => m.id === model);
  const omni = references.length > 0 && selected?.omni_references === true;
  const allowed = durationsOf(selected, omni);
  useEffect(() => {
    if (!allowed.includes(seconds)) setSeconds(selected?.durations?.default ?? allowed[0]);
  }, [model, omni]);

  const insert = (/** @type {string} */ placeholder) => {
    const area = prompter.current;
    const at = area?.selectionStart ?? prompt.length;
    const before = prompt.slice(0, at);
    const spaced = before && !/\s$/.test(before) ? ` ${placeholder} ` : `${placeholder} `;
    setPrompt(before + spaced + prompt.slice(area?.selectionEnd ?? at));
    area?.focus();
  };

  const generate = async (/** @type {Event} */ event) => {
    event.preventDefault();
    if (!prompt.trim()) return setError(t("playground.promptMissing"));
    setError(null);
    const form = new FormData();
    form.set("model", model);
    form.set("prompt", prompt.trim());
    form.set("seconds", String(seconds));
    form.set("ratio", ratio);
    for (const item of references) form.append("references", item.file, item.file.name);
    try {
      setStarted(Date.now());
      setNow(Date.now());
      setJob(await createVideo(form));
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
    }
  };

  return html`
    <div class="playground">
      <form class="card form playground-form" onSubmit=${generate} novalidate>
        <${Field} id="pg-video-prompt" label=${t("playground.prompt")}
          hint=${selected?.omni_references ? t("omni.promptHint") : undefined}>
          <textarea id="pg-video-prompt" ref=${prompter} class="input textarea" rows="5"
            value=${prompt}
            placeholder=${t("omni.promptPlaceholder")} maxlength="2000"
            onInput=${(/** @type {any} */ e) => setPrompt(e.currentTarget.value)}></textarea>
          <//>
          <${ReferencePicker} items=${references} onChange=${setReferences} onInsert=${insert}
            disabled=${busy} />
          <${Field} id="pg-video-model" label=${t("playground.model")}
            hint=${references.length && selected && !selected.omni_references
              ? t("omni.framesOnly")
              : undefined}>
            <select id="pg-video-model" class="input select" value=${model} disabled=${!models
              ?.length}
              onChange=${(/** @type {any} */ e) => setModel(e.currentTarget.value)}>
              ${(models ?? []).map((m) =>
                html`<option key=${m.id} value=${m.id}>${
                  m.name ? `${m.name} (${m.id})` : m.id
                }</option>`
              )}
            </select>
            <//>
            <div class="form-row">
              <${Field} id="pg-video-ratio" label=${t("playground.ratio")}>
                <select id="pg-video-ratio" class="input select" value=${ratio}
                  onChange=${(/** @type {any} */ e) => setRatio(e.currentTarget.value)}>
                ${RATIOS.map((r) => html`<option key=${r} value=${r}>${r}</option>`)}
              </select>
                <//>
                <${Field} id="pg-video-seconds" label=${t("omni.seconds")}>
              <select id="pg-video-seconds" class="input select" value=${String(seconds)}
                onChange=${(/** @type {any} */ e) => setSeconds(Number(e.currentTarget.value))}>
                ${allowed.map((s) => html`<option key=${s} value=${String(s)}>${s} s</option>`)}
              </select>
            <//>
          </div>
          ${error ? html`<div class="notice notice-error" role="alert">${error}</div>` : null}
          <button type="submit" class="button button-primary button-block" disabled=${busy ||
            !model}>
            ${busy
              ? html`<${Spinner} />${
                t("playground.generating", { time: formatDuration(now - started) })
              }`
              : html`<${Icon} name="video" size=${16} />${t("omni.generate")}`}
          </button>
        </form>
        <section class="playground-results">
          ${!busy && done.length === 0
            ? html`
              <div class="card">
                <${EmptyState} icon="video" title=${t("omni.empty")}
                  hint=${t("omni.emptyHint")} />
              </div>
            `
            : html`<div class="result-grid">
          ${
              busy && job
                ? html`
                  <div class="result-card result-video-pending">
                    <div class="result-pending">
                      <${Spinner} />
                    </div>
                    <div class="result-caption">
                      <${ProgressBar} value=${job.progress} tone="blue" label=${t(
                        "jobs.progress",
                      )} />
                      <span class="muted small">${t(`jobs.state.${job.status}`)} · ${job
                        .progress}%</span>
                      <${JobReferences} job=${job} />
                    </div>
                  </div>
                `
                : null
            }
          ${
              done.map((video) =>
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
              )
            }
        </div>`}
        </section>
      </div>
  `;
}
