import { html, useEffect, useRef, useState } from "../lib.js";
import { t } from "../i18n.js";
import { Icon } from "./Icon.js";

/**
 * @typedef {"image" | "video" | "audio"} ReferenceKind
 * @typedef {{ id: number, file: File, kind: ReferenceKind | null, url: string }} PickedReference
 * @typedef {object} ReferencePickerProps
 * @property {PickedReference[]} items
 * @property {(items: PickedReference[]) => void} onChange
 * @property {(placeholder: string) => void} onInsert types a placeholder into the prompt
 * @property {boolean} [disabled]
 * @property {boolean} [frames] the model takes images as first and last frame, not placeholders
 */

/** What a file probably is, by its type or extension; the server decides from the bytes. */
export function guessKind(/** @type {File} */ file) {
  const major = file.type.split("/")[0];
  if (major === "image" || major === "video" || major === "audio") return major;
  const ext = file.name.split(".").pop()?.toLowerCase() ?? "";
  if (["png", "jpg", "jpeg", "webp", "gif"].includes(ext)) return "image";
  if (["mp4", "mov", "webm"].includes(ext)) return "video";
  if (["wav", "mp3", "m4a", "aac"].includes(ext)) return "audio";
  return null;
}

/**
 * The placeholders of each item: `@N` overall and `@image1`, `@video1`, `@audio1` by kind.
 * @param {PickedReference[]} items
 */
export function placeholdersOf(items) {
  /** @type {Record<string, number>} */
  const seen = { image: 0, video: 0, audio: 0 };
  return items.map((item, i) => ({
    overall: `@${i + 1}`,
    byKind: item.kind ? `@${item.kind}${++seen[item.kind]}` : null,
  }));
}

let nextId = 1;

/** What a reference is to a model that takes frames. @param {number} index */
function frameName(index) {
  if (index === 0) return t("omni.firstFrame");
  if (index === 1) return t("omni.lastFrame");
  return t("omni.extraFrame");
}

/** Between the two placeholders of a chip (a string, so htm keeps its spaces). */
const SEPARATOR = " · ";

/** "1.2 MB", "640 KB". @param {number} bytes */
export function formatSize(bytes) {
  if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** Drag-and-drop references with numbered chips. @param {ReferencePickerProps} props */
export function ReferencePicker({ items, onChange, onInsert, disabled = false, frames = false }) {
  const [over, setOver] = useState(false);
  const input = useRef(/** @type {HTMLInputElement | null} */ (null));
  const latest = useRef(items);
  latest.current = items;

  // Object URLs are released with the component.
  useEffect(() => () => latest.current.forEach((item) => URL.revokeObjectURL(item.url)), []);

  const add = (/** @type {FileList | File[]} */ files) => {
    const fresh = Array.from(files).map((file) => ({
      id: nextId++,
      file,
      kind: guessKind(file),
      url: URL.createObjectURL(file),
    }));
    if (fresh.length) onChange([...items, ...fresh]);
  };
  const remove = (/** @type {number} */ id) => {
    const item = items.find((i) => i.id === id);
    if (item) URL.revokeObjectURL(item.url);
    onChange(items.filter((i) => i.id !== id));
  };
  const names = placeholdersOf(items);

  return html`<div class="field">
    <span class="field-label" id="pg-references-label">${t("omni.references")}</span>
    <div
      class=${over ? "dropzone dropzone-over" : "dropzone"}
      role="group"
      aria-labelledby="pg-references-label"
      onDragOver=${(/** @type {DragEvent} */ e) => {
    e.preventDefault();
    if (!disabled) setOver(true);
  }}
      onDragLeave=${() => setOver(false)}
      onDrop=${(/** @type {DragEvent} */ e) => {
    e.preventDefault();
    setOver(false);
    if (!disabled && e.dataTransfer) add(e.dataTransfer.files);
  }}
    >
      <${Icon} name="plus" size=${18} />
      <span>${t("omni.drop")}</span>
      <button type="button" class="button button-small" disabled=${disabled}
        onClick=${() => input.current?.click()}>${t("omni.browse")}</button>
      <input ref=${input} type="file" multiple hidden data-testid="reference-input"
        accept="image/png,image/jpeg,image/webp,image/gif,video/mp4,video/quicktime,video/webm,audio/wav,audio/mpeg,audio/mp4,audio/aac,.m4a,.mp3,.wav"
        onChange=${(/** @type {any} */ e) => {
    add(e.currentTarget.files ?? []);
    e.currentTarget.value = "";
  }} />
    </div>
    ${
    items.length
      ? html`<ul class="ref-chips" aria-label=${t("omni.references")}>
        ${
        items.map((item, i) =>
          html`<li key=${item.id} class=${`ref-chip ref-${item.kind ?? "unknown"}`}>
            ${
            item.kind === "image"
              ? html`<img class="ref-thumb" src=${item.url} alt="" />`
              : html`<span class="ref-thumb ref-icon"><${Icon}
                  name=${
                item.kind === "video" ? "video" : item.kind === "audio" ? "audio" : "alert"
              }
                  size=${18} /></span>`
          }
            <span class="ref-text">
              ${
            frames ? html`<span class="ref-frame">${frameName(i)}</span>` : html`
              <button
                type="button" class="ref-placeholder" title=${t("omni.insert")}
                onClick=${() => onInsert(names[i].byKind ?? names[i].overall)}>
                              <code>${names[i].overall}</code>${names[i].byKind
                                ? SEPARATOR
                                : null}${names[i].byKind
                                ? html`<code>${names[i].byKind}</code>`
                                : null}</button>
            `
          }
              <span class="muted small ref-name" title=${item.file.name}>${item.file.name} · ${
            formatSize(item.file.size)
          }</span>
            </span>
            <button type="button" class="icon-button" aria-label=${
            t("omni.remove", { name: item.file.name })
          }
              onClick=${() =>
            remove(item.id)} disabled=${disabled}><${Icon} name="close" size=${14} /></button>
          </li>`
        )
      }
      </ul>`
      : html`<p class="field-hint">${frames ? t("omni.framesHint") : t("omni.hint")}</p>`
  }
  </div>`;
}
