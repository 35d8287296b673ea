// 调剂 (rebalancing plans, transfers); 库存 is console-stock.js.
import {
  COMPONENT_LABELS, PLAN_STATUS_LABELS, TRANSFER_STATUS_LABELS, bloodGroup, busy, byId, clear, coded, el, facts,
  fmtNumber, fmtTime, hideMessage, linesSummary, showMessage, statusBadge, table,
} from "./console-dom.js";
import { planMap } from "./console-map.js";
import { siteLabel } from "./console-stock.js";

// What the optimiser does, in the words of services/inventory/rebalancing/__init__.py's objective.
const SOLVER_PLAIN = "线性规划（HiGHS 优化器）：先使缺口最小，再使临期报废最少，最后使运输距离最短";

function upper(input) {
  return input.value.trim().toUpperCase();
}

// ---- 调剂 ------------------------------------------------------------------------------------------------------

const METRICS = [
  ["sites_below_target", "低于目标天数的站点数", 0],
  ["shortfall_units", "缺口 (U)", 2],
  ["expiring_units", "临期量 (U)", 2],
];

export function rebalancingView(ctx) {
  const planForm = byId("plan-form");
  const planRegion = byId("plan-region");
  const planTarget = byId("plan-target");
  const planSubmit = byId("plan-submit");
  const planOwn = byId("plan-own");
  const planOwnLabel = byId("plan-own-label");
  const planMsg = byId("plan-msg");
  const planResult = byId("plan-result");
  const trForm = byId("transfers-form");
  const trSite = byId("transfers-site");
  const trStatus = byId("transfers-status");
  const trSubmit = byId("transfers-submit");
  const trMsg = byId("transfers-msg");
  const trResult = byId("transfers-result");
  let loaded = false;

  function renderPlan(plan) {
    clear(planResult);
    const before = plan.before || {};
    const after = plan.after || {};
    const session = ctx.session();
    // The region's dispatch (admin) approves; a station only a plan whose every move leaves its own site.
    const mayApprove = session.role === "admin"
      || (session.role === "station" && (plan.moves || []).every((m) => m.from_site === session.site_id));
    const approve = plan.status === "proposed" && (plan.moves || []).length && mayApprove
      ? el("button", { type: "button", id: "plan-approve" }, "批准方案并生成调拨单") : null;
    planResult.appendChild(el("div", { class: "card" },
      facts([
        ["方案编号", el("code", {}, plan.id)],
        ["状态", statusBadge(PLAN_STATUS_LABELS, plan.status)],
        ["地区", plan.region || "全部"],
        plan.from_site ? ["调出站点", el("code", {}, plan.from_site)] : null,
        ["目标可供天数", fmtNumber(plan.target_days, 1)],
        ["求解方法", [SOLVER_PLAIN, el("br", {}), el("code", { class: "solver" }, plan.solver)]],
        ["生成时间", fmtTime(plan.created_at)],
        plan.approved_at ? ["批准时间", fmtTime(plan.approved_at)] : null,
        (plan.transfer_ids || []).length ? ["生成的调拨单", `${plan.transfer_ids.length} 张（见下方调拨单）`] : null,
      ].filter(Boolean)),
      el("h3", {}, "调剂前后"),
      table([
        { label: "指标", value: (m) => m[1] },
        { label: "调剂前 before", class: "num", value: (m) => fmtNumber(before[m[0]], m[2]) },
        { label: "调剂后 after", class: "num", value: (m) => fmtNumber(after[m[0]], m[2]) },
      ], METRICS),
      approve ? el("div", { class: "actions" }, approve)
        : (plan.status === "proposed" && (plan.moves || []).length
          ? el("p", { class: "hint" }, "该方案含其他站点调出的明细，须由地区调度中心（管理员）批准；本站可对调出本站的调拨单发出或取消。")
          : null),
      el("details", { class: "moves", open: (plan.moves || []).length <= 20 },
        el("summary", {}, `调剂明细（${(plan.moves || []).length} 条）`),
        table([
          { label: "调出 from_site", value: (m) => el("code", {}, m.from_site) },
          { label: "调入 to_site", value: (m) => el("code", {}, m.to_site) },
          { label: "成分", value: (m) => coded(COMPONENT_LABELS, m.component) },
          { label: "血型", value: (m) => bloodGroup(m.abo, m.rhd) },
          { label: "数量 (U)", class: "num", value: (m) => fmtNumber(m.units, 2) },
          { label: "距离 (km)", class: "num", value: (m) => fmtNumber(m.distance_km, 1) },
        ], plan.moves || [], { empty: "各站点均已达到目标，无需调剂" }))));
    if (approve) {
      approve.addEventListener("click", () => approvePlan(plan, approve));
    }
    if ((plan.moves || []).length) {
      drawMap(plan);
    }
  }

  // The map and the per-site before/after days of supply: the sites' coordinates and today's stock, with the
  // plan's moves applied to it (an estimate from current stock; the plan's own totals are above).
  async function drawMap(plan) {
    const box = el("div", { class: "plan-map-box", id: "plan-map-box" }, el("p", { class: "hint" }, "正在加载地图…"));
    planResult.appendChild(box);
    try {
      const [sites, stock] = await Promise.all([ctx.call("sites", {}), ctx.call("stock", { query: { region: plan.region || "" } })]);
      const names = new Map(sites.map((s) => [s.id, s.name]));
      const rows = new Map(stock.map((r) => [`${r.site_id}|${r.component}|${r.abo}|${r.rhd}`, r]));
      const delta = new Map();
      for (const m of plan.moves) {
        for (const [site, sign] of [[m.from_site, -1], [m.to_site, 1]]) {
          const key = `${site}|${m.component}|${m.abo}|${m.rhd}`;
          delta.set(key, (delta.get(key) || 0) + sign * Number(m.units || 0));
        }
      }
      const changes = [...delta.entries()].map(([key, d]) => {
        const [site, component, abo, rhd] = key.split("|");
        const row = rows.get(key);
        const demand = row ? Number(row.daily_demand || 0) : 0;
        const before = row && demand > 0 ? Number(row.available_units) / demand : null;
        const after = row && demand > 0 ? (Number(row.available_units) + d) / demand : null;
        return { site, component, abo, rhd, d, before, after };
      }).sort((a, b) => String(names.get(a.site) || a.site).localeCompare(String(names.get(b.site) || b.site), "zh-CN")
        || a.component.localeCompare(b.component));
      const daysBySite = new Map();
      for (const c of changes) {
        const text = `${COMPONENT_LABELS[c.component] || c.component} ${bloodGroup(c.abo, c.rhd)}：`
          + `${fmtNumber(c.before, 1)} → ${fmtNumber(c.after, 1)} 天`;
        daysBySite.set(c.site, [daysBySite.get(c.site), text].filter(Boolean).join("\n"));
      }
      clear(box);
      box.appendChild(el("h3", {}, "方案示意图"));
      box.appendChild(el("div", { class: "map-frame" }, planMap(plan, sites, { daysBySite })));
      box.appendChild(el("details", { class: "moves site-days", open: changes.length <= 20 },
        el("summary", {}, `各站点调剂前后可供天数（${changes.length} 项，按当前库存与日均用量估算；地图上悬停站点亦可查看）`),
        table([
        { label: "站点", value: (c) => siteLabel(names, c.site) },
        { label: "成分", value: (c) => coded(COMPONENT_LABELS, c.component) },
        { label: "血型", value: (c) => bloodGroup(c.abo, c.rhd) },
        { label: "调入/调出 (U)", class: "num", value: (c) => `${c.d > 0 ? "+" : ""}${fmtNumber(c.d, 2)}` },
        { label: "调剂前可供天数", class: "num", value: (c) => fmtNumber(c.before, 1) },
        { label: "调剂后可供天数", class: "num", value: (c) => fmtNumber(c.after, 1) },
      ], changes)));
    } catch (err) {
      clear(box);
      const msg = el("div", { class: "msg" });
      box.appendChild(msg);
      showMessage(msg, "error", err);
    }
  }

  async function approvePlan(plan, button) {
    if (!ctx.confirm(`批准方案后将按 ${plan.moves.length} 条明细生成调拨单，确定批准？`)) {
      return;
    }
    hideMessage(planMsg);
    await busy(button, async () => {
      try {
        const approved = await ctx.call("approvePlan", { params: { plan_id: plan.id } });
        renderPlan(approved);
        showMessage(planMsg, "ok", `方案已批准，生成调拨单 ${(approved.transfer_ids || []).length} 张。`);
        loadTransfers();
      } catch (err) {
        showMessage(planMsg, "error", err);
      }
    });
  }

  planForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(planMsg);
    const body = {};
    if (upper(planRegion)) {
      body.region = upper(planRegion);
    }
    if (planTarget.value !== "") {
      body.target_days = Number(planTarget.value);
    }
    if (planOwn.checked && ctx.session().site_id) {
      body.from_site = ctx.session().site_id;
    }
    await createPlan(body);
  });

  async function createPlan(body) {
    await busy(planSubmit, async () => {
      try {
        renderPlan(await ctx.call("createPlan", { body }));
      } catch (err) {
        clear(planResult);
        showMessage(planMsg, "error", err);
      }
    });
  }

  // From the stock picture's near-expiry list: a plan moving one site's surplus, computed right away.
  function propose({ from_site: fromSite, region }) {
    hideMessage(planMsg);
    planRegion.value = region || planRegion.value;
    planOwn.checked = ctx.session().role === "station";
    const body = { from_site: fromSite, target_days: Number(planTarget.value) || 7 };
    if (region) {
      body.region = region;
    }
    planResult.scrollIntoView({ block: "start" });
    return createPlan(body);
  }

  function transferActions(t) {
    const session = ctx.session();
    if (session.role !== "station") {
      return "—";
    }
    const buttons = [];
    if (t.status === "requested" && t.from_site === session.site_id) {
      buttons.push(actionButton("发出", "dispatchTransfer", t, "确认发出调拨单？将按先到期先出选取血袋。"));
    }
    if (t.status === "in_transit" && t.to_site === session.site_id) {
      buttons.push(actionButton("接收", "receiveTransfer", t, "确认已收到该调拨单的全部血袋？"));
    }
    if (t.status === "requested" && [t.from_site, t.to_site].includes(session.site_id)) {
      buttons.push(actionButton("取消", "cancelTransfer", t, "确认取消该调拨单？取消后其血液重新计入调出站点的可调剂库存。"));
    }
    return buttons.length ? buttons : "—";
  }

  function actionButton(text, operation, transfer, question) {
    const button = el("button", { type: "button", class: "small" }, text);
    button.addEventListener("click", async () => {
      if (!ctx.confirm(question)) {
        return;
      }
      hideMessage(trMsg);
      await busy(button, async () => {
        try {
          const updated = await ctx.call(operation, { params: { transfer_id: transfer.id } });
          showMessage(trMsg, "ok", `调拨单 ${updated.id} 状态：${TRANSFER_STATUS_LABELS[updated.status] || updated.status}`);
          await loadTransfers(true);
        } catch (err) {
          showMessage(trMsg, "error", err);
        }
      });
    });
    return button;
  }

  async function loadTransfers(keepMessage = false) {
    if (!keepMessage) {
      hideMessage(trMsg);
    }
    await busy(trSubmit, async () => {
      try {
        const transfers = await ctx.call("transfers", { query: { site_id: trSite.value.trim(), status: trStatus.value } });
        clear(trResult);
        trResult.appendChild(table([
          { label: "调拨单", value: (t) => el("code", {}, t.id) },
          { label: "调出", value: (t) => el("code", {}, t.from_site) },
          { label: "调入", value: (t) => el("code", {}, t.to_site) },
          { label: "跨省", value: (t) => (t.inter_region ? "是" : "否") },
          { label: "明细", value: (t) => linesSummary(t.lines) },
          { label: "状态", value: (t) => statusBadge(TRANSFER_STATUS_LABELS, t.status) },
          { label: "申请", value: (t) => fmtTime(t.requested_at) },
          { label: "发出", value: (t) => fmtTime(t.dispatched_at) },
          { label: "接收", value: (t) => fmtTime(t.received_at) },
          { label: "操作", value: transferActions },
        ], transfers, { empty: "没有调拨单" }));
        loaded = true;
      } catch (err) {
        showMessage(trMsg, "error", err);
      }
    });
  }

  trForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadTransfers();
  });

  // The latest `make simulate` report: its goals and plots, fetched with the token and shown from blob: URLs
  // (revoked when the view is reset), as claim documents are.
  const simMsg = byId("simulation-msg");
  const simResult = byId("simulation-result");
  let simUrls = [];

  function dropSimulation() {
    simUrls.forEach((url) => URL.revokeObjectURL(url));
    simUrls = [];
    clear(simResult);
  }

  async function loadSimulation() {
    dropSimulation();
    hideMessage(simMsg);
    let report;
    try {
      report = await ctx.call("simulationReport");
    } catch (err) {
      showMessage(simMsg, "error", err);
      return;
    }
    if (!report.available) {
      showMessage(simMsg, "info", "尚无模拟报告（运行 make simulate 后在此显示）");
      return;
    }
    const meta = report.meta || {};
    simResult.appendChild(el("p", {}, `${meta.sites || "?"} 个血站 × ${meta.days || "?"} 天，种子 `
      + `${(meta.seeds || []).join(", ")}；生成于 ${meta.when || "?"}`));
    simResult.appendChild(el("ul", { class: "goals" }, ...(report.goals || []).map((g) => el("li", {},
      `${g.met ? "达标" : "未达标"}：${g.goal}（${fmtNumber((g.value || {}).mean, 2)}）`))));
    for (const image of report.images || []) {
      try {
        const response = await ctx.call("simulationImage", { params: { name: image.name }, accept: "image/png", raw: true });
        const url = URL.createObjectURL(await response.blob());
        simUrls.push(url);
        simResult.appendChild(el("figure", {}, el("img", { src: url, alt: image.title, class: "doc-image" }),
          el("figcaption", {}, image.title)));
      } catch (err) {
        showMessage(simMsg, "error", err);
      }
    }
  }

  return {
    enter(arg) {
      if (!loaded) {
        const session = ctx.session();
        planRegion.value = session.region || "";
        planOwnLabel.hidden = session.role !== "station";
        trSite.value = session.role === "station" ? session.site_id || "" : "";
        loadTransfers();
        loadSimulation();
      }
      if (arg && arg.propose) {
        propose(arg.propose);
      }
    },
    reset() {
      loaded = false;
      planForm.reset();
      trForm.reset();
      [planMsg, trMsg].forEach(hideMessage);
      clear(planResult);
      clear(trResult);
      dropSimulation();
      hideMessage(simMsg);
    },
  };
}
