import { html, useEffect, useRef, useState } from "../lib.js";
import { createVideo, getVideo } from "../api.js";
import { t } from "../i18n.js";
import { Field } from "./Field.js";
import { GenerateButton } from "./GenerateButton.js";
import { ModelSelect } from "./ModelSelect.js";
import { ReferencePicker } from "./ReferencePicker.js";
import { VideoResults } from "./VideoResults.js";

/**
 * @typedef {import("../models.js").MenuModel} MenuModel
 * @typedef {import("../api.js").Job} Job
 * @typedef {import("./ReferencePicker.js").PickedReference} PickedReference
 */

const RATIOS = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"];
const POLL_MS = 1500;
/** An omni-reference video lasts 4–15 whole seconds, whatever the model's usual rule. */
const OMNI_SECONDS = Array.from({ length: 12 }, (_, i) => i + 4);
/** A model without omni references takes up to two images: the first and the last frame. */
const MAX_FRAMES = 2;

/** The durations a model offers; with references, the omni rule. */
function durationsOf(/** @type {MenuModel | undefined} */ model, /** @type {boolean} */ omni) {
  const rule = model?.durations;
  if (omni) return OMNI_SECONDS;
  if (!rule) return [5];
  if (rule.kind === "set") return rule.seconds;
  return Array.from({ length: rule.max - rule.min + 1 }, (_, i) => rule.min + i);
}

/**
 * The playground's video mode: a prompt, references dropped onto it — with
 * the placeholders to type for an omni-reference model, or as first and last
 * frame for the others — and the resulting job followed to its video.
 * @param {{ notify: import("../app.js").Notify, models: MenuModel[] | null }} props
 */
export function VideoPlayground({ notify, models: listed }) {
  // Omni-reference models first: they take every kind of reference.
  const models = listed &&
    [...listed].sort((a, b) =>
      Number(b.omni_references ?? false) - Number(a.omni_references ?? false)
    );
  const [chosen, setModel] = useState("");
  const [prompt, setPrompt] = useState("");
  const [ratio, setRatio] = useState("16:9");
  const [chosenSeconds, setSeconds] = useState(0);
  const [references, setReferences] = useState(/** @type {PickedReference[]} */ ([]));
  const [job, setJob] = useState(/** @type {Job | null} */ (null));
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [started, setStarted] = useState(0);
  const [done, setDone] = useState(/** @type {Job[]} */ ([]));
  const prompter = useRef(/** @type {HTMLTextAreaElement | null} */ (null));

  const busy = job !== null && (job.status === "queued" || job.status === "in_progress");
  useEffect(() => {
    if (!busy || !job) return;
    const timer = setInterval(async () => {
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

  // The choices while they are offered, else the defaults: derived, so a choice made as the
  // list arrives is never overwritten.
  const selected = models?.find((m) => m.id === chosen) ?? models?.[0];
  const model = selected?.id ?? "";
  const omniModel = selected?.omni_references === true;
  const omni = references.length > 0 && omniModel;
  const allowed = durationsOf(selected, omni);
  const fallback = selected?.durations?.default ?? 5;
  const seconds = allowed.includes(chosenSeconds)
    ? chosenSeconds
    : allowed.includes(fallback)
    ? fallback
    : allowed[0];
  // What a frames model cannot take is said before anything is sent.
  const framesProblem = !omniModel &&
    (references.some((r) => r.kind !== "image") || references.length > MAX_FRAMES);

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
    if (framesProblem) return setError(t("omni.framesOnly"));
    setError(null);
    const form = new FormData();
    form.set("model", model);
    form.set("prompt", prompt.trim());
    form.set("seconds", String(seconds));
    form.set("ratio", ratio);
    // Omni models take `references`; the others their first and last frame as input_reference.
    const field = omniModel ? "references" : "input_reference";
    for (const item of references) form.append(field, item.file, item.file.name);
    try {
      setStarted(Date.now());
      setJob(await createVideo(form));
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
    }
  };

  return html`
    <div class="playground">
      <form class="card form playground-form" onSubmit=${generate} novalidate>
        <${Field} id="pg-video-prompt" label=${t("playground.prompt")}
          hint=${omniModel ? t("omni.promptHint") : undefined}>
          <textarea id="pg-video-prompt" ref=${prompter} class="input textarea" rows="5"
            value=${prompt} maxlength="2000"
            placeholder=${omniModel
              ? t("omni.promptPlaceholder")
              : t("playground.promptPlaceholder")}
            onInput=${(/** @type {any} */ e) => setPrompt(e.currentTarget.value)}></textarea>
          <//>
          <${ReferencePicker} items=${references} onChange=${setReferences} onInsert=${insert}
            disabled=${busy} frames=${selected !== undefined && !omniModel} />
          <${ModelSelect} id="pg-video-model" models=${models} value=${model} onChange=${setModel}
            hint=${framesProblem ? t("omni.framesOnly") : undefined} />
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
        <${GenerateButton}
          busy=${busy}
          disabled=${!model}
          started=${started}
          icon="video"
          label=${t("omni.generate")}
        />
      </form>
      <${VideoResults} job=${busy ? job : null} done=${done} />
    </div>
  `;
}
