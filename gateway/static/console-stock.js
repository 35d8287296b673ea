// 库存 (the stock picture): a site × blood-group matrix per component coloured by warning level, the units near
// expiry with one click to propose moving them, the full list, and the legend of the policy in force.
import {
  COMPONENT_LABELS, LEVEL_LABELS, LEVEL_ORDER, bloodGroup, busy, byId, clear, coded, el, fmtNumber, fmtTime,
  hideMessage, levelBadge, showMessage, table,
} from "./console-dom.js";
import { stockHistoryPanel } from "./console-trends.js";

export const GROUPS = [["O", "pos"], ["O", "neg"], ["A", "pos"], ["A", "neg"], ["B", "pos"], ["B", "neg"],
  ["AB", "pos"], ["AB", "neg"]];
const EXPIRING_HOURS = 72;
const ALERT_LEVELS = ["red", "orange", "yellow"];
const SHELF_ROLES = ["station", "admin"];     // who moves blood between shelves, and so watches expiry

function upper(input) {
  return input.value.trim().toUpperCase();
}

// Sites in the order staff read them: the user's own site first, then the worst-off, then by name.
export function orderSites(siteIds, { own, worst, names }) {
  return [...siteIds].sort((a, b) => (b === own) - (a === own)
    || (worst.get(a) ?? 9) - (worst.get(b) ?? 9)
    || String(names.get(a) || a).localeCompare(String(names.get(b) || b), "zh-CN"));
}

export function siteLabel(names, id) {
  const name = names.get(id);
  return name ? [name, " ", el("code", { class: "id" }, id)] : el("code", { class: "id" }, id);
}

