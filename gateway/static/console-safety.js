// 回溯召回 and 用血审批 (#22): stations and admin follow every recall and its closure time; a hospital answers its
// recalled units one by one; hospitals approve after the fact the emergency orders that went ahead owing approval.
import {
  COMPONENT_LABELS, PRIORITY_LABELS, busy, byId, clear, coded, el, facts, fmtNumber, fmtTime, hideMessage,
  showMessage, statusBadge, table,
} from "./console-dom.js";

export const RECALL_STATUS_LABELS = { open: "处理中", closed: "已关闭" };
export const RECALL_TRIGGER_LABELS = { positive_test: "检测阳性", post_donation_report: "献血后回告" };
export const RECALL_MARKER_LABELS = { hiv: "HIV", hbsag: "乙肝表面抗原", hbv_nat: "HBV 核酸", hcv: "丙肝", htlv: "HTLV",
  syphilis: "梅毒", post_donation_report: "献血后回告" };
export const RECALL_ANSWER_LABELS = { returned: "已退回血站", transfused: "已输注（患者随访）", destroyed: "已在院销毁" };
export const APPROVAL_STATUS_LABELS = { not_required: "无需上级审批", approved: "已审批", owed: "待补批",
  approved_after: "已补批" };
export const APPROVAL_LEVEL_LABELS = { attending: "主治医师", department_head: "科室主任", medical_department: "医务部门" };

