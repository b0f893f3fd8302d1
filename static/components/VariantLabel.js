import { html } from "../lib.js";
import { t } from "../i18n.js";
import { Badge } from "./Badge.js";

/**
 * @typedef {object} VariantLabelProps
 * @property {"no_watermark" | "high_bitrate" | "preview" | null | undefined} variant which file
 *   of a video the server kept
 */

/** A small label saying which file of a video this is; nothing for images. @param {VariantLabelProps} props */
export function VariantLabel({ variant }) {
  if (variant === "no_watermark") {
    return html`<${Badge} tone="green" dot=${false}>${t("variant.noWatermark")}<//>`;
  }
  if (variant === "high_bitrate") {
    return html`<${Badge} tone="blue" dot=${false}>${t("variant.highBitrate")}<//>`;
  }
  if (variant === "preview") {
    return html`<${Badge} tone="grey" dot=${false}>${t("variant.preview")}<//>`;
  }
  return null;
}
