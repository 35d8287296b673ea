// Small SVG charts drawn here (no chart library, nothing fetched): a line chart and a stacked bar chart over the
// same x axis (months, days), with Chinese axis titles, a legend, a tooltip (<title>) on every point and bar, an
// aria-label summing the chart up, and the numbers themselves in a table under it for whoever cannot see it.
import { el, svg, table } from "./console-dom.js";

const MARGIN = { top: 14, right: 14, bottom: 44, left: 60 };

const plain = (v) => (v === null || v === undefined || Number.isNaN(v) ? "—" : String(Math.round(v * 100) / 100));

// 0 … a round number at or above `max`, in about five steps of 1, 2 or 5 × 10ⁿ (ticks a reader can add up);
// `integer` (counts) never steps by less than 1.
export function niceScale(max, ticks = 5, integer = false) {
  if (!(max > 0)) {
    return integer ? { top: 1, step: 1 } : { top: 1, step: 0.2 };
  }
  if (integer && max <= ticks) {
    return { top: Math.ceil(max), step: 1 };
  }
  const rough = max / ticks;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Number([1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough).toPrecision(6));
  return { top: Number((Math.ceil(max / step - 1e-9) * step).toPrecision(12)), step };
}

// "2026-03" → "2026年3月", "2026-03-05" → "3月5日"; anything else as given.
export function xLabel(x) {
  let m = /^(\d{4})-(\d{2})$/.exec(x);
  if (m) {
    return `${m[1]}年${Number(m[2])}月`;
  }
  m = /^\d{4}-(\d{2})-(\d{2})$/.exec(x);
  return m ? `${Number(m[1])}月${Number(m[2])}日` : String(x);
}

function frame({ xs, top, step, yTitle, xTitle, width, height, yFormat }) {
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const band = plotW / Math.max(xs.length, 1);
  const x = (i) => MARGIN.left + band * (i + 0.5);
  const y = (v) => MARGIN.top + plotH * (1 - v / top);
  const grid = [];
  for (let k = 0; k * step <= top + step / 2; k += 1) {
    const v = Number((k * step).toPrecision(12));
    grid.push(svg("g", { class: "chart-tick" },
      svg("line", { x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v).toFixed(1), y2: y(v).toFixed(1) }),
      svg("text", { x: MARGIN.left - 6, y: (y(v) + 4).toFixed(1), "text-anchor": "end" }, yFormat(v))));
  }
  // Every label when they fit, else every k-th counted back from the newest (28 days on a narrow chart).
  const every = Math.max(1, Math.ceil(xs.length / Math.max(1, Math.floor(plotW / 64))));
  const labels = xs.map((value, i) => ((xs.length - 1 - i) % every === 0
    ? svg("text", { x: x(i).toFixed(1), y: height - MARGIN.bottom + 16, "text-anchor": "middle", "data-x": value },
      xLabel(value)) : null));
  const axes = svg("g", { class: "chart-axes" }, grid,
    svg("line", { class: "chart-axis", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(0), y2: y(0) }),
    svg("g", { class: "chart-x-labels" }, labels),
    svg("text", { class: "chart-axis-title", x: MARGIN.left + plotW / 2, y: height - 6, "text-anchor": "middle" }, xTitle),
    svg("text", { class: "chart-axis-title", x: 14, y: MARGIN.top + plotH / 2, "text-anchor": "middle",
      transform: `rotate(-90 14 ${MARGIN.top + plotH / 2})` }, yTitle));
  return { x, y, band, axes };
}

function figure({ id, title, svgNode, series, xs, format, xTitle }) {
  const legend = el("ul", { class: "chart-legend" }, series.map((s, i) =>
    el("li", {}, el("span", { class: `chart-swatch ${s.class || `chart-s${i}`}` }), s.name)));
  const rows = xs.map((x, i) => ({ x, i }));
  const data = el("details", { class: "chart-data" }, el("summary", {}, "数据表"),
    table([{ label: xTitle, value: (r) => xLabel(r.x) },
      ...series.map((s) => ({ label: s.name, class: "num", value: (r) => format(s.values[r.i]) }))], rows));
  return el("figure", { class: "chart", id, "data-chart": id },
    el("figcaption", {}, title), svgNode, legend, data);
}

