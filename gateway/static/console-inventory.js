// 调剂 (rebalancing plans, transfers); 库存 is console-stock.js.
import {
  COMPONENT_LABELS, PLAN_STATUS_LABELS, TRANSFER_STATUS_LABELS, bloodGroup, busy, byId, clear, coded, el, facts,
  fmtNumber, fmtTime, hideMessage, linesSummary, showMessage, statusBadge, table,
} from "./console-dom.js";

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
        ["求解器", plan.solver],
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

  return {
    enter(arg) {
      if (!loaded) {
        const session = ctx.session();
        planRegion.value = session.region || "";
        planOwnLabel.hidden = session.role !== "station";
        trSite.value = session.role === "station" ? session.site_id || "" : "";
        loadTransfers();
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
    },
  };
}
