// 录入邮寄/现场申请: a waiver-office reviewer enters a claim that came by post (邮寄) or at the counter (现场):
// the donor looked up by ID → the claim saved as a draft → its documents uploaded → submitted into the queue.
import {
  CHANNEL_LABELS, CLAIM_STATUS_LABELS, DOCUMENT_KIND_LABELS, POOL_KIND_LABELS, RELATION_LABELS, bloodGroup, busy,
  byId, clear, coded, el, facts, field, fmtNumber, fmtTime, fmtYuan, hideMessage, lineEditor, select, shanghaiDay,
  shanghaiIso, shanghaiLocalNow, showMessage, statusBadge, table,
} from "./console-dom.js";
import { COMPONENT_OPTIONS } from "./console-hospital.js";

const MONEY = /^\d{1,8}(\.\d{1,2})?$/;
const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;       // the waiver service's limit (413 above it)
const DONOR_STATUS_LABELS = { active: "正常", deferred: "暂缓献血", permanently_deferred: "永久屏蔽" };

function readId(input) {
  const id = input.value.replace(/\s+/g, "").toUpperCase();
  input.value = "";           // raw IDs are never left in the page
  return id;
}

function note(box, kind, message) {
  const node = el("div", { class: "msg" });
  box.appendChild(node);
  showMessage(node, kind, message);
}

