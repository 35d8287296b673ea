// 冷链 (#22): temperature excursions of the station's stores and transfers, their decision (release / discard),
// the last 30 days' figures, and the reserves kept for major events.
import {
  COMPONENT_LABELS, bloodGroup, busy, byId, clear, coded, el, facts, fmtNumber, fmtTime, hideMessage, showMessage,
  statusBadge, table,
} from "./console-dom.js";

export const EXCURSION_STATUS_LABELS = { open: "待处理", released: "已放行", discarded: "已报废" };
export const EXCURSION_KIND_LABELS = { storage: "储存", transport: "运输" };
export const EXCURSION_REASON_LABELS = { out_of_range: "温度超出范围", over_time: "运输超时" };
export const DISCARD_CAUSE_LABELS = {
  cold_chain_excursion: "冷链温度偏离", expired: "过期", test_failed: "检测不合格", bag_damaged: "血袋破损",
  unknown: "未注明",
};
const DAY_MS = 24 * 3600 * 1000;

function range(exc) {
  return `${fmtNumber(exc.min_c, 1)} ~ ${fmtNumber(exc.max_c, 1)} °C`;
}

export function coldChainView(ctx) {
  const form = byId("coldchain-form");
  const status = byId("coldchain-status");
  const submit = byId("coldchain-submit");
  const msg = byId("coldchain-msg");
  const result = byId("coldchain-result");
  const statsBox = byId("coldchain-stats");
  const reservesBox = byId("coldchain-reserves");

  async function decide(exc, decision, reasonInput, button) {
    const reason = reasonInput.value.trim();
    if (reason.length < 2) {
      showMessage(msg, "error", "请填写处理理由（至少 2 个字）。");
      return;
    }
    const verb = decision === "release" ? "放行" : "报废";
    if (!ctx.confirm(`确认${verb}该温度偏离涉及的 ${exc.unit_ids.length} 袋血液？`)) {
      return;
    }
    await busy(button, async () => {
      try {
        await ctx.call("decideExcursion", { params: { excursion_id: exc.id }, body: { decision, reason } });
        showMessage(msg, "success", `已${verb}：${exc.unit_ids.length} 袋血液。`);
        await load(false);
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  function actions(exc) {
    if (exc.status !== "open" || ctx.session().role !== "station") {
      return exc.decided_at ? [fmtTime(exc.decided_at), " ", el("code", {}, exc.decided_by || ""),
        el("br", {}), exc.decision_reason || ""] : "—";
    }
    const reason = el("input", { type: "text", maxlength: "500", placeholder: "处理理由", "aria-label": "处理理由",
      "data-excursion": exc.id });
    const release = el("button", { type: "button", class: "secondary", "data-decision": "release" }, "放行");
    const discard = el("button", { type: "button", class: "danger", "data-decision": "discard" }, "报废");
    release.addEventListener("click", () => decide(exc, "release", reason, release));
    discard.addEventListener("click", () => decide(exc, "discard", reason, discard));
    return el("div", { class: "row-actions" }, reason, release, discard);
  }

  function render(excursions) {
    clear(result);
    result.appendChild(table([
      { label: "发现时间", value: (e) => fmtTime(e.detected_at) },
      { label: "类型", value: (e) => coded(EXCURSION_KIND_LABELS, e.kind) },
      { label: "站点", value: (e) => el("code", {}, e.site_id) },
      { label: "设备 / 调拨单", value: (e) => el("code", {}, e.location_id || e.transfer_id || "—") },
      { label: "偏离时段", value: (e) => [fmtTime(e.started_at), " — ", e.ended_at ? fmtTime(e.ended_at) : "仍在偏离"] },
      { label: "温度", value: range, class: "num" },
      { label: "原因", value: (e) => (e.reasons || []).map((r) => coded(EXCURSION_REASON_LABELS, r)) },
      { label: "血液（袋）", value: (e) => String(e.unit_ids.length), class: "num" },
      { label: "状态", value: (e) => statusBadge(EXCURSION_STATUS_LABELS, e.status) },
      { label: "处理", value: actions },
    ], excursions,
    { empty: "没有温度偏离记录", caption: "温度偏离（冷链报警）" }));
  }

  async function loadStats() {
    clear(statsBox);
    const until = new Date();
    const since = new Date(until.getTime() - 30 * DAY_MS);
    const stats = await ctx.call("coldChainStats", { query: { since: since.toISOString(), until: until.toISOString() } });
    const byStatus = stats.excursions_by_status || {};
    statsBox.appendChild(el("div", { class: "card" }, el("h3", {}, "近 30 天统计"),
      facts([
        ["温度偏离次数", String(stats.excursions)],
        ["其中待处理 / 放行 / 报废", ["open", "released", "discarded"].map((s) => String(byStatus[s] || 0)).join(" / ")],
      ]),
      table([
        { label: "报废原因", value: (r) => coded(DISCARD_CAUSE_LABELS, r.cause) },
        { label: "袋数", value: (r) => String(r.bags), class: "num" },
        { label: "数量 (U)", value: (r) => fmtNumber(r.units, 2), class: "num" },
      ], Object.entries(stats.discards_by_cause || {}).map(([cause, v]) => ({ cause, ...v })),
      { empty: "近 30 天没有报废", caption: "报废原因" })));
  }

  async function loadReserves() {
    clear(reservesBox);
    const session = ctx.session();
    const query = session.role === "station" ? { site_id: session.site_id } : {};
    const reserves = await ctx.call("reserves", { query });
    reservesBox.appendChild(table([
      { label: "站点", value: (r) => el("code", {}, r.site_id) },
      { label: "成分", value: (r) => coded(COMPONENT_LABELS, r.component) },
      { label: "血型", value: (r) => bloodGroup(r.abo, r.rhd) },
      { label: "储备 (U)", value: (r) => fmtNumber(r.units, 1), class: "num" },
      { label: "起止日期", value: (r) => `${r.starts_on} — ${r.ends_on}` },
      { label: "事由", value: (r) => r.reason },
    ], reserves, { empty: "没有重大活动储备", caption: "重大活动用血储备（调剂不会调走储备量）" }));
  }

  async function load(clearMsg = true) {
    if (clearMsg) {
      hideMessage(msg);
    }
    await busy(submit, async () => {
      try {
        const query = status.value ? { status: status.value } : {};
        render(await ctx.call("excursions", { query }));
        await loadStats();
        await loadReserves();
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load();
  });
  return {
    enter: () => load(),
    reset: () => { hideMessage(msg); clear(result); clear(statsBox); clear(reservesBox); status.value = "open"; },
  };
}
