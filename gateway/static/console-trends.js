// Trends drawn with console-chart.js: in 减免统计 the monthly waivers by channel, the zero-trip share, the median
// days to pay and the stock warning levels of the last weeks; in 库存 a site's days of supply over the last weeks.
import { lineChart, stackedBarChart } from "./console-chart.js";
import {
  CHANNEL_LABELS, COMPONENT_LABELS, LEVEL_LABELS, REGION_LABELS, bloodGroup, busy, byId, clear, el, fmtNumber,
  hideMessage, shanghaiMonth, showMessage,
} from "./console-dom.js";

const CHANNELS = ["direct", "mini_program", "mail", "on_site"];
const LEVELS = ["red", "orange", "yellow", "green", "no_data"];     // the worst at the foot of each bar
const HISTORY_DAYS = 28;
export const NO_HISTORY = "暂无历史数据";

// The months from `count` − 1 months before `last` to `last` ("YYYY-MM"), oldest first.
export function monthsBack(last, count) {
  let [year, month] = last.split("-").map(Number);
  const months = [];
  for (let i = 0; i < count; i += 1) {
    months.unshift(`${year}-${String(month).padStart(2, "0")}`);
    [year, month] = month === 1 ? [year - 1, 12] : [year, month - 1];
  }
  return months;
}

function empty(text) {
  return el("p", { class: "empty" }, text);
}

// A history endpoint that is missing (404: not deployed yet, or nothing recorded for it) is no history, not an error.
async function historyOrNone(ctx, name, query) {
  try {
    return await ctx.call(name, { query });
  } catch (err) {
    if (err.status === 404) {
      return null;
    }
    throw err;
  }
}

export function levelsChart(rows, { id = "levels-chart-svg", title = "库存预警等级变化（各站点 × 血型 项数）" } = {}) {
  const xs = rows.map((r) => r.day);
  return stackedBarChart({ id, title, xs, xTitle: "日期", yTitle: "项数", integer: true,
    format: (v) => `${fmtNumber(v, 0)} 项`, yFormat: (v) => fmtNumber(v, 0),
    series: LEVELS.map((level) => ({ key: level, name: `${LEVEL_LABELS[level]} ${level}`, class: `chart-level-${level}`,
      values: rows.map((r) => Number(r[level]) || 0) })) });
}

// The monthly series of GET /waiver/stats/monthly as the statistics tab's four charts.
export function waiverCharts(series) {
  const xs = series.map((m) => m.month);
  const channel = (pick) => CHANNELS.map((c) => ({ key: c, name: `${CHANNEL_LABELS[c]} ${c}`,
    values: series.map((m) => pick((m.by_channel || {})[c] || { count: 0, yuan: "0.00" })) }));
  return [
    stackedBarChart({ id: "trend-count", title: "各渠道减免笔数（按月）", xs, yTitle: "笔数", integer: true,
      format: (v) => `${fmtNumber(v, 0)} 笔`, yFormat: (v) => fmtNumber(v, 0), series: channel((f) => Number(f.count) || 0) }),
    stackedBarChart({ id: "trend-yuan", title: "各渠道减免金额（按月）", xs, yTitle: "金额（元）",
      format: (v) => `${v.toFixed(2)} 元`, yFormat: (v) => fmtNumber(v, 0), series: channel((f) => Number(f.yuan) || 0) }),
    lineChart({ id: "trend-zero-trip", title: "“一次都不跑”占比（按月）", xs, yTitle: "占比（%）", minTop: 100,
      format: (v) => `${fmtNumber(v, 1)}%`, yFormat: (v) => `${fmtNumber(v, 0)}%`,
      series: [{ key: "zero_trip_share", name: "一次都不跑占比 zero_trip_share",
        values: series.map((m) => (m.zero_trip_share === null || m.zero_trip_share === undefined
          ? null : Math.round(m.zero_trip_share * 1000) / 10)) }] }),
    lineChart({ id: "trend-days-to-pay", title: "提交至付款天数中位数（按月）", xs, yTitle: "天",
      format: (v) => `${fmtNumber(v, 2)} 天`, yFormat: (v) => fmtNumber(v, 1),
      series: [{ key: "median_days_to_pay", name: "天数中位数 median_days_to_pay",
        values: series.map((m) => (m.median_days_to_pay ?? null)) }] }),
  ];
}