function shanghaiDate(offsetDays = 0) {
  const day = new Date(Date.now() + offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(day);    // YYYY-MM-DD
}

export function recallsView(ctx) {
  const form = byId("recalls-form");
  const status = byId("recalls-status");
  const submit = byId("recalls-submit");
  const msg = byId("recalls-msg");
  const result = byId("recalls-result");
  const statsBox = byId("recalls-stats");
  let loaded = false;

  function answerControls(recall, line) {
    if (line.answer) {
      return [coded(RECALL_ANSWER_LABELS, line.answer), line.note ? `（${line.note}）` : "", " ", fmtTime(line.answered_at)];
    }
    if (ctx.session().role !== "hospital") {
      return statusBadge(RECALL_STATUS_LABELS, "open");
    }
    const choice = el("select", { "aria-label": "答复", "data-answer-for": line.id },
      Object.entries(RECALL_ANSWER_LABELS).map(([code, label]) => el("option", { value: code }, `${label} ${code}`)));
    const note = el("input", { type: "text", maxlength: "500", placeholder: "已输注时填写患者随访安排",
      "aria-label": "随访说明" });
    const send = el("button", { type: "button", class: "small", "data-answer": line.id }, "提交答复");
    send.addEventListener("click", () => answer(recall, line, choice.value, note.value.trim(), send));
    return el("div", { class: "row-actions" }, choice, note, send);
  }

  async function answer(recall, line, value, note, button) {
    if (value === "transfused" && !note) {
      showMessage(msg, "error", "已输注的血液须填写患者随访安排。");
      return;
    }
    if (!ctx.confirm(`确认献血码 ${line.din} 的答复为「${RECALL_ANSWER_LABELS[value]}」？`)) {
      return;
    }
    hideMessage(msg);
    await busy(button, async () => {
      try {
        const done = await ctx.call("answerRecallLine", { params: { recall_id: recall.id, line_id: line.id },
          body: note ? { answer: value, note } : { answer: value } });
        showMessage(msg, "ok", done.status === "closed" ? "已答复，召回已全部完成并关闭。" : "已答复。");
        await load(true);
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  function recallBlock(recall) {
    const staff = ctx.session().role !== "hospital";
    return el("article", { class: "card", "data-recall": recall.id },
      el("h3", {}, "召回单 ", el("code", {}, recall.id.slice(0, 8)), " ", statusBadge(RECALL_STATUS_LABELS, recall.status)),
      facts([
        ["触发", coded(RECALL_TRIGGER_LABELS, recall.trigger)],
        ["标志物", coded(RECALL_MARKER_LABELS, recall.marker)],
        ["回溯窗口", `${fmtTime(recall.window_from)} 至 ${fmtTime(recall.window_to)}（${recall.window_days} 天）`],
        ["开启时间", fmtTime(recall.opened_at)],
        ["关闭时间", recall.closed_at ? `${fmtTime(recall.closed_at)}（用时 ${fmtNumber(recall.closure_hours)} 小时）` : "—"],
        staff ? ["库存隔离", `${recall.held_unit_ids.length} 袋`] : null,
        ["涉及医院", recall.hospitals.join("、") || "—"],
        ["未答复", `${recall.unanswered} 袋`],
      ].filter(Boolean)),
      table([
        { label: "医院", value: (ln) => ln.hospital_id },
        { label: "献血码 DIN", value: (ln) => el("code", {}, ln.din) },
        { label: "成分", value: (ln) => coded(COMPONENT_LABELS, ln.component) },
        { label: "通知时状态", value: (ln) => el("code", {}, ln.status_at_notice) },
        { label: "通知时间", value: (ln) => fmtTime(ln.notified_at) },
        { label: "答复", value: (ln) => answerControls(recall, ln) },
      ], recall.lines, { empty: "没有发往医院的血液（仅库存隔离）" }));
  }

  async function loadStats() {
    clear(statsBox);
    if (ctx.session().role === "hospital") {
      return;
    }
    const stats = await ctx.call("recallStats", { query: { since: shanghaiDate(-89), until: shanghaiDate() } });
    statsBox.appendChild(el("h3", {}, "近 90 天召回统计"));
    statsBox.appendChild(facts([
      ["开启", `${stats.opened} 单`], ["已关闭", `${stats.closed} 单`], ["处理中", `${stats.open} 单`],
      ["关闭用时（中位数）", stats.closure_hours.median === null ? "—" : `${fmtNumber(stats.closure_hours.median)} 小时`],
      ["关闭用时（平均 / 最长）", stats.closure_hours.mean === null ? "—"
        : `${fmtNumber(stats.closure_hours.mean)} / ${fmtNumber(stats.closure_hours.max)} 小时`],
      ["医院答复", `退回 ${stats.lines.returned}，销毁 ${stats.lines.destroyed}，已输注 ${stats.lines.transfused}，`
        + `未答复 ${stats.lines.unanswered}`],
    ]));
  }

  async function load(keepMessage = false) {
    if (!keepMessage) {
      hideMessage(msg);
    }
    await busy(submit, async () => {
      try {
        const recalls = await ctx.call("recalls", { query: { status: status.value } });
        loaded = true;
        clear(result);
        if (!recalls.length) {
          result.appendChild(el("p", { class: "empty" }, "没有召回单"));
        }
        for (const recall of recalls) {
          result.appendChild(recallBlock(recall));
        }
        await loadStats();
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
    enter() {
      if (!loaded) {
        load();
      }
    },
    reset() {
      loaded = false;
      form.reset();
      hideMessage(msg);
      clear(result);
      clear(statsBox);
    },
  };
}

export function approvalsView(ctx) {
  const form = byId("approvals-form");
  const status = byId("approvals-status");
  const submit = byId("approvals-submit");
  const msg = byId("approvals-msg");
  const result = byId("approvals-result");
  let loaded = false;

  function actions(approval) {
    if (approval.status !== "owed" || ctx.session().role !== "hospital") {
      return approval.given ? `${APPROVAL_LEVEL_LABELS[approval.given.level] || approval.given.level} ${approval.given.approver_name}` : "—";
    }
    const level = el("select", { "aria-label": "审批级别" },
      Object.entries(APPROVAL_LEVEL_LABELS).map(([code, label]) => el("option",
        { value: code, selected: code === approval.required_level }, `${label} ${code}`)));
    const name = el("input", { type: "text", maxlength: "100", placeholder: "审批人姓名", "aria-label": "审批人姓名" });
    const send = el("button", { type: "button", class: "small", "data-approve": approval.order_id }, "补批");
    send.addEventListener("click", () => approve(approval, level.value, name.value.trim(), send));
    return el("div", { class: "row-actions" }, level, name, send);
  }

  async function approve(approval, level, name, button) {
    if (!name) {
      showMessage(msg, "error", "请填写审批人姓名。");
      return;
    }
    hideMessage(msg);
    await busy(button, async () => {
      try {
        await ctx.call("approveOrder", { params: { order_id: approval.order_id },
          body: { level, approver_name: name } });
        showMessage(msg, "ok", "已补批。");
        await load(true);
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  async function load(keepMessage = false) {
    if (!keepMessage) {
      hideMessage(msg);
    }
    await busy(submit, async () => {
      try {
        const approvals = await ctx.call("clinicalApprovals", { query: { status: status.value } });
        loaded = true;
        clear(result);
        result.appendChild(table([
          { label: "订单", value: (a) => el("code", {}, a.order_id.slice(0, 8)) },
          { label: "医院", value: (a) => a.hospital_id },
          { label: "患者（脱敏）", value: (a) => el("code", { class: "id" }, a.patient_masked) },
          { label: "日期", value: (a) => a.day },
          { label: "优先级", value: (a) => coded(PRIORITY_LABELS, a.priority) },
          { label: "本单 / 当日累计", value: (a) => `${a.counted_ml} / ${a.day_total_ml} ml`, class: "num" },
          { label: "所需审批", value: (a) => [coded(APPROVAL_LEVEL_LABELS, a.required_level), " ", a.required_title] },
          { label: "状态", value: (a) => statusBadge(APPROVAL_STATUS_LABELS, a.status) },
          { label: "下单时间", value: (a) => fmtTime(a.created_at) },
          { label: "审批 / 补批", value: actions },
        ], approvals, { empty: status.value === "owed" ? "没有待补批的紧急用血" : "没有记录" }));
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
    enter() {
      if (!loaded) {
        load();
      }
    },
    reset() {
      loaded = false;
      form.reset();
      hideMessage(msg);
      clear(result);
    },
  };
}
