import { html, useCallback, useEffect, useState } from "../lib.js";
import { deleteMedia, listMedia } from "../api.js";
import { t } from "../i18n.js";
import { dayBound, formatRelative } from "../format.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { EmptyState } from "../components/EmptyState.js";
import { Icon } from "../components/Icon.js";
import { PageHeader } from "../components/PageHeader.js";
import { Pagination } from "../components/Pagination.js";
import { Segmented } from "../components/Segmented.js";
import { Spinner } from "../components/Spinner.js";
import { VariantLabel } from "../components/VariantLabel.js";
import { PreviewDialog, whoOf } from "./MediaPreview.js";

/** @typedef {import("../api.js").Media} Media */

const LIMIT = 24;

/** @param {{ notify: import("../app.js").Notify }} props */
export function MediaPage({ notify }) {
  const [kind, setKind] = useState("");
  const [model, setModel] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [page, setPage] = useState(1);
  const [result, setResult] = useState(
    /** @type {{ items: Media[], total: number } | null} */ (null),
  );
  const [models, setModels] = useState(/** @type {string[]} */ ([]));
  const [open, setOpen] = useState(/** @type {Media | null} */ (null));
  const [deleting, setDeleting] = useState(/** @type {Media | null} */ (null));

  const load = useCallback(async () => {
    setResult(null);
    try {
      const answer = await listMedia({
        page,
        limit: LIMIT,
        kind,
        model,
        from: dayBound(from, false),
        to: dayBound(to, true),
      });
      setResult({ items: answer.items, total: answer.total });
      // The models that have media, whatever the filters: the menu offers only those.
      setModels(answer.models);
    } catch (error) {
      notify("error", /** @type {Error} */ (error).message);
      setResult({ items: [], total: 0 });
    }
  }, [page, kind, model, from, to]);
  useEffect(() => {
    load();
  }, [load]);

  /** Changing a filter goes back to the first page. */
  const filter = (/** @type {(value: string) => void} */ set) => (/** @type {string} */ value) => {
    set(value);
    setPage(1);
  };
  const pages = Math.max(1, Math.ceil((result?.total ?? 0) / LIMIT));
  const filtered = kind || model || from || to;

  return html`<${PageHeader} title=${t("media.title")} subtitle=${
    result
      ? result.total === 1 ? t("media.countOne") : t("media.count", { n: result.total })
      : t("media.subtitle")
  } />
    <div class="toolbar card">
      <${Segmented} label=${t("media.kind")} value=${kind} onChange=${filter(setKind)} options=${[
    { value: "", label: t("media.all") },
    { value: "image", label: t("media.images") },
    { value: "video", label: t("media.videos") },
  ]} />
      <select class="input select" aria-label=${t("media.model")} value=${model}
        onChange=${(/** @type {any} */ e) => filter(setModel)(e.currentTarget.value)}>
        <option value="">${t("media.allModels")}</option>
        ${models.map((id) => html`<option key=${id} value=${id}>${id}</option>`)}
      </select>
      <div class="date-range" role="group" aria-label=${t("media.dates")}>
        <span aria-hidden="true">${t("media.from")}</span>
        <input class="input" type="date" value=${from} max=${to || undefined}
          aria-label=${t("media.fromDate")}
          onChange=${(/** @type {any} */ e) => filter(setFrom)(e.currentTarget.value)} />
        <span aria-hidden="true">${t("media.to")}</span>
        <input class="input" type="date" value=${to} min=${from || undefined}
          aria-label=${t("media.toDate")}
          onChange=${(/** @type {any} */ e) => filter(setTo)(e.currentTarget.value)} />
      </div>
      ${
    filtered
      ? html`<button type="button" class="button button-ghost" onClick=${() => {
        setKind("");
        setModel("");
        setFrom("");
        setTo("");
        setPage(1);
      }}>${t("media.reset")}</button>`
      : null
  }
    </div>
    ${
    !result
      ? html`<${Spinner} block label=${t("common.loading")} />`
      : result.items.length === 0
      ? html`
        <div class="card">
          <${EmptyState} icon="media" title=${filtered
            ? t("media.noMatch")
            : t("media.empty")} hint=${t("media.emptyHint")} />
        </div>
      `
      : html`<div class="media-grid">
        ${
        result.items.map((item) =>
          html`
            <button type="button" key=${item.id} class="media-card" onClick=${() => setOpen(item)}
              aria-label=${item.prompt || item.id}>
              <div class="media-thumb">
                          ${item.kind === "video"
                            ? html`
                              <video src=${item.url} preload="metadata" muted playsinline></video>
                              <span class="media-play"><${Icon} name="play" size=${22} /></span>
                            `
                            : html`<img src=${item.url} alt="" loading="lazy" />`}
                          <span class="media-kind">${item.kind === "video" ? t("media.video") : t(
                            "media.image",
                          )}</span>
                          ${item.variant
                            ? html`<span class="media-variant"><${VariantLabel} variant=${item.variant} /></span>`
                            : null}
                        </div>
              <div class="media-info">
                <p class="media-prompt">${item.prompt || "—"}</p>
                <p class="media-sub"><span title=${item.model}>${item
                  .model}</span><span>${formatRelative(
                    item.createdAt,
                  )}</span></p>
                <p class="media-who" title=${whoOf(item)}>${whoOf(item)}</p>
              </div>
            </button>
          `
        )
      }
      </div>
      ${
        pages > 1
          ? html`<${Pagination} page=${page} pages=${pages} onPage=${setPage} labels=${{
            previous: t("common.previous"),
            next: t("common.next"),
            status: t("common.pageOf", { page, pages }),
          }} />`
          : null
      }`
  }
    ${
    open
      ? html`<${PreviewDialog} item=${open} onClose=${() => setOpen(null)} onDelete=${() =>
        setDeleting(open)} />`
      : null
  }
    ${
    deleting
      ? html`
        <${ConfirmDialog} title=${t("media.deleteTitle")} message=${t("media.deleteMessage")}
          confirmLabel=${t("media.delete")} cancelLabel=${t("common.cancel")} danger
          onClose=${() => setDeleting(null)}
          onConfirm=${async () => {
            try {
              await deleteMedia(deleting.id);
              setOpen(null);
              await load().finally(() => notify("success", t("media.deleted")));
            } catch (error) {
              notify("error", /** @type {Error} */ (error).message);
              throw error;
            }
          }} />
      `
      : null
  }`;
}