// 减免统计's trend section: one region (a reviewer's own, or any or all for an admin) over the last 6–24 months.
export function statsTrends(ctx) {
  const form = byId("trend-form");
  const region = byId("trend-region");
  const months = byId("trend-months");
  const submit = byId("trend-submit");
  const msg = byId("trend-msg");
  const charts = byId("trend-charts");
  const levelsMsg = byId("levels-msg");
  const levels = byId("levels-chart");
  let loaded = false;

  function fillRegions() {
    const session = ctx.session();
    const own = session.role === "reviewer" ? [session.region] : null;
    clear(region);
    if (!own) {
      region.appendChild(el("option", { value: "" }, "全部地区"));
    }
    for (const code of own || Object.keys(REGION_LABELS)) {
      region.appendChild(el("option", { value: code }, `${REGION_LABELS[code] || code} ${code}`));
    }
    region.disabled = Boolean(own);     // a reviewer's statistics are their region's only
  }

  async function loadLevels(code) {
    hideMessage(levelsMsg);
    clear(levels);
    levels.appendChild(empty("加载中…"));
    try {
      const codes = code ? [code] : Object.keys(REGION_LABELS);
      const answers = await Promise.all(codes.map((r) => historyOrNone(ctx, "levelsHistory", { region: r, days: HISTORY_DAYS })));
      const byDay = new Map();
      for (const rows of answers.filter(Boolean)) {
        for (const row of rows) {
          const sum = byDay.get(row.day) || { day: row.day, ...Object.fromEntries(LEVELS.map((l) => [l, 0])) };
          LEVELS.forEach((l) => { sum[l] += Number(row[l]) || 0; });
          byDay.set(row.day, sum);
        }
      }
      clear(levels);
      const rows = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
      levels.appendChild(rows.length ? levelsChart(rows, { title: `库存预警等级变化（${code ? REGION_LABELS[code] || code
        : "全部地区"}，近 ${HISTORY_DAYS} 天，各站点 × 成分 × 血型 项数）` }) : empty(NO_HISTORY));
    } catch (err) {
      clear(levels);
      showMessage(levelsMsg, "error", err);
    }
  }

  let again = false;

  async function load() {
    if (submit.disabled) {
      again = true;       // asked again while loading (another region chosen): load once more when this is done
      return;
    }
    hideMessage(msg);
    await busy(submit, async () => {
      clear(charts);
      charts.appendChild(empty("加载中…"));
      const code = region.value;
      const wanted = monthsBack(shanghaiMonth(), Number(months.value) || 12);
      const levelsDone = loadLevels(code);
      try {
        const series = await ctx.call("monthlyStats", { query: { from: wanted[0], to: wanted[wanted.length - 1],
          region: ctx.session().role === "admin" ? code : undefined } });
        loaded = true;
        clear(charts);
        charts.appendChild(el("p", { class: "summary", id: "trend-scope" },
          `${code ? `${REGION_LABELS[code] || code} ${code}` : "全部地区"}：${wanted[0]} 至 ${wanted[wanted.length - 1]}`));
        charts.appendChild(el("div", { class: "chart-grid" }, waiverCharts(series)));
      } catch (err) {
        clear(charts);
        showMessage(msg, "error", err);
      }
      await levelsDone;
    });
    if (again) {
      again = false;
      await load();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  region.addEventListener("change", () => load());

  return {
    enter() {
      if (!loaded) {
        fillRegions();
        load();
      }
    },
    reset() {
      loaded = false;
      again = false;
      clear(region);
      hideMessage(msg);
      hideMessage(levelsMsg);
      clear(charts);
      clear(levels);
    },
  };
}

// 库存: a site's days of supply over the last four weeks, one blood group (a cell) or all of a component (a site).
export function stockHistoryPanel(ctx, container) {
  let asked = 0;

  function close() {
    asked += 1;           // an answer still on its way is not shown any more
    clear(container);
    container.hidden = true;
  }

  async function show({ siteId, siteName, component, abo, rhd }) {
    const ticket = ++asked;
    const what = `${siteName || siteId} ${siteId} · ${COMPONENT_LABELS[component] || component}`
      + (abo ? ` ${bloodGroup(abo, rhd)}` : "（各血型）");
    const closer = el("button", { type: "button", class: "secondary small", onclick: close }, "关闭趋势");
    const body = el("div", {}, empty("加载中…"));
    clear(container);
    container.hidden = false;
    container.appendChild(el("div", { class: "history-head" }, el("h3", {}, `可供天数趋势：${what}`), closer));
    container.appendChild(body);
    let rows;
    try {
      rows = await historyOrNone(ctx, "stockHistory", { site_id: siteId, days: HISTORY_DAYS, component, abo, rhd });
    } catch (err) {
      if (ticket === asked) {
        clear(body);
        const box = el("div", { class: "msg", role: "alert" });
        body.appendChild(box);
        showMessage(box, "error", err);
      }
      return;
    }
    if (ticket !== asked) {
      return;
    }
    clear(body);
    body.append(...(rows && rows.length ? [historyChart(rows, what),
      el("p", { class: "hint" }, "点的颜色：红、橙、黄为当日预警等级（告急、紧张、偏紧），其余为血型的线色。")] : [empty(NO_HISTORY)]));
  }

  container.hidden = true;
  return { show, close };
}

// rows of GET /stock/history: one line per blood group, its points coloured by that day's warning level.
export function historyChart(rows, what = "") {
  const xs = [...new Set(rows.map((r) => r.day))].sort();
  const groups = new Map();
  for (const row of rows) {
    const key = `${row.abo}${row.rhd}`;
    if (!groups.has(key)) {
      groups.set(key, { abo: row.abo, rhd: row.rhd, byDay: new Map() });
    }
    groups.get(key).byDay.set(row.day, row);
  }
  const series = [...groups.entries()].map(([key, g]) => ({
    key, name: bloodGroup(g.abo, g.rhd),
    values: xs.map((d) => {
      const v = g.byDay.get(d) && g.byDay.get(d).days_of_supply;
      return v === null || v === undefined ? null : Number(v);
    }),
    pointClass: (i) => `chart-point-${(g.byDay.get(xs[i]) || {}).level || "none"}`,
  }));
  return lineChart({ id: "stock-history-chart", title: `近 ${HISTORY_DAYS} 天可供天数 ${what}`.trim(), xs, series,
    xTitle: "日期", yTitle: "可供天数（天）", format: (v) => `${fmtNumber(v, 1)} 天`, yFormat: (v) => fmtNumber(v, 0) });
}
