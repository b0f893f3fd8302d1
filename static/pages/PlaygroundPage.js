import { html, useEffect, useState } from "../lib.js";
import { listAccounts, listModels } from "../api.js";
import { t } from "../i18n.js";
import { Icon } from "../components/Icon.js";
import { ImagePlayground } from "../components/ImagePlayground.js";
import { PageHeader } from "../components/PageHeader.js";
import { Segmented } from "../components/Segmented.js";
import { VideoPlayground } from "../components/VideoPlayground.js";
import { menuModels } from "../models.js";

/** @typedef {import("../api.js").Model} Model */

/**
 * The playground: the models the stored accounts can use (the live list of
 * `GET /v1/models`), each once, for an image or a video.
 * @param {{ notify: import("../app.js").Notify }} props
 */
export function PlaygroundPage({ notify }) {
  const [mode, setMode] = useState("image");
  const [models, setModels] = useState(/** @type {Model[] | null} */ (null));
  const [usable, setUsable] = useState(true);
  useEffect(() => {
    listModels().then((list) => setModels(list.data)).catch((failure) => {
      notify("error", failure.message);
      setModels([]);
    });
    // Without an account that can serve, the list is only the built-in table: say so.
    listAccounts().then(({ items }) =>
      setUsable(items.some((a) => a.health !== "disabled" && a.health !== "expired"))
    ).catch(() => {});
  }, []);
  const header = html`
    <${PageHeader} title=${t("playground.title")} subtitle=${t("playground.subtitle")}>
      <${Segmented} label=${t("omni.mode")} value=${mode} onChange=${setMode} options=${[
        { value: "image", label: t("omni.modeImage") },
        { value: "video", label: t("omni.modeVideo") },
      ]} />
      <//>
    ${usable ? null : html`<div class="notice notice-warn playground-notice" role="status"><${Icon}
      name="alert" size=${16} /><span>${t("playground.noAccount")} <a class="link"
      href="/accounts">${t("playground.addAccount")}</a></span></div>`}
  `;
  const list = models && menuModels(models, mode === "video" ? "video" : "image");
  if (mode === "video") {
    return html`${header}<${VideoPlayground} notify=${notify} models=${list} />`;
  }
  return html`${header}<${ImagePlayground} notify=${notify} models=${list} />`;
}
