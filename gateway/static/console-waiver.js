// 减免审核 (claims review), 减免统计 (monthly statistics), 直免查询 (entitlements, hospital settlements).
import {
  CHANNEL_LABELS, CLAIM_STATUS_LABELS, COMPONENT_LABELS, DOCUMENT_KIND_LABELS, LINE_REASON_LABELS, POOL_KIND_LABELS,
  RELATION_LABELS, SETTLEMENT_EVENT_LABELS, busy, byId, clear, coded, el, facts, fmtNumber, fmtPercent, fmtTime, fmtYuan, hideMessage,
  showMessage, shanghaiMonth, statusBadge, table,
} from "./console-dom.js";
import { claimEntry } from "./console-claim-entry.js";

const CHANNELS = ["direct", "mini_program", "mail", "on_site"];
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

function poolsSummary(pools) {
  return (pools || []).map((p) =>
    `${p.region || ""} ${POOL_KIND_LABELS[p.kind] || p.kind || ""} ${p.donor_masked || ""} ${p.ml ?? ""}ml`.trim())
    .join("；") || "—";
}

// A claim's document shown inline: fetched with the token (an <img> or <iframe> could not send it), held as a
// blob: URL while shown and revoked when closed, so nothing of it outlives the view.
function documentViewer(ctx) {
  const node = el("div", { class: "doc-viewer", id: "doc-viewer", hidden: true });
  let url = null;

  function close() {
    if (url) {
      URL.revokeObjectURL(url);
      url = null;
    }
    clear(node);
    node.hidden = true;
  }

  async function show(claimId, doc, button) {
    await busy(button, async () => {
      close();
      node.hidden = false;
      try {
        const response = await ctx.call("claimDocument", { params: { claim_id: claimId, document_id: doc.id },
          accept: doc.content_type || "*/*", raw: true });
        url = URL.createObjectURL(await response.blob());
        const title = `${DOCUMENT_KIND_LABELS[doc.kind] || doc.kind}：${doc.filename || doc.id}`;
        const shown = (doc.content_type || "").startsWith("image/")
          ? el("img", { src: url, alt: title, class: "doc-image" })
          : el("iframe", { src: url, title, class: "doc-frame" });
        const closeButton = el("button", { type: "button", class: "secondary small" }, "关闭材料");
        closeButton.addEventListener("click", close);
        node.appendChild(el("div", { class: "doc-bar" }, el("strong", {}, title), " ",
          el("a", { href: url, download: doc.filename || `${doc.id}`, class: "small" }, "下载"), " ", closeButton));
        node.appendChild(shown);
      } catch (err) {
        const box = el("div", { class: "msg" });
        node.appendChild(box);
        showMessage(box, "error", err);
      }
    });
  }

  return { node, show, close };
}

// The pools that would pay, beside the claim: the claim keeps only a masked ID, so the reviewer types the patient's
// ID from the ID-card document; it goes into this one request and is wiped from the input at once.
export function entitlementCheck(ctx) {
  const input = el("input", { type: "password", autocomplete: "off", maxlength: "30", id: "claim-ent-id",
    "aria-label": "患者证件号码" });
  const button = el("button", { type: "button", class: "small", id: "claim-ent-submit" }, "查询剩余额度");
  const out = el("div", { id: "claim-ent-result" });
  button.addEventListener("click", async () => {
    clear(out);
    const id = input.value.replace(/\s+/g, "").toUpperCase();
    input.value = "";
    if (id.length < 6) {
      const box = el("div", { class: "msg" });
      out.appendChild(box);
      showMessage(box, "error", "请输入患者证件号码（见身份证件材料）。");
      return;
    }
    await busy(button, async () => {
      try {
        const found = await ctx.call("entitlements", { query: { patient_national_id: id } });
        out.appendChild(table([
          { label: "额度类型", value: (p) => coded(POOL_KIND_LABELS, p.kind) },
          { label: "献血地区", value: (p) => p.region },
          { label: "献血者（脱敏）", value: (p) => el("code", {}, p.donor_masked || "—") },
          { label: "关系", value: (p) => coded(RELATION_LABELS, p.relation) },
          { label: "剩余额度 (ml)", class: "num", value: (p) => (p.unlimited ? "不限量" : fmtNumber(p.remaining_ml, 0)) },
        ], found.pools || [], { empty: "该患者没有可用的减免额度" }));
      } catch (err) {
        const box = el("div", { class: "msg" });
        out.appendChild(box);
        showMessage(box, "error", err);
      }
    });
  });
  return el("div", { class: "card ent-check" }, el("h4", {}, "献血者剩余额度"),
    el("div", { class: "filters" }, el("label", {}, "患者证件号码（见身份证件材料）", input), button), out);
}