export function stockView(ctx) {
  const form = byId("stock-form");
  const region = byId("stock-region");
  const site = byId("stock-site");
  const component = byId("stock-component");
  const alertsOnly = byId("stock-alerts-only");
  const submit = byId("stock-submit");
  const msg = byId("stock-msg");
  const summary = byId("stock-summary");
  const matrix = byId("stock-matrix");
  const expiring = byId("stock-expiring");
  const result = byId("stock-result");
  const legend = byId("stock-legend");
  const history = stockHistoryPanel(ctx, byId("stock-history"));
  let rows = [];
  let names = new Map();
  let nearExpiry = [];
  let loaded = false;

  // The legend is the policy in force (GET /stock/policy): thresholds per component, as the service computes levels.
  async function loadLegend(regionCode) {
    try {
      const policy = await ctx.call("stockPolicy", { query: { region: regionCode || "SH" } });
      clear(legend);
      legend.appendChild(el("p", {}, `预警等级（${policy.region}，按可供天数 days_of_supply 判定`,
        policy.sustain_days ? `，持续 ${fmtNumber(policy.sustain_days, 0)} 天以上才升级` : "", "）："));
      legend.appendChild(table([
        { label: "成分", value: (c) => coded(COMPONENT_LABELS, c[0]) },
        { label: levelBadge("yellow"), value: (c) => `< ${fmtNumber(c[1].yellow_below_days, 1)} 天` },
        { label: levelBadge("orange"), value: (c) => `< ${fmtNumber(c[1].orange_below_days, 1)} 天` },
        { label: levelBadge("red"), value: (c) => `< ${fmtNumber(c[1].red_below_days, 1)} 天` },
      ], Object.entries(policy.thresholds)));
      legend.appendChild(el("p", {}, levelBadge("green"), " 不低于偏紧阈值；", levelBadge("no_data"),
        " 既无库存也无用量数据（无法判断，不是正常）"));
    } catch (_err) {
      // the legend is help, not data: the stock still loads without it
    }
  }

  function renderSummary() {
    clear(summary);
    const counts = { red: 0, orange: 0, yellow: 0, green: 0, no_data: 0 };
    for (const row of rows) {
      if (row.level in counts) {
        counts[row.level] += 1;
      }
    }
    summary.appendChild(el("p", {}, `共 ${rows.length} 项：`,
      ["red", "orange", "yellow", "green", "no_data"].map((level) =>
        el("span", { class: `badge level-${level}` }, `${LEVEL_LABELS[level]} ${counts[level]}`))));
  }

  function cell(row, siteId) {
    if (!row) {
      return el("td", { class: "cell level-none", title: "无该血型记录" }, "—");
    }
    const dimmed = alertsOnly.checked && !ALERT_LEVELS.includes(row.level);
    const days = row.days_of_supply === null || row.days_of_supply === undefined ? "—" : `${fmtNumber(row.days_of_supply, 1)} 天`;
    const title = `${names.get(siteId) || siteId} · ${COMPONENT_LABELS[row.component] || row.component} `
      + `${bloodGroup(row.abo, row.rhd)} · 可用 ${fmtNumber(row.available_units, 2)} U · 可供 ${days} · `
      + `${LEVEL_LABELS[row.level] || row.level}`;
    return trendOnClick(el("td", { class: `cell level-${LEVEL_LABELS[row.level] ? row.level : "none"}${dimmed ? " dimmed" : ""}`,
      title: `${title}（点击查看近 4 周趋势）`, "data-level": row.level, tabindex: 0, "data-trend": "group" },
      el("span", { class: "cell-units" }, `${fmtNumber(row.available_units, 1)} U`),
      el("span", { class: "cell-days" }, days)),
    { siteId, siteName: names.get(siteId), component: row.component, abo: row.abo, rhd: row.rhd });
  }

  // A cell (one blood group) or a site's 趋势 button (every group of the component) opens its days-of-supply trend.
  function trendOnClick(node, what) {
    node.addEventListener("click", () => history.show(what));
    node.addEventListener("keydown", (event) => {
      if (event.target === node && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        history.show(what);
      }
    });
    return node;
  }

  function renderMatrix() {
    clear(matrix);
    const wanted = component.value;
    const mine = rows.filter((r) => r.component === wanted);
    const bySite = new Map();
    const worst = new Map();
    for (const row of mine) {
      if (!bySite.has(row.site_id)) {
        bySite.set(row.site_id, new Map());
      }
      bySite.get(row.site_id).set(`${row.abo}${row.rhd}`, row);
      worst.set(row.site_id, Math.min(worst.get(row.site_id) ?? 9, LEVEL_ORDER[row.level] ?? 9));
    }
    let sites = orderSites(bySite.keys(), { own: ctx.session().site_id, worst, names });
    if (alertsOnly.checked) {
      sites = sites.filter((id) => (worst.get(id) ?? 9) <= LEVEL_ORDER.yellow);
    }
    if (!sites.length) {
      matrix.appendChild(el("p", { class: "empty" }, alertsOnly.checked && mine.length ? "没有预警项" : "没有库存数据"));
      return;
    }
    matrix.appendChild(el("div", { class: "matrix-wrap" },
      el("table", { class: "matrix", id: "stock-matrix-table" },
        el("caption", {}, `${COMPONENT_LABELS[wanted]}：各站点 × 血型 的可用量与可供天数（颜色为预警等级）`),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", class: "corner" }, "站点"),
          GROUPS.map(([abo, rhd]) => el("th", { scope: "col" }, bloodGroup(abo, rhd))))),
        el("tbody", {}, sites.map((id) => el("tr", { class: id === ctx.session().site_id ? "own" : undefined, "data-site": id },
          el("th", { scope: "row" }, siteLabel(names, id), id === ctx.session().site_id ? el("span", { class: "badge" }, "本站") : null,
            el("button", { type: "button", class: "secondary small trend-button", "data-trend": "site",
              "aria-label": `${names.get(id) || id} ${COMPONENT_LABELS[wanted]} 各血型近 4 周可供天数趋势`,
              onclick: () => history.show({ siteId: id, siteName: names.get(id), component: wanted }) }, "趋势")),
          GROUPS.map(([abo, rhd]) => cell(bySite.get(id).get(`${abo}${rhd}`), id))))))));
  }

  function renderList() {
    clear(result);
    const shown = rows
      .filter((row) => !alertsOnly.checked || ALERT_LEVELS.includes(row.level))
      .sort((a, b) => (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9)
        || (a.days_of_supply ?? Infinity) - (b.days_of_supply ?? Infinity)
        || String(a.site_id).localeCompare(String(b.site_id)));
    result.appendChild(table([
      { label: "预警", value: (r) => levelBadge(r.level) },
      { label: "站点", value: (r) => siteLabel(names, r.site_id) },
      { label: "地区", value: (r) => r.region },
      { label: "成分", value: (r) => coded(COMPONENT_LABELS, r.component) },
      { label: "血型", value: (r) => bloodGroup(r.abo, r.rhd) },
      { label: "可用量 (U)", class: "num", value: (r) => fmtNumber(r.available_units, 2) },
      { label: "日均用量 (U)", class: "num", value: (r) => fmtNumber(r.daily_demand, 2) },
      { label: "可供天数", class: "num", value: (r) => (r.days_of_supply === null || r.days_of_supply === undefined
        ? el("span", { title: "无用量数据" }, "—") : fmtNumber(r.days_of_supply, 1)) },
    ], shown, { empty: alertsOnly.checked && rows.length ? "没有预警项" : "没有库存数据" }));
  }

  function render() {
    renderSummary();
    renderMatrix();
    renderList();
  }

  // Units on the shelf that expire within 72 h, by DIN, soonest first; per site one click proposes a plan that
  // moves that site's surplus (the solver counts what is about to expire).
  function renderExpiring() {
    clear(expiring);
    const session = ctx.session();
    const bySite = new Map();
    for (const unit of nearExpiry) {
      if (!bySite.has(unit.site_id)) {
        bySite.set(unit.site_id, []);
      }
      bySite.get(unit.site_id).push(unit);
    }
    if (!bySite.size) {
      expiring.appendChild(el("p", { class: "empty" }, `没有 ${EXPIRING_HOURS} 小时内失效的可用血液`));
      return;
    }
    const mayPropose = ["admin", "station"].includes(session.role);
    for (const siteId of orderSites(bySite.keys(), { own: session.site_id, worst: new Map(), names })) {
      const units = bySite.get(siteId);
      const propose = mayPropose && (session.role === "admin" || siteId === session.site_id)
        ? el("button", { type: "button", class: "small", "data-propose": siteId,
          onclick: () => ctx.go("rebalancing", { propose: { from_site: siteId, region: units[0].region } }) },
          "生成调剂方案（调出临期血液）") : null;
      expiring.appendChild(el("div", { class: "expiring-site" },
        el("p", {}, siteLabel(names, siteId), `：${units.length} 袋，合计 `,
          `${fmtNumber(units.reduce((sum, u) => sum + Number(u.units || 0), 0), 2)} U　`, propose),
        table([
          { label: "DIN", value: (u) => el("code", { class: "id" }, u.din) },
          { label: "成分", value: (u) => coded(COMPONENT_LABELS, u.component) },
          { label: "血型", value: (u) => bloodGroup(u.abo, u.rhd) },
          { label: "数量 (U)", class: "num", value: (u) => fmtNumber(u.units, 2) },
          { label: "失效时间", value: (u) => fmtTime(u.expires_at) },
          { label: "剩余", class: "num", value: (u) => `${fmtNumber((new Date(u.expires_at) - Date.now()) / 3600000, 0)} 小时` },
        ], units)));
    }
  }

  async function loadExpiring(siteIds) {
    const session = ctx.session();
    // A station looks at its own shelf; others at the site asked for, else every site in the matrix.
    const scope = session.role === "station" ? session.site_id : site.value.trim();
    const horizon = Date.now() + EXPIRING_HOURS * 3600 * 1000;
    try {
      const units = await ctx.call("units", { query: { status: "available", site_id: scope } });
      nearExpiry = units.filter((u) => new Date(u.expires_at).getTime() <= horizon && (scope || siteIds.has(u.site_id)))
        .sort((a, b) => String(a.expires_at).localeCompare(String(b.expires_at)));
    } catch (err) {
      nearExpiry = [];
      showMessage(msg, "error", err);
    }
    renderExpiring();
  }

  async function loadNames(regionCode) {
    try {
      const sites = await ctx.call("sites", { query: { region: regionCode } });
      names = new Map(sites.map((s) => [s.id, s.name]));
    } catch (_err) {
      names = new Map();     // codes stand in for names
    }
  }

  async function load() {
    hideMessage(msg);
    await busy(submit, async () => {
      try {
        const regionCode = upper(region);
        const [stock] = await Promise.all([
          ctx.call("stock", { query: { region: regionCode, site_id: site.value.trim() } }),
          loadNames(regionCode),
        ]);
        rows = stock;
        loaded = true;
        render();
        loadLegend(regionCode || (rows[0] && rows[0].region));
        if (SHELF_ROLES.includes(ctx.session().role)) {
          await loadExpiring(new Set(rows.map((r) => r.site_id)));
        }
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  for (const control of [alertsOnly, component]) {
    control.addEventListener("change", () => {
      if (loaded) {
        render();
      }
    });
  }

  return {
    enter() {
      byId("expiring-heading").hidden = !SHELF_ROLES.includes(ctx.session().role);
      if (!loaded) {
        region.value = ctx.session().region || "";
        load();
      }
    },
    reset() {
      rows = [];
      nearExpiry = [];
      names = new Map();
      loaded = false;
      form.reset();
      hideMessage(msg);
      [summary, matrix, expiring, result].forEach(clear);
      history.close();
    },
  };
}