function summaryOf(series, xs, format) {
  if (!xs.length) {
    return "无数据";
  }
  const last = xs.length - 1;
  return `${xLabel(xs[0])}至${xLabel(xs[last])}，${xLabel(xs[last])}：`
    + series.map((s) => `${s.name} ${format(s.values[last])}`).join("，");
}

// series: [{key, name, values: [number|null per x], class?}]; a null value leaves a gap in the line.
export function lineChart({ id, title, xs, series, yTitle, xTitle = "月份", format = plain, yFormat = format,
  width = 640, height = 240, minTop = 0, integer = false }) {
  const max = Math.max(minTop, ...series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined)));
  const { top, step } = niceScale(max, 5, integer);
  const { x, y, axes } = frame({ xs, top, step, yTitle, xTitle, width, height, yFormat });
  const lines = series.map((s, si) => {
    const cls = s.class || `chart-s${si}`;
    const runs = [];
    let run = [];
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) {
        if (run.length) runs.push(run);
        run = [];
      } else {
        run.push([x(i), y(v)]);
      }
    });
    if (run.length) runs.push(run);
    return svg("g", { class: `chart-line ${cls}`, "data-series": s.key },
      runs.map((pts) => svg("polyline", { points: pts.map((p) => p.map((c) => c.toFixed(1)).join(",")).join(" ") })),
      s.values.map((v, i) => (v === null || v === undefined ? null
        : svg("circle", { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.5, "data-x": xs[i], "data-value": v,
          class: s.pointClass ? s.pointClass(i) : null },
        svg("title", {}, `${xLabel(xs[i])} ${s.name}：${format(v)}`)))));
  });
  const summary = summaryOf(series, xs, format);
  const node = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart-svg", role: "img",
    "aria-label": `${title}。${summary}` }, svg("title", {}, title), axes, svg("g", { class: "chart-lines" }, lines));
  return figure({ id, title, svgNode: node, series, xs, format, xTitle });
}

// Bars of each x stacked in series order from the axis up; each segment's tooltip names its series and value,
// the bar's the total.
export function stackedBarChart({ id, title, xs, series, yTitle, xTitle = "月份", format = plain, yFormat = format,
  width = 640, height = 240, integer = false }) {
  const totals = xs.map((_x, i) => series.reduce((sum, s) => sum + (Number(s.values[i]) || 0), 0));
  const { top, step } = niceScale(Math.max(0, ...totals), 5, integer);
  const { x, y, band, axes } = frame({ xs, top, step, yTitle, xTitle, width, height, yFormat });
  const barW = Math.max(2, Math.min(48, band * 0.7));
  const bars = xs.map((value, i) => {
    let base = 0;
    const segments = series.map((s, si) => {
      const v = Number(s.values[i]) || 0;
      const y0 = y(base);
      base += v;
      return v > 0 ? svg("rect", { class: `chart-bar ${s.class || `chart-s${si}`}`, "data-series": s.key,
        "data-value": v, x: (x(i) - barW / 2).toFixed(1), y: y(base).toFixed(1), width: barW.toFixed(1),
        height: Math.max(0.5, y0 - y(base)).toFixed(1) }, svg("title", {}, `${xLabel(value)} ${s.name}：${format(v)}`)) : null;
    });
    return svg("g", { class: "chart-stack", "data-x": value, "data-total": totals[i] },
      svg("title", {}, `${xLabel(value)} 合计：${format(totals[i])}`), segments);
  });
  const summary = summaryOf(series, xs, format);
  const node = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart-svg", role: "img",
    "aria-label": `${title}。${summary}` }, svg("title", {}, title), axes, svg("g", { class: "chart-bars" }, bars));
  return figure({ id, title, svgNode: node, series, xs, format, xTitle });
}
