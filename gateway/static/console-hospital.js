// 订血与输血 (a hospital orders from its supplying station, checks what arrived, records transfusions).
import { APPROVAL_STATUS_LABELS } from "./console-safety.js";
import {
  ABO_GROUPS, COMPONENT_LABELS, ORDER_STATUS_LABELS, PRIORITY_LABELS, UNIT_STATUS_LABELS, bloodGroup, busy, byId,
  clear, coded, el, facts, field, fmtNumber, fmtTime, hideMessage, lineEditor, printPart, select, shanghaiIso,
  shanghaiLocalNow, showMessage, statusBadge, table,
} from "./console-dom.js";

export const COMPONENT_OPTIONS = Object.entries(COMPONENT_LABELS).map(([code, label]) => [code, `${label} ${code}`]);
const ABO_OPTIONS = ABO_GROUPS.map((g) => [g, g]);
const RHD_OPTIONS = [["pos", "RhD+ pos"], ["neg", "RhD− neg"]];

function orderLine() {
  const component = select(COMPONENT_OPTIONS, { value: "red_cells", label: "成分" });
  const abo = select(ABO_OPTIONS, { value: "O", label: "ABO 血型" });
  const rhd = select(RHD_OPTIONS, { value: "pos", label: "RhD" });
  const units = el("input", { type: "number", min: "0.5", max: "100", step: "0.5", value: "2", "aria-label": "数量 (U)" });
  return {
    node: el("div", { class: "filters" }, field("成分", "component", component), field("ABO", "abo", abo),
      field("RhD", "rhd", rhd), field("数量 (U)", "units", units)),
    read: () => ({ component: component.value, abo: abo.value, rhd: rhd.value, units: Number(units.value) }),
  };
}

