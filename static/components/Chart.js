import { html, useEffect, useRef, useState } from "../lib.js";

/**
 * @typedef {{ t: number, value: number, part?: number }} Point `part` is drawn inside the bar (errors of requests)
 * @typedef {object} ChartProps
 * @property {Point[]} points evenly spaced buckets, oldest first
 * @property {"bar" | "line"} kind
 * @property {string} label accessible name
 * @property {(t: number) => string} formatTime x-axis and tooltip labels
 * @property {(value: number) => string} formatValue y-axis and tooltip values
 * @property {string} valueLabel tooltip name of `value`
 * @property {string} [partLabel] tooltip name of `part`
 * @property {"blue" | "violet" | "teal"} [tone]
 */

const HEIGHT = 220;
const PAD = { top: 14, right: 12, bottom: 26, left: 44 };

/** A round upper bound and step for the y axis. @param {number} max */
function niceScale(max) {
  if (!(max > 0)) return { top: 4, step: 1 };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ??
    10 * magnitude;
  return { top: Math.ceil(max / step) * step, step };
}

/** Follows the element's width so the SVG draws in real pixels (crisp text). */
function useWidth() {
  const ref = useRef(/** @type {HTMLDivElement | null} */ (null));
  const [width, setWidth] = useState(600);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => {
      setWidth(Math.max(240, Math.round(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return { ref, width };
}

/** Bars or a filled line over time, drawn as inline SVG, with a hover tooltip. @param {ChartProps} props */
export function Chart(
  { points, kind, label, formatTime, formatValue, valueLabel, partLabel, tone = "blue" },
) {
  const { ref, width } = useWidth();
  const [hover, setHover] = useState(/** @type {number | null} */ (null));
  const innerW = width - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const max = Math.max(0, ...points.map((p) => p.value));
  const { top, step } = niceScale(max);
  const slot = innerW / Math.max(1, points.length);
  const x = (/** @type {number} */ i) => PAD.left + slot * i + slot / 2;
  const y = (/** @type {number} */ v) => PAD.top + innerH - (v / top) * innerH;
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  const labelEvery = Math.max(1, Math.ceil(points.length / Math.max(2, Math.floor(innerW / 64))));
  const barW = Math.max(2, Math.min(28, slot * 0.62));
  const line = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join("");
  const area = points.length
    ? `${line}L${x(points.length - 1).toFixed(1)},${y(0)}L${x(0).toFixed(1)},${y(0)}Z`
    : "";
  const active = hover === null ? null : points[hover];

  return html`<div class=${`chart chart-${tone}`} ref=${ref}>
    <svg width=${width} height=${HEIGHT} role="img" aria-label=${label}>
      <g class="chart-grid">
        ${
    ticks.map((v) =>
      html`
        <g key=${v}>
          <line x1=${PAD.left} x2=${width - PAD.right} y1=${y(v)} y2=${y(v)} />
          <text x=${PAD.left - 8} y=${y(v) + 4} text-anchor="end">${formatValue(v)}</text>
        </g>
      `
    )
  }
      </g>
      <g class="chart-axis">
        ${
    points.map((p, i) =>
      i % labelEvery === (points.length - 1) % labelEvery
        ? html`<text key=${p.t} x=${x(i)} y=${HEIGHT - 8} text-anchor="middle">${
          formatTime(
            p.t,
          )
        }</text>`
        : null
    )
  }
      </g>
      ${
    active
      ? html`<line class="chart-guide" x1=${x(hover)} x2=${x(hover)} y1=${PAD.top} y2=${
        PAD.top +
        innerH
      } />`
      : null
  }
      ${
    kind === "bar"
      ? html`<g class="chart-bars">
          ${
        points.map((p, i) =>
          html`<g key=${p.t} class=${hover === i ? "bar bar-active" : "bar"}>
              <rect x=${x(i) - barW / 2} y=${y(p.value)} width=${barW} height=${
            Math.max(
              0,
              y(0) - y(p.value),
            )
          } rx="2" />
              ${
            p.part
              ? html`<rect class="bar-part" x=${x(i) - barW / 2} y=${
                y(p.part)
              } width=${barW} height=${
                Math
                  .max(0, y(0) - y(p.part))
              } rx="2" />`
              : null
          }
            </g>`
        )
      }
        </g>`
      : html`<g class="chart-line">
          <path class="chart-area" d=${area} />
          <path class="chart-stroke" d=${line} />
          ${
        active
          ? html`<circle class="chart-dot" cx=${x(hover)} cy=${y(active.value)} r="4" />`
          : null
      }
        </g>`
  }
      <g class="chart-hit">
        ${
    points.map((p, i) =>
      html`
        <rect key=${p.t} x=${PAD.left + slot * i} y=${PAD.top} width=${slot} height=${innerH}
          onMouseEnter=${() => setHover(i)} onMouseLeave=${() => setHover(null)} />
      `
    )
  }
      </g>
    </svg>
    ${
    active
      ? html`
        <div
          class="chart-tooltip"
          style=${{ left: `${Math.min(Math.max(x(hover), 70), width - 70)}px` }}
        >
                <div class="chart-tooltip-time">${formatTime(active.t)}</div>
                <div><span class="chart-swatch"></span>${valueLabel}: <strong>${formatValue(
                  active.value,
                )}</strong></div>
                ${partLabel
                  ? html`<div><span class="chart-swatch chart-swatch-part"></span>${partLabel}: <strong
            >${formatValue(active.part ?? 0)}</strong></div>`
                  : null}
              </div>
      `
      : null
  }
  </div>`;
}
