// 出院直免 (the discharge desk): look up → preview the deduction → confirm → print the Chinese receipt → reverse.
import {
  COMPONENT_LABELS, DEDUCTION_STATUS_LABELS, LINE_REASON_LABELS, POOL_KIND_LABELS, RELATION_LABELS, bloodGroup,
  busy, byId, clear, coded, el, facts, field, fmtNumber, fmtTime, fmtYuan, hideMessage, lineEditor, printPart, select,
  shanghaiIso, shanghaiLocalNow, showMessage, statusBadge, table,
} from "./console-dom.js";
import { COMPONENT_OPTIONS } from "./console-hospital.js";

const MONEY = /^\d{1,8}(\.\d{1,2})?$/;

function readId(input) {
  const id = input.value.replace(/\s+/g, "").toUpperCase();
  input.value = "";           // raw IDs are never left in the page
  return id;
}

// A new key per confirmed deduction: a retry of the same confirmation replays, never deducts twice.
function idempotencyKey() {
  return `console-${crypto.randomUUID()}`;
}

export function dischargeView(ctx) {
  const form = byId("discharge-form");
  const patientId = byId("discharge-patient-id");
  const patientName = byId("discharge-patient-name");
  const admission = byId("discharge-admission");
  const relation = byId("discharge-relation");
  const relativeBox = byId("discharge-relative");
  const donorId = byId("discharge-donor-id");
  const attested = byId("discharge-attested");
  const proof = byId("discharge-proof");
  const conditions = byId("discharge-conditions");
  const lookup = byId("discharge-lookup");
  const previewButton = byId("discharge-preview");
  const msg = byId("discharge-msg");
  const poolsBox = byId("discharge-pools");
  const result = byId("discharge-result");
  const findForm = byId("deduction-find-form");
  const findId = byId("deduction-find-id");
  const findSubmit = byId("deduction-find-submit");
  let transfused = [];        // this hospital's transfused bags, offered as lines
  let pending = null;         // {body, key} between a preview and its confirmation
  let hospitalName = null;
  let entered = false;

  for (const [code, label] of Object.entries(RELATION_LABELS)) {
    relation.appendChild(el("option", { value: code }, `${label} ${code}`));
  }

  function bloodLine() {
    const unit = select([["", "手工录入（无血袋）"], ...transfused.map((u) =>
      [u.id, `${u.din} ${COMPONENT_LABELS[u.component] || u.component} ${bloodGroup(u.abo, u.rhd)}`])], { label: "血袋" });
    const component = select(COMPONENT_OPTIONS, { value: "red_cells", label: "成分" });
    const volume = el("input", { type: "number", min: "1", max: "5000", step: "1", value: "200", "aria-label": "用量 (ml)" });
    const amount = el("input", { type: "text", maxlength: "11", placeholder: "0.00", "aria-label": "血费 (元)" });
    const insurance = el("input", { type: "text", maxlength: "11", placeholder: "0.00", "aria-label": "医保已付 (元)" });
    const at = el("input", { type: "datetime-local", value: shanghaiLocalNow(), "aria-label": "输血时间" });
    unit.addEventListener("change", () => {
      const chosen = transfused.find((u) => u.id === unit.value);
      if (chosen) {
        component.value = chosen.component;
        volume.value = String(chosen.volume_ml || volume.value);
      }
    });
    return {
      node: el("div", { class: "filters" }, field("血袋", "unit_id", unit), field("成分", "component", component),
        field("用量 (ml)", "volume_ml", volume), field("血费 (元)", "amount_yuan", amount),
        field("医保已付 (元)", "insurance_paid_yuan", insurance), field("输血时间", "transfused_at", at)),
      read: () => {
        const chosen = transfused.find((u) => u.id === unit.value);
        const line = { component: component.value, volume_ml: Number(volume.value), amount_yuan: amount.value.trim(),
          transfused_at: shanghaiIso(at.value) };
        if (chosen) {
          line.unit_id = chosen.id;
        }
        if (insurance.value.trim()) {
          line.insurance_paid_yuan = insurance.value.trim();
        }
        return line;
      },
    };
  }
  const lines = lineEditor(byId("discharge-lines"), byId("discharge-add-line"), bloodLine);

  function drop() {
    pending = null;
  }

  // The body of the request from the form; null (with the reason shown) when something is missing.
  function body() {
    const id = readId(patientId);
    const donor = readId(donorId);
    const out = { patient_national_id: id, patient_name: patientName.value.trim(), admission_no: admission.value.trim(),
      relation: relation.value, lines: lines.values() };
    if (out.relation !== "self") {
      Object.assign(out, { donor_national_id: donor, relation_attested: attested.checked,
        relative_conditions_attested: conditions.checked });
      if (proof.value.trim()) {
        out.proof_ref = proof.value.trim();
      }
    }
    const problems = [];
    if (id.length < 6 || id.length > 30) problems.push("患者证件号码（6–30 位）");
    if (!out.patient_name) problems.push("患者姓名");
    if (!out.admission_no) problems.push("住院号");
    if (out.relation !== "self" && donor.length < 6) problems.push("献血者证件号码");
    if (!out.lines.length) problems.push("至少一行用血明细");
    out.lines.forEach((line, i) => {
      if (!MONEY.test(line.amount_yuan)) problems.push(`第 ${i + 1} 行血费（元，两位小数）`);
      if (!(line.volume_ml > 0)) problems.push(`第 ${i + 1} 行用量`);
      if (!line.transfused_at) problems.push(`第 ${i + 1} 行输血时间`);
    });
    if (problems.length) {
      showMessage(msg, "error", `请填写：${problems.join("、")}。证件号码已从输入框清除，请重新输入。`);
      return null;
    }
    return out;
  }

  function linesTable(d) {
    return table([
      { label: "成分", value: (l) => coded(COMPONENT_LABELS, l.component) },
      { label: "DIN / 血袋", value: (l) => el("code", { class: "id" },
        l.din || (transfused.find((u) => u.id === l.unit_id) || {}).din || l.unit_id || "—") },
      { label: "用量 (ml)", class: "num", value: (l) => fmtNumber(l.volume_ml, 0) },
      { label: "血费", class: "num", value: (l) => fmtYuan(l.amount_yuan) },
      { label: "医保已付", class: "num", value: (l) => fmtYuan(l.insurance_paid_yuan) },
      { label: "减免 (ml)", class: "num", value: (l) => fmtNumber(l.waived_ml, 0) },
      { label: "减免金额", class: "num", value: (l) => fmtYuan(l.waived_yuan) },
      { label: "说明", value: (l) => (l.reason ? coded(LINE_REASON_LABELS, l.reason) : "") },
    ], d.lines || [], { empty: "无明细" });
  }

  function totals(d) {
    return facts([
      ["血费合计", fmtYuan(d.total_yuan)],
      ["医保已付", fmtYuan(d.insurance_paid_yuan)],
      ["本次减免", el("strong", { class: "waived" }, fmtYuan(d.waived_yuan))],
      ["患者自付", el("strong", {}, fmtYuan(d.patient_pays_yuan))],
      ["使用额度", (d.pools_used || []).map((p) =>
        `${p.region} ${POOL_KIND_LABELS[p.kind] || p.kind} ${p.donor_masked || ""} ${fmtNumber(p.ml, 0)} ml`).join("；") || "—"],
    ]);
  }

  function renderPreview(d) {
    clear(result);
    const confirm = el("button", { type: "button", id: "discharge-confirm" }, "确认直免");
    const cancel = el("button", { type: "button", class: "secondary" }, "放弃");
    result.appendChild(el("div", { class: "card", id: "discharge-preview-card" },
      el("h3", {}, "扣减预览（尚未扣减）"), totals(d), linesTable(d),
      el("div", { class: "actions" }, confirm, cancel)));
    confirm.addEventListener("click", () => apply(confirm));
    cancel.addEventListener("click", () => {
      drop();
      clear(result);
    });
  }

  async function siteName() {
    if (hospitalName === null) {
      try {
        hospitalName = (await ctx.call("site", { params: { site_id: ctx.session().site_id } })).name || "";
      } catch (_err) {
        hospitalName = "";      // the receipt still prints with the site code
      }
    }
    return hospitalName;
  }

  async function renderReceipt(d) {
    const name = await siteName();
    clear(result);
    const receipt = el("div", { class: "card receipt", id: "discharge-receipt" },
      el("h3", { class: "receipt-title" }, "无偿献血者临床用血费用直免结算单"),
      facts([
        ["医院", [name, " ", el("code", {}, d.hospital_id || ctx.session().site_id)]],
        ["直免单号", el("code", { class: "id" }, d.id)],
        ["状态", statusBadge(DEDUCTION_STATUS_LABELS, d.status)],
        ["患者", d.patient_name],
        ["患者证件（脱敏）", el("code", {}, d.patient_national_id_masked)],
        ["住院号", d.admission_no],
        ["与献血者关系", coded(RELATION_LABELS, d.relation)],
        ["直免时间", fmtTime(d.applied_at)],
        d.status === "reversed" ? ["冲正时间", fmtTime(d.reversed_at)] : null,
        d.status === "reversed" ? ["冲正理由", d.reverse_reason] : null,
      ].filter(Boolean)),
      linesTable(d), totals(d),
      el("p", { class: "signature" }, "患者或家属签字：＿＿＿＿＿＿　　经办人：＿＿＿＿＿＿　　（时间为北京时间）"));
    const print = el("button", { type: "button", id: "receipt-print" }, "打印结算单");
    print.addEventListener("click", () => printPart(receipt));
    const actions = el("div", { class: "actions no-print" }, print);
    if (d.status === "applied") {
      const reason = el("textarea", { id: "reverse-reason", rows: "2", maxlength: "500", "aria-label": "冲正理由" });
      const reverse = el("button", { type: "button", id: "reverse-submit", class: "danger" }, "冲正（退回额度）");
      reverse.addEventListener("click", () => reverseDeduction(d, reason, reverse));
      actions.appendChild(el("div", { class: "reverse-box" }, field("冲正理由", "reason", reason), reverse));
    }
    result.appendChild(receipt);
    result.appendChild(actions);
  }

  async function apply(button) {
    if (!pending || !ctx.confirm(`确认按预览结果直免？将从献血者额度中扣减。`)) {
      return;
    }
    hideMessage(msg);
    await busy(button, async () => {
      try {
        const applied = await ctx.call("applyDeduction", { body: pending.body, headers: { "Idempotency-Key": pending.key } });
        drop();
        await renderReceipt(applied);
        showMessage(msg, "ok", `直免成功：减免 ${fmtYuan(applied.waived_yuan)}，患者自付 ${fmtYuan(applied.patient_pays_yuan)}。`);
      } catch (err) {
        showMessage(msg, "error", err);    // the same key again on retry: never deducted twice
      }
    });
  }

  async function reverseDeduction(d, reasonInput, button) {
    const reason = reasonInput.value.trim();
    if (!reason) {
      showMessage(msg, "error", "请填写冲正理由。");
      reasonInput.focus();
      return;
    }
    if (!ctx.confirm("确认冲正该直免单？额度将退回献血者。")) {
      return;
    }
    hideMessage(msg);
    await busy(button, async () => {
      try {
        const reversed = await ctx.call("reverseDeduction", { params: { deduction_id: d.id }, body: { reason } });
        await renderReceipt(reversed);
        showMessage(msg, "ok", "已冲正，额度已退回。");
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(msg);
    drop();
    clear(result);
    const b = body();
    if (!b) {
      return;
    }
    await busy(previewButton, async () => {
      try {
        const preview = await ctx.call("previewDeduction", { body: b });
        pending = { body: b, key: idempotencyKey() };
        renderPreview(preview);
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  });
  // Any change after a preview makes it stale: the confirmation must show what will be deducted.
  form.addEventListener("input", () => {
    if (pending) {
      drop();
      clear(result);
      showMessage(msg, "info", "内容已修改，请重新预览（证件号码须重新输入）。");
    }
  });
  relation.addEventListener("change", () => {
    relativeBox.hidden = relation.value === "self";
  });

  lookup.addEventListener("click", async () => {
    hideMessage(msg);
    clear(poolsBox);
    const id = readId(patientId);
    if (id.length < 6 || id.length > 30) {
      showMessage(msg, "error", "请输入 6–30 位患者证件号码。");
      return;
    }
    await busy(lookup, async () => {
      try {
        const found = await ctx.call("entitlements", { query: { patient_national_id: id } });
        poolsBox.appendChild(table([
          { label: "额度类型", value: (p) => coded(POOL_KIND_LABELS, p.kind) },
          { label: "献血地区", value: (p) => p.region },
          { label: "献血者（脱敏）", value: (p) => el("code", {}, p.donor_masked || "—") },
          { label: "关系", value: (p) => coded(RELATION_LABELS, p.relation) },
          { label: "剩余额度 (ml)", class: "num", value: (p) => (p.unlimited ? "不限量" : fmtNumber(p.remaining_ml, 0)) },
        ], found.pools || [], { empty: "未找到可用的减免额度", caption: `患者${found.patient_is_donor ? "是" : "不是"}献血者；证件号码已清除，预览前请重新输入` }));
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  });

  findForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(msg);
    const id = findId.value.trim();
    if (!id) {
      showMessage(msg, "error", "请输入直免单号。");
      return;
    }
    await busy(findSubmit, async () => {
      try {
        drop();
        await renderReceipt(await ctx.call("deduction", { params: { deduction_id: id } }));
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  });

  async function loadTransfused() {
    try {
      transfused = await ctx.call("units", { query: { site_id: ctx.session().site_id, status: "transfused" } });
    } catch (err) {
      transfused = [];
      showMessage(msg, "error", err);
    }
  }

  return {
    async enter() {
      if (!entered) {
        entered = true;
        await loadTransfused();
        lines.reset();
      }
    },
    leave() {
      drop();
      clear(poolsBox);
    },
    reset() {
      entered = false;
      drop();
      transfused = [];
      hospitalName = null;
      form.reset();
      findForm.reset();
      relativeBox.hidden = true;
      hideMessage(msg);
      clear(poolsBox);
      clear(result);
      clear(byId("discharge-lines"));
    },
  };
}
