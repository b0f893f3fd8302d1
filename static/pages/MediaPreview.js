import { html } from "../lib.js";
import { t } from "../i18n.js";
import { formatDateTime } from "../format.js";
import { Dialog } from "../components/Dialog.js";
import { Icon } from "../components/Icon.js";
import { VariantLabel } from "../components/VariantLabel.js";

/** @typedef {import("../api.js").Media} Media */

/** Who made an item and with which account: "Open WebUI · 0f1e…e1f0". @param {Media} item */
export function whoOf(item) {
  return [item.keyName ?? t("media.noKey"), item.accountLabel].filter(Boolean).join(" · ");
}

/**
 * One item of the library, large, with its details, download and delete.
 * @param {{ item: Media, onClose: () => void, onDelete: () => void }} props
 */
export function PreviewDialog({ item, onClose, onDelete }) {
  const footer = html`
    <button type="button" class="button button-danger-ghost" onClick=${onDelete}>
      <${Icon} name="trash" size=${16} />${t("media.delete")}</button>
    <span class="spacer"></span>
    <a class="button" href=${item.url} target="_blank" rel="noopener noreferrer">
      <${Icon} name="external" size=${16} />${t("media.open")}</a>
    <a class="button button-primary" href=${item.url}
      download=${`${item.id}.${
        item.kind === "video" ? "mp4" : "png"
      }`}><${Icon} name="download" size=${16} />${t("media.download")}</a>
  `;
  return html`
    <${Dialog} title=${item.kind === "video" ? t("media.video") : t("media.image")}
      onClose=${onClose} closeLabel=${t("common.close")} footer=${footer} size="large">
      <div class="preview">
        <div class="preview-stage">
            ${item.kind === "video"
              ? html`<video src=${item.url} controls autoplay playsinline class="preview-media"></video>`
              : html`<img src=${item.url} alt=${item.prompt} class="preview-media" />`}
          </div>
        <dl class="preview-meta">
          <dt>${t("media.prompt")}</dt>
          <dd class="preview-prompt">${item.prompt || "—"}</dd>
          <dt>${t("media.model")}</dt>
          <dd><code class="mono">${item.model}</code></dd>
          <dt>${t("media.size")}</dt>
          <dd>${item.width && item.height ? `${item.width} × ${item.height}` : "—"}</dd>
          ${item.variant
            ? html`
              <dt>${t("variant.title")}</dt>
              <dd>
                <${VariantLabel} variant=${item.variant} />
              </dd>
            `
            : null}
          <dt>${t("media.by")}</dt>
          <dd>${item.keyName ?? t("media.noKey")}</dd>
          <dt>${t("media.account")}</dt>
          <dd><code class="mono">${item.accountLabel ?? "—"}</code></dd>
          <dt>${t("media.created")}</dt>
          <dd>${formatDateTime(item.createdAt)}</dd>
        </dl>
      </div>
      <//>
  `;
}
