import { html, useState } from "../lib.js";
import { generateImages } from "../api.js";
import { t } from "../i18n.js";
import { EmptyState } from "./EmptyState.js";
import { Field } from "./Field.js";
import { GenerateButton } from "./GenerateButton.js";
import { ModelSelect } from "./ModelSelect.js";
import { Spinner } from "./Spinner.js";

/** Images one request may ask for: Jimeng makes up to four per task, the server splits more. */
const COUNTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/** The ratios `/v1/images/generations` accepts, widest first. */
const RATIOS = ["21:9", "16:9", "3:2", "4:3", "1:1", "3:4", "2:3", "9:16"];

/** A small frame showing the ratio's shape. @param {{ ratio: string }} props */
function RatioShape({ ratio }) {
  const [w, h] = ratio.split(":").map(Number);
  const scale = 16 / Math.max(w, h);
  return html`<span class="ratio-shape" style=${{
    width: `${Math.round(w * scale)}px`,
    height: `${Math.round(h * scale)}px`,
  }}></span>`;
}

/**
 * The playground's image mode: prompt, model, ratio, resolution and count; the
 * results as a grid.
 * @param {{ notify: import("../app.js").Notify,
 *   models: import("../models.js").MenuModel[] | null }} props
 */
export function ImagePlayground({ notify, models }) {
  const [chosen, setChosen] = useState("");
  const [prompt, setPrompt] = useState("");
  const [ratio, setRatio] = useState("1:1");
  const [chosenResolution, setResolution] = useState("");
  const [count, setCount] = useState(1);
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState(0);
  const [error, setError] = useState(/** @type {string | null} */ (null));
  const [results, setResults] = useState(
    /** @type {{ url: string, prompt: string, model: string }[]} */ ([]),
  );

  // What is chosen, while the list offers it; else the first model the accounts offer (derived,
  // not set by an effect: a choice made as the list arrives is never overwritten).
  const selected = models?.find((m) => m.id === chosen) ?? models?.[0];
  const model = selected?.id ?? "";
  const resolutions = selected?.resolutions ?? [];
  const resolution = resolutions.includes(chosenResolution)
    ? chosenResolution
    : selected?.default_resolution ?? resolutions[0] ?? "";
  const chooseModel = (/** @type {string} */ id) => setChosen(id);

  const generate = async (/** @type {Event} */ event) => {
    event.preventDefault();
    if (!prompt.trim()) return setError(t("playground.promptMissing"));
    setBusy(true);
    setError(null);
    setStarted(Date.now());
    try {
      const answer = await generateImages({
        model,
        prompt: prompt.trim(),
        ratio,
        resolution: resolution || undefined,
        n: count,
      });
      const fresh = answer.data.filter((d) => d.url).map((d) => ({
        url: /** @type {string} */ (d.url),
        prompt: prompt.trim(),
        model,
      }));
      setResults((list) => [...fresh, ...list].slice(0, 24));
      notify(
        "success",
        fresh.length === 1 ? t("playground.doneOne") : t("playground.done", { n: fresh.length }),
      );
    } catch (failure) {
      setError(/** @type {Error} */ (failure).message);
    } finally {
      setBusy(false);
    }
  };

  return html`
    <div class="playground">
      <form class="card form playground-form" onSubmit=${generate} novalidate>
        <${Field} id="pg-prompt" label=${t("playground.prompt")}>
          <textarea id="pg-prompt" class="input textarea" rows="5" value=${prompt}
            placeholder=${t("playground.promptPlaceholder")} maxlength="2000"
            onInput=${(/** @type {any} */ e) => setPrompt(e.currentTarget.value)}></textarea>
          <//>
          <${ModelSelect} id="pg-model" models=${models} value=${model} onChange=${chooseModel} />
          <div class="field">
            <span class="field-label">${t("playground.ratio")}</span>
            <div class="ratio-grid" role="group" aria-label=${t("playground.ratio")}>
                ${RATIOS.map((r) =>
                  html`
                    <button type="button" key=${r} class=${r === ratio
                      ? "ratio ratio-active"
                      : "ratio"} aria-pressed=${r === ratio ? "true" : "false"}
                      onClick=${() =>
                        setRatio(r)}><${RatioShape} ratio=${r} /><span>${r}</span></button>
                  `
                )}
              </div>
          </div>
          <div class="form-row">
            <${Field} id="pg-resolution" label=${t("playground.resolution")}>
              <select id="pg-resolution" class="input select" value=${resolution}
                onChange=${(/** @type {any} */ e) => setResolution(e.currentTarget.value)}>
                  ${resolutions.map((r) =>
                    html`<option key=${r} value=${r}>${r.toUpperCase()}</option>`
                  )}
                </select>
              <//>
              <${Field} id="pg-count" label=${t("playground.count")}>
                <select id="pg-count" class="input select" value=${String(count)}
                  onChange=${(/** @type {any} */ e) => setCount(Number(e.currentTarget.value))}>
                  ${COUNTS.map((n) => html`<option key=${n} value=${String(n)}>${n}</option>`)}
                </select>
              <//>
            </div>
            ${error ? html`<div class="notice notice-error" role="alert">${error}</div>` : null}
            <${GenerateButton}
              busy=${busy}
              disabled=${!model}
              started=${started}
              icon="playground"
              label=${t("playground.generate")}
            />
          </form>
          <section class="playground-results">
            ${results.length === 0 && !busy
              ? html`
                <div class="card">
                  <${EmptyState} icon="image" title=${t(
                    "playground.empty",
                  )} hint=${t("playground.emptyHint")} />
                </div>
              `
              : html`<div class="result-grid">
            ${
                busy
                  ? Array.from({ length: count }, (_, i) =>
                    html`
                      <div key=${`pending-${i}`} class="result-card result-pending">
                        <${Spinner} />
                      </div>
                    `)
                  : null
              }
            ${
                results.map((r) =>
                  html`
                    <figure key=${r.url} class="result-card">
                      <a href=${r.url} target="_blank" rel="noopener noreferrer">
                                      <img src=${r.url} alt=${r.prompt} loading="lazy" /></a>
                      <figcaption><span class="media-prompt">${r.prompt}</span>
                                      <code class="mono muted small">${r.model}</code></figcaption>
                    </figure>
                  `
                )
              }
          </div>`}
          </section>
        </div>
  `;
}