export function hospitalView(ctx) {
  const orderForm = byId("order-form");
  const orderLines = lineEditor(byId("order-lines"), byId("order-add-line"), orderLine);
  const priority = byId("order-priority");
  const orderSubmit = byId("order-submit");
  const orderMsg = byId("order-msg");
  const orderResult = byId("order-result");
  const receivedForm = byId("received-form");
  const receivedStatus = byId("received-status");
  const receivedSubmit = byId("received-submit");
  const receivedMsg = byId("received-msg");
  const receivedResult = byId("received-result");
  const tBox = byId("transfusion-box");
  const tForm = byId("transfusion-form");
  const tUnit = byId("transfusion-unit");
  const tPatientId = byId("transfusion-patient-id");
  const tPatientName = byId("transfusion-patient-name");
  const tAt = byId("transfusion-at");
  const tSubmit = byId("transfusion-submit");
  const tMsg = byId("transfusion-msg");
  let loaded = false;
  let transfusing = null;

  function renderOrder(order) {
    clear(orderResult);
    orderResult.appendChild(el("div", { class: "card", id: "order-card" },
      facts([
        ["订单编号", el("code", { class: "id" }, order.id)],
        ["状态", statusBadge(ORDER_STATUS_LABELS, order.status)],
        ["紧急程度", coded(PRIORITY_LABELS, order.priority)],
        ["供血血站", el("code", {}, order.supplier_id)],
        ["下单时间", fmtTime(order.created_at)],
        order.approval ? ["临床审批", [statusBadge(APPROVAL_STATUS_LABELS, order.approval.status),
          ` 患者当日累计 ${order.approval.day_total_ml} ml，须 ${order.approval.required_title}`]] : null,
      ].filter(Boolean)),
      table([
        { label: "成分", value: (l) => coded(COMPONENT_LABELS, l.component) },
        { label: "血型", value: (l) => bloodGroup(l.abo, l.rhd) },
        { label: "申请 (U)", class: "num", value: (l) => fmtNumber(l.units, 2) },
        { label: "常规削减", class: "num", value: (l) => (l.cut_percent ? `${fmtNumber(l.cut_percent, 0)}%` : "—") },
        { label: "已配发 (U)", class: "num", value: (l) => fmtNumber(l.allocated_units, 2) },
        { label: "缺口 (U)", class: "num", value: (l) => fmtNumber(l.shortfall_units, 2) },
        { label: "替代血型", value: (l) => (l.substitutions || []).map((s) => `${bloodGroup(s.abo, s.rhd)} ${fmtNumber(s.units, 2)}U`).join("；") || "—" },
      ], order.lines || [], { caption: "订单明细" }),
      unitsTable(order.allocations || [], { empty: "本次未配发血液（缺货待配）", caption: "配发血袋" })));
  }

  function unitsTable(units, options) {
    return table([
      { label: "DIN", value: (u) => el("code", { class: "id" }, u.din) },
      { label: "成分", value: (u) => coded(COMPONENT_LABELS, u.component) },
      { label: "血型", value: (u) => bloodGroup(u.abo, u.rhd) },
      { label: "数量 (U)", class: "num", value: (u) => fmtNumber(u.units, 2) },
      { label: "容量 (ml)", class: "num", value: (u) => fmtNumber(u.volume_ml, 0) },
      { label: "失效时间", value: (u) => fmtTime(u.expires_at) },
    ], units, options);
  }

  orderForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(orderMsg);
    const lines = orderLines.values();
    if (!lines.length || lines.some((l) => !(l.units > 0))) {
      showMessage(orderMsg, "error", "请至少填写一行，数量须大于 0。");
      return;
    }
    // An order for a named patient counts toward that patient's day (tiered approval, #22); the ID is sent and
    // forgotten, never shown or kept in the page.
    const body = { lines, priority: priority.value };
    const patientId = byId("order-patient-id").value.trim();
    const level = byId("order-approval-level").value;
    const approver = byId("order-approver").value.trim();
    if (patientId) {
      body.patient_national_id = patientId;
      if (level) {
        if (!approver) {
          showMessage(orderMsg, "error", "选择了审批级别时须填写审批人。");
          return;
        }
        body.clinical_approval = { level, approver_name: approver };
      }
    }
    byId("order-patient-id").value = "";
    await busy(orderSubmit, async () => {
      try {
        const order = await ctx.call("createOrder", { body });
        renderOrder(order);
        showMessage(orderMsg, order.status === "fulfilled" ? "ok" : "info",
          `订单已提交：${ORDER_STATUS_LABELS[order.status] || order.status}，配发 ${(order.allocations || []).length} 袋。`);
        loadReceived();
      } catch (err) {
        showMessage(orderMsg, "error", err);
      }
    });
  });

  // Delivered bags grouped by the order that brought them: tracking and the signed delivery note.
  function renderReceived(units) {
    clear(receivedResult);
    const byOrder = new Map();
    for (const unit of units) {
      const key = unit.order_id || unit.transfer_id || "—";
      if (!byOrder.has(key)) {
        byOrder.set(key, []);
      }
      byOrder.get(key).push(unit);
    }
    if (!byOrder.size) {
      receivedResult.appendChild(el("p", { class: "empty" }, receivedStatus.value === "issued" ? "本院暂无未输注的血液" : "暂无输注记录"));
      return;
    }
    for (const [orderId, bags] of byOrder) {
      const note = el("div", { class: "card delivery", "data-order": orderId },
        el("h3", {}, "签收单 · 订单 ", el("code", { class: "id" }, orderId)),
        el("p", { class: "hint" }, `${bags.length} 袋，合计 ${fmtNumber(bags.reduce((s, u) => s + Number(u.units || 0), 0), 2)} U；`,
          `状态 ${UNIT_STATUS_LABELS[receivedStatus.value]}`),
        table([
          { label: "DIN", value: (u) => el("code", { class: "id" }, u.din) },
          { label: "成分", value: (u) => coded(COMPONENT_LABELS, u.component) },
          { label: "血型", value: (u) => bloodGroup(u.abo, u.rhd) },
          { label: "数量 (U)", class: "num", value: (u) => fmtNumber(u.units, 2) },
          { label: "失效时间", value: (u) => fmtTime(u.expires_at) },
          { label: "操作", class: "no-print", value: (u) => (u.status === "issued"
            ? el("button", { type: "button", class: "small", "data-unit": u.id, onclick: () => startTransfusion(u) }, "登记输血")
            : "—") },
        ], bags),
        el("p", { class: "signature" }, "接收人签字：＿＿＿＿＿＿　　核对时间：＿＿＿＿＿＿"));
      const print = el("button", { type: "button", class: "secondary small no-print" }, "打印签收单");
      print.addEventListener("click", () => printPart(note));
      note.appendChild(print);
      receivedResult.appendChild(note);
    }
  }

  async function loadReceived(keepMessage = false) {
    if (!keepMessage) {
      hideMessage(receivedMsg);
    }
    await busy(receivedSubmit, async () => {
      try {
        const units = await ctx.call("units", { query: { site_id: ctx.session().site_id, status: receivedStatus.value } });
        loaded = true;
        renderReceived(units);
      } catch (err) {
        showMessage(receivedMsg, "error", err);
      }
    });
  }

  function startTransfusion(unit) {
    transfusing = unit;
    clear(tUnit);
    tUnit.appendChild(document.createTextNode(`${unit.din}（${COMPONENT_LABELS[unit.component] || unit.component} ${bloodGroup(unit.abo, unit.rhd)}）`));
    tPatientId.value = "";
    tPatientName.value = "";
    tAt.value = shanghaiLocalNow();
    hideMessage(tMsg);
    tBox.hidden = false;
    tPatientId.focus();
  }

  function closeTransfusion() {
    transfusing = null;
    tPatientId.value = "";
    tPatientName.value = "";
    tBox.hidden = true;
  }

  tForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(tMsg);
    const id = tPatientId.value.replace(/\s+/g, "").toUpperCase();
    tPatientId.value = "";     // the raw ID goes into this one request only
    const name = tPatientName.value.trim();
    if (!transfusing || id.length < 6 || !name || !tAt.value) {
      showMessage(tMsg, "error", "请填写患者证件号码（6–30 位）、姓名和输血时间。");
      return;
    }
    await busy(tSubmit, async () => {
      try {
        const done = await ctx.call("recordTransfusion", { body: {
          unit_id: transfusing.id, patient_national_id: id, patient_name: name, transfused_at: shanghaiIso(tAt.value) } });
        closeTransfusion();
        showMessage(receivedMsg, "ok", `已登记输血：血袋 ${done.unit ? done.unit.din : done.unit_id}，患者 ${done.patient_masked || ""}。`);
        await loadReceived(true);
      } catch (err) {
        showMessage(tMsg, "error", err);
      }
    });
  });
  byId("transfusion-cancel").addEventListener("click", closeTransfusion);
  receivedForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadReceived();
  });

  return {
    enter() {
      if (!loaded) {
        orderLines.reset();
        loadReceived();
      }
    },
    leave: closeTransfusion,
    reset() {
      loaded = false;
      closeTransfusion();
      orderForm.reset();
      receivedForm.reset();
      [orderMsg, receivedMsg, tMsg].forEach(hideMessage);
      clear(orderResult);
      clear(receivedResult);
      clear(byId("order-lines"));
    },
  };
}