// onSubmitted(claim): the claim is in the review queue, the queue shows it; onKept(): a draft was kept.
export function claimEntry(ctx, { onSubmitted, onKept }) {
  const openButton = byId("entry-open");
  const card = byId("claim-entry");
  const form = byId("entry-form");
  const channel = byId("entry-channel");
  const mailBox = byId("entry-mail");
  const tracking = byId("entry-tracking");
  const received = byId("entry-received");
  const donorInput = byId("entry-donor-id");
  const donorLookup = byId("entry-donor-lookup");
  const donorBox = byId("entry-donor");
  const relation = byId("entry-relation");
  const relativeBox = byId("entry-relative");
  const patientId = byId("entry-patient-id");
  const conditions = byId("entry-conditions");
  const patientName = byId("entry-patient-name");
  const hospital = byId("entry-hospital");
  const hospitalSite = byId("entry-hospital-site");
  const admission = byId("entry-admission");
  const invoice = byId("entry-invoice");
  const bankName = byId("entry-bank-account-name");
  const bankNo = byId("entry-bank-account-no");
  const bankBank = byId("entry-bank-name");
  const create = byId("entry-create");
  const msg = byId("entry-msg");
  const docs = byId("entry-docs");
  const draftBox = byId("entry-draft");
  const requiredBox = byId("entry-required");
  const docKind = byId("entry-doc-kind");
  const docFile = byId("entry-doc-file");
  const docUpload = byId("entry-doc-upload");
  const docList = byId("entry-doc-list");
  const submit = byId("entry-submit");
  const docMsg = byId("entry-doc-msg");
  const another = byId("entry-another");
  const later = byId("entry-later");

  // The looked-up donor's raw ID lives only here, in memory, until the draft is saved (the claim then keeps
  // only a blind index and a mask): never in the page, the URL, storage or the console.
  let donorId = "";
  let donor = null;
  let draft = null;
  let required = [];
  let policies = null;

  for (const [code, label] of Object.entries(RELATION_LABELS)) {
    relation.appendChild(el("option", { value: code }, `${label} ${code}`));
  }
  for (const [code, label] of Object.entries(DOCUMENT_KIND_LABELS)) {
    docKind.appendChild(el("option", { value: code }, `${label} ${code}`));
  }

  function bloodLine() {
    const din = el("input", { type: "text", maxlength: "14", placeholder: "可不填", "aria-label": "献血条码 DIN" });
    const component = select(COMPONENT_OPTIONS, { value: "red_cells", label: "成分" });
    const volume = el("input", { type: "number", min: "1", max: "5000", step: "1", value: "200", "aria-label": "用量 (ml)" });
    const amount = el("input", { type: "text", maxlength: "11", placeholder: "0.00", "aria-label": "血费 (元)" });
    const insurance = el("input", { type: "text", maxlength: "11", placeholder: "0.00", "aria-label": "医保已付 (元)" });
    const at = el("input", { type: "datetime-local", value: shanghaiLocalNow(), "aria-label": "输血时间" });
    return {
      node: el("div", { class: "filters" }, field("献血条码", "din", din), field("成分", "component", component),
        field("用量 (ml)", "volume_ml", volume), field("血费 (元)", "amount_yuan", amount),
        field("医保已付 (元)", "insurance_paid_yuan", insurance), field("输血时间", "transfused_at", at)),
      read: () => {
        const line = { component: component.value, volume_ml: Number(volume.value), amount_yuan: amount.value.trim(),
          transfused_at: shanghaiIso(at.value) };
        if (din.value.trim()) {
          line.din = din.value.trim().toUpperCase();
        }
        if (insurance.value.trim()) {
          line.insurance_paid_yuan = insurance.value.trim();
        }
        return line;
      },
    };
  }
  const lines = lineEditor(byId("entry-lines"), byId("entry-add-line"), bloodLine);

  function showChannel() {
    mailBox.hidden = channel.value !== "mail";
  }

  function showRelation() {
    relativeBox.hidden = relation.value === "self";
    if (relation.value === "self" && donor && !patientName.value.trim()) {
      patientName.value = donor.name || "";
    }
  }

  function forgetDonor() {
    donorId = "";
    donor = null;
    donorInput.value = "";
    clear(donorBox);
  }

  async function lookupDonor() {
    clear(donorBox);
    const id = readId(donorInput);
    donorId = "";
    donor = null;
    if (id.length < 6 || id.length > 30) {
      note(donorBox, "error", "请输入 6–30 位献血者证件号码。");
      donorInput.focus();
      return;
    }
    await busy(donorLookup, async () => {
      try {
        const found = await ctx.call("donors", { query: { national_id: id } });
        if (!found.length) {
          note(donorBox, "error", "献血者库中没有该证件号码，请核对后重新输入。");
          return;
        }
        donor = found[0];
        donorId = id;
        donorBox.appendChild(facts([
          ["献血者", donor.name],
          ["证件（脱敏）", el("code", {}, donor.national_id_masked)],
          ["血型", bloodGroup(donor.abo, donor.rhd)],
          ["登记地区", donor.region],
          ["状态", DONOR_STATUS_LABELS[donor.status] || donor.status],
        ]));
        // What the donor's own pools have left (a relative's claim is paid from the family pools the approval
        // works out; they are not listed per relative before a binding exists).
        const ent = await ctx.call("entitlements", { query: { patient_national_id: id } });
        donorBox.appendChild(table([
          { label: "额度类型", value: (p) => coded(POOL_KIND_LABELS, p.kind) },
          { label: "献血地区", value: (p) => p.region },
          { label: "剩余额度", class: "num", value: (p) => (p.unlimited ? "不限量"
            : p.remaining_yuan !== undefined && p.remaining_yuan !== null ? fmtYuan(p.remaining_yuan)
              : `${fmtNumber(p.remaining_ml, 0)} ml`) },
          { label: "有效期至", value: (p) => p.window_ends || "—" },
        ], ent.pools || [], { empty: "该献血者暂无可用的减免额度", caption: "献血者剩余额度" }));
        showRelation();
      } catch (err) {
        note(donorBox, "error", err);
      }
    });
  }

  // The request body from the form; null (with what is missing shown) when it is incomplete.
  function body() {
    const patient = relation.value === "self" ? donorId : readId(patientId);
    const out = {
      channel: channel.value, relation: relation.value, patient_national_id: patient,
      patient_name: patientName.value.trim(), hospital_name: hospital.value.trim(), invoice_no: invoice.value.trim(),
      lines: lines.values(),
      bank: { account_name: bankName.value.trim(), account_no: bankNo.value.replace(/\s+/g, ""),
        bank_name: bankBank.value.trim() },
    };
    if (relation.value !== "self") {
      out.donor_national_id = donorId;
      out.relative_conditions_attested = conditions.checked;
    }
    if (hospitalSite.value.trim()) out.hospital_site_id = hospitalSite.value.trim();
    if (admission.value.trim()) out.admission_no = admission.value.trim();
    if (channel.value === "mail") {
      out.tracking_no = tracking.value.trim();
      if (received.value) out.received_on = received.value;
    }
    const problems = [];
    if (!donorId) problems.push("先查询献血者");
    if (relation.value !== "self" && (patient.length < 6 || patient.length > 30)) problems.push("患者证件号码（6–30 位）");
    if (!out.patient_name) problems.push("患者姓名");
    if (!out.hospital_name) problems.push("医院名称");
    if (!out.invoice_no) problems.push("发票号");
    if (channel.value === "mail" && !out.tracking_no) problems.push("快递单号");
    if (!out.lines.length) problems.push("至少一行用血明细");
    out.lines.forEach((line, i) => {
      if (!MONEY.test(line.amount_yuan)) problems.push(`第 ${i + 1} 行血费（元，两位小数）`);
      if (!(line.volume_ml > 0)) problems.push(`第 ${i + 1} 行用量`);
      if (!line.transfused_at) problems.push(`第 ${i + 1} 行输血时间`);
    });
    if (!out.bank.account_name || !out.bank.bank_name) problems.push("收款户名和开户银行");
    if (!/^\d{8,30}$/.test(out.bank.account_no)) problems.push("银行账号（8–30 位数字）");
    if (problems.length) {
      const again = relation.value !== "self" ? "患者证件号码已从输入框清除，请重新输入。" : "";
      showMessage(msg, "error", `请填写：${problems.join("、")}。${again}`);
      return null;
    }
    return out;
  }

  async function requiredKinds(claim) {
    if (policies === null) {
      policies = await ctx.call("policies");
    }
    const policy = policies.find((p) => p.region === (claim.handling_region || claim.region)) || {};
    const docsByRelation = policy.required_documents || {};
    return docsByRelation[claim.relation === "self" ? "self" : "relative"] || [];
  }

  function renderDraft() {
    const present = new Set((draft.documents || []).map((d) => d.kind));
    clear(draftBox);
    draftBox.appendChild(facts([
      ["申请编号", el("code", { class: "id" }, draft.id)],
      ["状态", statusBadge(CLAIM_STATUS_LABELS, draft.status)],
      ["渠道", coded(CHANNEL_LABELS, draft.channel)],
      ["快递单号", draft.tracking_no],
      ["收件日期", draft.received_on],
      ["患者", `${draft.patient_name}（${draft.patient_national_id_masked}）`],
      ["与献血者关系", coded(RELATION_LABELS, draft.relation)],
      ["申请金额", fmtYuan(draft.total_yuan)],
      ["受理及付款地区", draft.handling_region || draft.region],
    ]));
    clear(requiredBox);
    const missing = required.filter((k) => !present.has(k));
    requiredBox.appendChild(el("p", {}, required.length
      ? `该地区政策要求的材料（${required.length} 项，还缺 ${missing.length} 项）：` : "该地区政策未要求必交材料。"));
    requiredBox.appendChild(el("ul", { class: "doc-checklist" }, required.map((k) => el("li",
      { "data-kind": k, "data-present": present.has(k) ? "yes" : "no" },
      present.has(k) ? "✓ 已上传　" : "✗ 待上传　", coded(DOCUMENT_KIND_LABELS, k)))));
    if (missing.length && !missing.includes(docKind.value)) {
      docKind.value = missing[0];
    }
    clear(docList);
    docList.appendChild(table([
      { label: "类型", value: (d) => coded(DOCUMENT_KIND_LABELS, d.kind) },
      { label: "文件名", value: (d) => d.filename || "—" },
      { label: "格式", value: (d) => d.content_type || "—" },
      { label: "大小", class: "num", value: (d) => `${fmtNumber(d.size / 1024, 1)} KB` },
      { label: "上传时间", value: (d) => fmtTime(d.uploaded_at) },
    ], draft.documents || [], { empty: "尚未上传材料" }));
  }

  async function showDraft(claim) {
    draft = claim;
    try {
      required = await requiredKinds(claim);
    } catch (err) {
      required = [];
      showMessage(docMsg, "error", err);     // the list is a help; submitting still checks
    }
    renderDraft();
    docs.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(msg);
    const payload = body();
    if (!payload) {
      return;
    }
    await busy(create, async () => {
      try {
        const claim = await ctx.call("createClaim", { body: payload });
        forgetDonor();                 // saved: the claim keeps only masks from here on
        form.hidden = true;
        showMessage(msg, "ok", `草稿已保存（${claim.id}），请上传材料后提交审核。`);
        await showDraft(claim);
        docKind.focus();
      } catch (err) {
        showMessage(msg, "error", err);
        if (payload.relation !== "self") {
          msg.appendChild(el("p", {}, "患者证件号码已从输入框清除，请重新输入。"));
        }
      }
    });
  });

  docUpload.addEventListener("click", async () => {
    hideMessage(docMsg);
    const file = docFile.files && docFile.files[0];
    if (!draft) {
      return;
    }
    if (!file) {
      showMessage(docMsg, "error", "请选择要上传的文件（PDF、JPEG 或 PNG）。");
      docFile.focus();
      return;
    }
    // Said before sending 10 MB the service would refuse; the type is judged by the service from the content.
    if (file.size > MAX_DOCUMENT_BYTES) {
      showMessage(docMsg, "error", `文件 ${file.name} 为 ${fmtNumber(file.size / 1048576, 1)} MB，超过 10 MB 上限，请压缩或分页扫描后上传。`);
      docFile.value = "";
      return;
    }
    const data = new FormData();
    data.append("kind", docKind.value);
    data.append("file", file, file.name);
    await busy(docUpload, async () => {
      try {
        const doc = await ctx.call("uploadClaimDocument", { params: { claim_id: draft.id }, body: data });
        draft = { ...draft, documents: [...(draft.documents || []), doc] };
        docFile.value = "";
        renderDraft();
        showMessage(docMsg, "ok", `已上传${DOCUMENT_KIND_LABELS[doc.kind] || doc.kind}：${doc.filename || file.name}。`);
      } catch (err) {
        showMessage(docMsg, "error", err);
      }
    });
  });

  submit.addEventListener("click", async () => {
    hideMessage(docMsg);
    if (!draft) {
      return;
    }
    await busy(submit, async () => {
      try {
        const claim = await ctx.call("submitClaim", { params: { claim_id: draft.id } });
        const id = claim.id;
        close();
        showMessage(msg, "ok", `申请 ${id} 已提交，已进入待审核队列。`);
        another.hidden = false;
        await onSubmitted(claim);
      } catch (err) {
        if (err.code === "missing_documents" && err.problem && Array.isArray(err.problem.missing)) {
          const names = err.problem.missing.map((k) => DOCUMENT_KIND_LABELS[k] || k);
          showMessage(docMsg, "error", `${err.title}：${names.join("、")}。申请仍为草稿，请补齐后再提交。`);
        } else {
          showMessage(docMsg, "error", err);
        }
      }
    });
  });

  // Back to an empty form (the draft, if not submitted, stays in the queue under 草稿).
  function close() {
    forgetDonor();
    patientId.value = "";
    bankNo.value = "";
    draft = null;
    required = [];
    docs.hidden = true;
    form.hidden = false;
    form.reset();
    lines.reset();
    showChannel();
    showRelation();
    received.value = "";
    received.max = shanghaiDay();
    clear(draftBox);
    clear(requiredBox);
    clear(docList);
    hideMessage(docMsg);
  }

  function toggle(open) {
    card.hidden = !open;
    openButton.setAttribute("aria-expanded", String(open));
    if (open) {
      received.max = shanghaiDay();
      channel.focus();
    } else {
      forgetDonor();
    }
  }

  channel.addEventListener("change", showChannel);
  relation.addEventListener("change", showRelation);
  donorLookup.addEventListener("click", lookupDonor);
  donorInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {       // Enter in the ID looks the donor up rather than saving the claim
      event.preventDefault();
      lookupDonor();
    }
  });
  openButton.addEventListener("click", () => toggle(card.hidden));
  byId("entry-cancel").addEventListener("click", () => {
    close();
    hideMessage(msg);
    toggle(false);
  });
  // The draft stays in the queue (状态 草稿); 继续上传材料 in its detail brings it back here.
  later.addEventListener("click", () => {
    const id = draft && draft.id;
    close();
    showMessage(msg, "info", `草稿 ${id} 已保留：在下方按“草稿”状态查询、查看，可继续上传材料。`);
    onKept();
  });
  another.addEventListener("click", () => {
    another.hidden = true;
    hideMessage(msg);
    close();
    channel.focus();
  });
  lines.reset();
  showChannel();
  showRelation();

  return {
    // A draft the office saved earlier, back on the entry card to finish its documents.
    async resume(claim) {
      close();
      hideMessage(msg);
      another.hidden = true;
      toggle(true);
      form.hidden = true;
      await showDraft(claim);
      card.scrollIntoView({ block: "start" });
      docKind.focus();
    },
    leave() {
      forgetDonor();
      patientId.value = "";
    },
    reset() {
      close();
      hideMessage(msg);
      another.hidden = true;
      policies = null;
      toggle(false);
    },
  };
}