// ---- 减免审核 --------------------------------------------------------------------------------------------------

export function claimsView(ctx) {
  const form = byId("claims-form");
  const status = byId("claims-status");
  const channel = byId("claims-channel");
  const submit = byId("claims-submit");
  const msg = byId("claims-msg");
  const result = byId("claims-result");
  const detail = byId("claim-detail");
  const detailBody = byId("claim-detail-body");
  const detailMsg = byId("claim-msg");
  const approveBox = byId("claim-approve-box");
  const rejectBox = byId("claim-reject-box");
  const payBox = byId("claim-pay-box");
  const approveButton = byId("claim-approve");
  const rejectButton = byId("claim-reject");
  const rejectReason = byId("claim-reject-reason");
  const payButton = byId("claim-pay");
  const paymentRef = byId("claim-payment-ref");
  let current = null;
  let loaded = false;
  const viewer = documentViewer(ctx);
  // A claim the office enters itself joins the queue once submitted, and is opened there.
  const entry = claimEntry(ctx, {
    onSubmitted: async (claim) => {
      status.value = "submitted";
      channel.value = claim.channel;
      await loadList(true);
      await open(claim.id);
    },
    onKept: () => loadList(true),
  });

  async function loadList(keepMessage = false) {
    if (!keepMessage) {
      hideMessage(msg);
    }
    await busy(submit, async () => {
      try {
        const claims = await ctx.call("claims", { query: { status: status.value, channel: channel.value } });
        loaded = true;
        clear(result);
        result.appendChild(table([
          { label: "申请编号", value: (c) => el("code", { class: "id" }, c.id) },
          { label: "渠道", value: (c) => coded(CHANNEL_LABELS, c.channel) },
          { label: "患者", value: (c) => c.patient_name },
          { label: "证件（脱敏）", value: (c) => el("code", {}, c.patient_national_id_masked) },
          { label: "关系", value: (c) => coded(RELATION_LABELS, c.relation) },
          { label: "医院", value: (c) => c.hospital_name },
          { label: "受理地区", value: (c) => c.handling_region || c.region },
          { label: "申请金额", class: "num", value: (c) => fmtYuan(c.total_yuan) },
          { label: "提交时间", value: (c) => fmtTime(c.submitted_at) },
          { label: "状态", value: (c) => statusBadge(CLAIM_STATUS_LABELS, c.status) },
          { label: "操作", value: (c) => el("button", { type: "button", class: "small", onclick: () => open(c.id) }, "查看") },
        ], claims, { empty: "没有符合条件的申请" }));
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  function renderDetail(c) {
    current = c;
    viewer.close();
    clear(detailBody);
    detailBody.appendChild(facts([
      ["申请编号", el("code", {}, c.id)],
      ["状态", statusBadge(CLAIM_STATUS_LABELS, c.status)],
      ["渠道", coded(CHANNEL_LABELS, c.channel)],
      ["申请地区", c.region],
      // The region where the paying blood was given handles and pays the claim (各单位之间无资金往来).
      ["受理及付款地区", c.handling_region || c.region],
      ["分地区付款", (c.payments || []).length
        ? (c.payments || []).map((p) => `${p.region} ${fmtYuan(p.yuan)}${p.payment_ref ? `（${p.payment_ref}）` : ""}`).join("；")
        : null],
      ["患者", c.patient_name],
      ["患者证件（脱敏）", el("code", {}, c.patient_national_id_masked)],
      ["与献血者关系", coded(RELATION_LABELS, c.relation)],
      ["医院", c.hospital_site_id ? [c.hospital_name, " ", el("code", {}, c.hospital_site_id)] : c.hospital_name],
      ["住院号", c.admission_no],
      ["发票号", c.invoice_no],
      ["邮寄单号", c.tracking_no],
      ["申请金额", fmtYuan(c.total_yuan)],
      ["核定减免", fmtYuan(c.approved_yuan)],
      ["创建时间", fmtTime(c.created_at)],
      ["提交时间", fmtTime(c.submitted_at)],
      ["审核时间", fmtTime(c.decided_at)],
      ["付款时间", fmtTime(c.paid_at)],
      ["付款流水号", c.payment_ref],
      ["驳回理由", c.reason],
      ["收款账户", c.bank ? `${c.bank.account_name || ""} ${c.bank.bank_name || ""} ${c.bank.account_no_masked || ""}`.trim() : null],
    ]));
    detailBody.appendChild(el("h4", {}, "用血明细"));
    detailBody.appendChild(table([
      { label: "成分", value: (l) => coded(COMPONENT_LABELS, l.component) },
      { label: "DIN / 血袋", value: (l) => el("code", {}, l.din || l.unit_id || "—") },
      { label: "用量 (ml)", class: "num", value: (l) => fmtNumber(l.volume_ml, 0) },
      { label: "血费", class: "num", value: (l) => fmtYuan(l.amount_yuan) },
      { label: "输血时间", value: (l) => fmtTime(l.transfused_at) },
      { label: "减免 (ml)", class: "num", value: (l) => fmtNumber(l.waived_ml, 0) },
      { label: "减免金额", class: "num", value: (l) => fmtYuan(l.waived_yuan) },
      { label: "说明", value: (l) => (l.reason ? coded(LINE_REASON_LABELS, l.reason) : "") },
    ], c.lines || [], { empty: "无明细" }));
    if ((c.pools_used || []).length) {
      detailBody.appendChild(el("p", {}, "使用额度：", poolsSummary(c.pools_used)));
    }
    if (c.status === "submitted") {
      detailBody.appendChild(entitlementCheck(ctx));
    }
    if (c.status === "draft" && ["mail", "on_site"].includes(c.channel)) {   // one the office entered
      detailBody.appendChild(el("p", {}, el("button", { type: "button", id: "claim-resume", class: "small",
        onclick: () => entry.resume(c) }, "继续上传材料并提交")));
    }
    detailBody.appendChild(el("h4", {}, "材料"));
    detailBody.appendChild(table([
      { label: "类型", value: (d) => coded(DOCUMENT_KIND_LABELS, d.kind) },
      { label: "文件名", value: (d) => d.filename || "—" },
      { label: "类型 content_type", value: (d) => d.content_type || "—" },
      { label: "大小", class: "num", value: (d) => (d.size ? `${fmtNumber(d.size / 1024, 1)} KB` : "—") },
      { label: "SHA-256", value: (d) => el("code", { title: d.sha256 || "" }, (d.sha256 || "").slice(0, 16)) },
      { label: "查看", value: (d) => el("button", { type: "button", class: "small", "data-document": d.id,
        onclick: (event) => viewer.show(c.id, d, event.currentTarget) }, "查看") },
    ], c.documents || [], { empty: "未上传材料" }));
    detailBody.appendChild(viewer.node);
    approveBox.hidden = c.status !== "submitted";
    rejectBox.hidden = c.status !== "submitted";
    payBox.hidden = c.status !== "approved";
    rejectReason.value = "";
    paymentRef.value = "";
    detail.hidden = false;
  }

  async function open(id) {
    hideMessage(detailMsg);
    try {
      renderDetail(await ctx.call("claim", { params: { claim_id: id } }));
      detail.scrollIntoView({ block: "start" });
    } catch (err) {
      showMessage(msg, "error", err);
    }
  }

  async function act(button, operation, body, question, done) {
    if (!current || !ctx.confirm(question)) {
      return;
    }
    hideMessage(detailMsg);
    await busy(button, async () => {
      try {
        const updated = await ctx.call(operation, { params: { claim_id: current.id }, body });
        renderDetail(updated);
        showMessage(detailMsg, "ok", done(updated));
        await loadList(true);
      } catch (err) {
        showMessage(detailMsg, "error", err);
      }
    });
  }

  approveButton.addEventListener("click", () => act(approveButton, "approveClaim", undefined,
    "确认批准该减免申请？", (c) => `已批准，核定减免 ${fmtYuan(c.approved_yuan)}。`));
  rejectButton.addEventListener("click", () => {
    const reason = rejectReason.value.trim();
    if (!reason) {
      showMessage(detailMsg, "error", "请填写驳回理由。");
      rejectReason.focus();
      return;
    }
    act(rejectButton, "rejectClaim", { reason }, "确认驳回该减免申请？", () => "已驳回。");
  });
  payButton.addEventListener("click", () => {
    const ref = paymentRef.value.trim();
    act(payButton, "payClaim", ref ? { payment_ref: ref } : {}, `确认已向申请人付款 ${fmtYuan(current && current.approved_yuan)}？`,
      (c) => `已登记付款（${fmtTime(c.paid_at)}）。`);
  });
  byId("claim-close").addEventListener("click", () => {
    viewer.close();
    detail.hidden = true;
    current = null;
    clear(detailBody);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadList();
  });

  return {
    enter() {
      if (!loaded) {
        loadList();
      }
    },
    leave() {
      entry.leave();
    },
    reset() {
      loaded = false;
      current = null;
      entry.reset();
      viewer.close();
      form.reset();
      detail.hidden = true;
      [msg, detailMsg].forEach(hideMessage);
      clear(result);
      clear(detailBody);
      rejectReason.value = "";
      paymentRef.value = "";
    },
  };
}

// ---- 减免统计 --------------------------------------------------------------------------------------------------

export function statsView(ctx) {
  const form = byId("stats-form");
  const month = byId("stats-month");
  const region = byId("stats-region");
  const regionLabel = byId("stats-region-label");
  const submit = byId("stats-submit");
  const msg = byId("stats-msg");
  const result = byId("stats-result");
  let loaded = false;

  async function load() {
    hideMessage(msg);
    if (!MONTH.test(month.value)) {
      showMessage(msg, "error", "请选择月份（YYYY-MM）。");
      return;
    }
    await busy(submit, async () => {
      try {
        const query = { month: month.value };
        if (ctx.session().role === "admin") {
          query.region = region.value.trim().toUpperCase();
        }
        const stats = await ctx.call("stats", { query });
        loaded = true;
        clear(result);
        const byChannel = stats.by_channel || {};
        const rows = CHANNELS.map((c) => ({ channel: c, ...(byChannel[c] || { count: 0, yuan: "0.00" }) }));
        const totalCount = rows.reduce((sum, r) => sum + Number(r.count || 0), 0);
        const totalYuan = rows.reduce((sum, r) => sum + Math.round(Number(r.yuan || 0) * 100), 0);
        result.appendChild(el("div", { class: "kpis" },
          el("div", { class: "kpi" }, el("span", { class: "kpi-value" }, fmtPercent(stats.zero_trip_share)),
            el("span", { class: "kpi-label" }, "“一次都不跑”占比 zero_trip_share")),
          el("div", { class: "kpi" }, el("span", { class: "kpi-value" },
            stats.median_days_to_pay === null || stats.median_days_to_pay === undefined
              ? "—" : `${fmtNumber(stats.median_days_to_pay, 2)} 天`),
          el("span", { class: "kpi-label" }, "提交至付款天数中位数 median_days_to_pay")),
          el("div", { class: "kpi" }, el("span", { class: "kpi-value" }, String(totalCount)),
            el("span", { class: "kpi-label" }, `${stats.month || month.value} ${stats.region || "全部地区"} 减免笔数`))));
        result.appendChild(table([
          { label: "渠道 channel", value: (r) => (r.channel === "total" ? "合计" : coded(CHANNEL_LABELS, r.channel)) },
          { label: "笔数 count", class: "num", value: (r) => String(r.count) },
          { label: "金额 yuan", class: "num", value: (r) => fmtYuan(r.yuan) },
        ], [...rows, { channel: "total", count: totalCount, yuan: (totalYuan / 100).toFixed(2) }]));
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
      const session = ctx.session();
      regionLabel.hidden = session.role !== "admin";   // a reviewer only ever sees their own region
      if (!loaded) {
        month.value = shanghaiMonth();
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

// ---- 直免查询 --------------------------------------------------------------------------------------------------

export function directView(ctx) {
  const entSection = byId("entitlements-section");
  const settleSection = byId("settlements-section");
  const entForm = byId("ent-form");
  const entId = byId("ent-id");
  const entSubmit = byId("ent-submit");
  const entMsg = byId("ent-msg");
  const entResult = byId("ent-result");
  const settleForm = byId("settle-form");
  const settleHospital = byId("settle-hospital");
  const settleMonth = byId("settle-month");
  const settleSubmit = byId("settle-submit");
  const settleCsv = byId("settle-csv");
  const settleMsg = byId("settle-msg");
  const settleResult = byId("settle-result");
  let entered = false;

  function clearEntitlements() {
    entId.value = "";
    hideMessage(entMsg);
    clear(entResult);
  }

  entForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(entMsg);
    clear(entResult);
    // The raw ID goes only into this one request (same origin, no-store) and is wiped from the input
    // right away; it is never written to the page, the URL bar, storage or the console.
    const id = entId.value.replace(/\s+/g, "").toUpperCase();
    entId.value = "";
    if (id.length < 6 || id.length > 30) {
      showMessage(entMsg, "error", "请输入 6–30 位证件号码。");
      return;
    }
    await busy(entSubmit, async () => {
      try {
        const found = await ctx.call("entitlements", { query: { patient_national_id: id } });
        const pools = found.pools || [];
        entResult.appendChild(facts([
          ["患者本人是否献血者", found.patient_is_donor ? "是" : "否"],
          ["可用额度", `${pools.length} 项`],
        ]));
        entResult.appendChild(table([
          { label: "额度类型", value: (p) => coded(POOL_KIND_LABELS, p.kind) },
          { label: "献血地区", value: (p) => p.region },
          { label: "献血者（脱敏）", value: (p) => el("code", {}, p.donor_masked || "—") },
          { label: "关系", value: (p) => coded(RELATION_LABELS, p.relation) },
          { label: "剩余额度 (ml)", class: "num", value: (p) => (p.unlimited ? "不限量" : fmtNumber(p.remaining_ml, 0)) },
          { label: "有效期至", value: (p) => p.window_ends || "—" },
        ], pools, { empty: "未找到可用的减免额度" }));
      } catch (err) {
        showMessage(entMsg, "error", err);
      }
    });
  });
  byId("ent-clear").addEventListener("click", clearEntitlements);

  function settlementQuery() {
    const hospital = settleHospital.value.trim();
    if (!hospital || !MONTH.test(settleMonth.value)) {
      showMessage(settleMsg, "error", "请填写医院站点编号并选择月份。");
      return null;
    }
    return { hospital_id: hospital, month: settleMonth.value };
  }

  settleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(settleMsg);
    const query = settlementQuery();
    if (!query) {
      return;
    }
    await busy(settleSubmit, async () => {
      try {
        const s = await ctx.call("settlements", { query: { ...query, format: "json" } });
        clear(settleResult);
        settleResult.appendChild(facts([
          ["医院站点", el("code", {}, s.hospital_id)],
          ["月份", s.month],
          ["记录数", `${s.count}（扣减 ${s.applied_count ?? "—"}，冲正 ${s.reversed_count ?? "—"}）`],
          ["减免合计", fmtYuan(s.waived_yuan)],
        ]));
        settleResult.appendChild(el("h4", {}, "按付款地区（献血地）结算 by_payer_region"));
        settleResult.appendChild(table([
          { label: "地区 region", value: (r) => r.region },
          { label: "笔数", class: "num", value: (r) => r.count },
          { label: "金额", class: "num", value: (r) => fmtYuan(r.yuan) },
        ], Object.entries(s.by_payer_region || {}).map(([region, v]) => ({ region, ...v })), { empty: "无" }));
        settleResult.appendChild(el("h4", {}, "明细"));
        settleResult.appendChild(table([
          { label: "时间", value: (d) => fmtTime(d.at) },
          { label: "类型", value: (d) => coded(SETTLEMENT_EVENT_LABELS, d.event) },
          { label: "直免单号", value: (d) => el("code", {}, d.deduction_id) },
          { label: "住院号", value: (d) => d.admission_no || "—" },
          { label: "患者（脱敏）", value: (d) => el("code", {}, d.patient_national_id_masked || "—") },
          { label: "减免金额", class: "num", value: (d) => fmtYuan(d.waived_yuan) },
          { label: "额度来源", value: (d) => poolsSummary(d.pools) },
        ], s.deductions || [], { empty: "本月没有直免记录" }));
      } catch (err) {
        clear(settleResult);
        showMessage(settleMsg, "error", err);
      }
    });
  });

  settleCsv.addEventListener("click", async () => {
    hideMessage(settleMsg);
    const query = settlementQuery();
    if (!query) {
      return;
    }
    await busy(settleCsv, async () => {
      try {
        const response = await ctx.call("settlements", { query: { ...query, format: "csv" }, accept: "text/csv", raw: true });
        const url = URL.createObjectURL(await response.blob());
        const link = document.createElement("a");
        link.href = url;
        link.download = `settlement-${query.hospital_id}-${query.month}.csv`;
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (err) {
        showMessage(settleMsg, "error", err);
      }
    });
  });

  return {
    enter() {
      const session = ctx.session();
      entSection.hidden = !["hospital", "reviewer"].includes(session.role);
      settleSection.hidden = !["hospital", "reviewer", "admin"].includes(session.role);
      if (!entered) {
        entered = true;
        settleMonth.value = shanghaiMonth();
        settleHospital.value = session.role === "hospital" ? session.site_id || "" : "";
        settleHospital.readOnly = session.role === "hospital";   // a hospital sees only its own settlement
      }
    },
    leave() {
      clearEntitlements();   // a looked-up patient's pools do not stay on screen behind another tab
    },
    reset() {
      entered = false;
      clearEntitlements();
      settleForm.reset();
      settleHospital.readOnly = false;
      hideMessage(settleMsg);
      clear(settleResult);
    },
  };
}
