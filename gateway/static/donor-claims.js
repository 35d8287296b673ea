// 用血报销: the donor's claims (channel mini_program), a new claim, its documents photographed and uploaded,
// submitted, and its status followed.
import { tell } from "./donor-api.js";
import {
  CLAIM_STATUS_LABELS, COMPONENT_LABELS, DOCUMENT_KIND_LABELS, RELATION_LABELS, busy, byId, el, fmtTime, fmtYuan,
  hideMessage, shanghaiIso, shanghaiLocalNow, statusBadge,
} from "./console-dom.js";
import { PhotoError, preparePhoto, sizeText } from "./donor-photo.js";

const STEPS = ["draft", "submitted", "approved", "paid"];

// The inputs of the claim form: [element id, the label the donor reads (for "请填写" and field errors), required].
const FORM_FIELDS = {
  relation: ["claim-relation", "用血者是您的", true],
  patient_name: ["claim-patient-name", "用血者姓名", true],
  patient_national_id: ["claim-patient-id", "用血者身份证件号码", true],
  hospital_name: ["claim-hospital", "用血医院", true],
  admission_no: ["claim-admission", "住院号", false],
  invoice_no: ["claim-invoice", "发票号码", true],
  component: ["claim-component", "血液品种", true],
  volume_ml: ["claim-volume", "用血量", true],
  amount_yuan: ["claim-amount", "血费金额", true],
  transfused_at: ["claim-transfused", "输血时间", true],
  account_name: ["claim-account-name", "户名", true],
  account_no: ["claim-account-no", "银行卡号", true],
  bank_name: ["claim-bank", "开户银行", true],
};

function ident(text) {
  return el("span", { class: "ident" }, text);
}

function pairs(list) {
  return el("dl", { class: "facts" }, list.filter(Boolean).map(([label, value]) =>
    el("div", { class: "fact" }, el("dt", {}, label), el("dd", {}, value === null || value === undefined ? "—" : value))));
}

function steps(status) {
  const path = status === "rejected" ? ["draft", "submitted", "rejected"] : STEPS;
  const at = path.indexOf(status);
  return el("ol", { class: "steps", "aria-label": "办理进度" }, path.map((s, i) =>
    el("li", { class: i < at ? "step done" : i === at ? "step current" : "step", "aria-current": i === at ? "step" : null },
      CLAIM_STATUS_LABELS[s])));
}

export function claimsView(ctx) {
  const msg = byId("claims-msg");
  const listPart = byId("claims-list-part");
  const list = byId("claims-list");
  const form = byId("claim-form");
  const formMsg = byId("claim-form-msg");
  const create = byId("claim-create");
  const detail = byId("claim-detail");
  const body = byId("claim-detail-body");
  const detailMsg = byId("claim-msg");
  const docsPart = byId("claim-docs-part");
  const upload = byId("claim-upload");
  const checklist = byId("claim-checklist");
  const documents = byId("claim-documents");
  const kindSelect = byId("doc-kind");
  const pickers = [byId("doc-camera"), byId("doc-file")];
  const submit = byId("claim-submit");
  const refresh = byId("claim-refresh");
  const relation = byId("claim-relation");
  const attest = byId("claim-attest");
  const attestLabel = byId("claim-attest-label");
  let policies = null;
  let claim = null;

  relation.replaceChildren(...Object.entries(RELATION_LABELS).map(([code, label]) =>
    el("option", { value: code }, code === "self" ? "本人" : label)));
  byId("claim-component").replaceChildren(...Object.entries(COMPONENT_LABELS).map(([code, label]) =>
    el("option", { value: code }, label)));

  function mode(which) {
    listPart.hidden = which !== "list";
    form.hidden = which !== "form";
    detail.hidden = which !== "detail";
  }

  // ---- the list --------------------------------------------------------------------------------------------

  async function showList() {
    mode("list");
    list.setAttribute("aria-busy", "true");
    list.replaceChildren(el("p", { class: "loading" }, "正在加载…"));
    try {
      const claims = await ctx.call("myClaims");
      list.removeAttribute("aria-busy");
      if (!claims.length) {
        list.replaceChildren(el("p", { class: "empty card" }, "还没有报销申请。"));
        return;
      }
      list.replaceChildren(el("ul", { class: "claim-list" }, claims.map((c) => el("li", {},
        el("button", { type: "button", class: "claim-item", "data-claim": c.id,
          "aria-label": `查看 ${c.patient_name} 的报销申请，${CLAIM_STATUS_LABELS[c.status] || c.status}` },
        el("span", { class: "record-head" },
          el("strong", {}, `${c.patient_name}（${RELATION_LABELS[c.relation] || c.relation}）`),
          statusBadge(CLAIM_STATUS_LABELS, c.status)),
        el("span", { class: "record-meta" }, el("span", {}, `申请 ${fmtYuan(c.total_yuan)}`),
          c.approved_yuan ? el("span", {}, `批准 ${fmtYuan(c.approved_yuan)}`) : null),
        el("span", { class: "record-meta" }, fmtTime(c.created_at)))))));
      for (const button of list.querySelectorAll("button[data-claim]")) {
        button.addEventListener("click", () => open(button.dataset.claim));
      }
    } catch (err) {
      list.removeAttribute("aria-busy");
      list.replaceChildren();
      tell(msg, "error", err);
    }
  }

  // ---- a new claim -----------------------------------------------------------------------------------------

  function relationChanged() {
    const self = relation.value === "self";
    attestLabel.hidden = self;
    const profile = ctx.profile();
    const name = byId("claim-patient-name");
    if (self && profile && !name.value) {
      name.value = profile.name;
    }
    byId("claim-patient-id").placeholder = self && profile ? `您本人的证件号码（${profile.national_id_masked}）` : "";
  }

  function openForm() {
    hideMessage(msg);
    hideMessage(formMsg);
    form.reset();
    byId("claim-transfused").value = shanghaiLocalNow();
    byId("claim-transfused").max = shanghaiLocalNow();
    relationChanged();
    mode("form");
    relation.focus();
  }

  function read() {
    const value = (key) => byId(FORM_FIELDS[key][0]).value.trim();
    const missing = Object.entries(FORM_FIELDS).filter(([key, [, , required]]) => required && !value(key))
      .map(([, [, label]]) => label);
    const claimBody = {
      channel: "mini_program",
      relation: value("relation"),
      patient_name: value("patient_name"),
      patient_national_id: value("patient_national_id").toUpperCase(),
      hospital_name: value("hospital_name"),
      invoice_no: value("invoice_no"),
      lines: [{ component: value("component"), volume_ml: Number(value("volume_ml")), amount_yuan: value("amount_yuan"),
        transfused_at: shanghaiIso(value("transfused_at")) }],
      bank: { account_name: value("account_name"), account_no: value("account_no").replace(/\s+/g, ""),
        bank_name: value("bank_name") },
    };
    if (value("admission_no")) {
      claimBody.admission_no = value("admission_no");
    }
    if (claimBody.relation !== "self") {
      claimBody.relative_conditions_attested = attest.checked;
    }
    return { missing, claimBody };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(formMsg);
    const { missing, claimBody } = read();
    if (missing.length) {
      tell(formMsg, "error", `请填写：${missing.join("、")}`);
      return;
    }
    await busy(create, async () => {
      try {
        const made = await ctx.call("createClaim", { body: claimBody });
        form.reset();          // the bank account and the ID typed are not left on the page
        await open(made.id, "申请已保存为草稿：请拍照上传下列材料，然后点“提交申请”。");
      } catch (err) {
        tell(formMsg, "error", err);
      }
    });
  });

  // ---- one claim -------------------------------------------------------------------------------------------

  async function requiredKinds(c) {
    if (policies === null) {
      try {
        policies = await ctx.call("policies");
      } catch (_err) {
        policies = [];     // the checklist is a help; the server still says what is missing on submit
      }
    }
    const region = c.handling_region || c.region;
    const policy = policies.find((p) => p.region === region);
    const docs = (policy && policy.required_documents) || {};
    return docs[c.relation === "self" ? "self" : "relative"] || [];
  }

  async function render(c) {
    claim = c;
    const draft = c.status === "draft";
    body.replaceChildren(
      steps(c.status),
      pairs([
        ["申请编号", ident(c.id)],
        ["状态", statusBadge(CLAIM_STATUS_LABELS, c.status)],
        ["用血者", `${c.patient_name}（${RELATION_LABELS[c.relation] || c.relation}）`],
        ["证件号码", ident(c.patient_national_id_masked || "—")],
        ["用血医院", c.hospital_name],
        ["发票号码", ident(c.invoice_no || "—")],
        ["申请金额", fmtYuan(c.total_yuan)],
        c.approved_yuan ? ["批准减免", fmtYuan(c.approved_yuan)] : null,
        ["创建时间", fmtTime(c.created_at)],
        c.submitted_at ? ["提交时间", fmtTime(c.submitted_at)] : null,
        c.decided_at ? ["审核时间", fmtTime(c.decided_at)] : null,
        c.paid_at ? ["付款时间", fmtTime(c.paid_at)] : null,
        c.reason ? ["驳回原因", c.reason] : null,
      ]));
    const required = await requiredKinds(c);
    const present = new Set((c.documents || []).map((d) => d.kind));
    checklist.replaceChildren(...required.map((kind) => el("li", { class: present.has(kind) ? "have" : "need" },
      `${DOCUMENT_KIND_LABELS[kind] || kind}：${present.has(kind) ? "已上传" : "待上传"}`)));
    checklist.hidden = !required.length;
    const order = [...required.filter((k) => !present.has(k)), ...Object.keys(DOCUMENT_KIND_LABELS)
      .filter((k) => !required.includes(k) || present.has(k))];
    kindSelect.replaceChildren(...[...new Set(order)].map((kind) =>
      el("option", { value: kind }, `${DOCUMENT_KIND_LABELS[kind]}${required.includes(kind) ? "（必需）" : ""}`)));
    documents.replaceChildren(...(c.documents || []).map((d) => el("li", { class: "record" },
      el("div", { class: "record-head" }, el("strong", {}, DOCUMENT_KIND_LABELS[d.kind] || d.kind),
        el("span", {}, sizeText(d.size || 0))),
      el("div", { class: "record-meta" }, el("span", { class: "filename" }, d.filename || ""),
        el("span", {}, fmtTime(d.uploaded_at))))));
    docsPart.hidden = !draft && !(c.documents || []).length;
    upload.hidden = !draft;
    submit.hidden = !draft;
  }

  async function open(claimId, note) {
    hideMessage(msg);
    hideMessage(detailMsg);
    mode("detail");
    body.setAttribute("aria-busy", "true");
    body.replaceChildren(el("p", { class: "loading" }, "正在加载…"));
    try {
      await render(await ctx.call("claim", { params: { claim_id: claimId } }));
      body.removeAttribute("aria-busy");
      if (note) {
        tell(detailMsg, "ok", note);
      }
      byId("claim-detail-heading").focus();
    } catch (err) {
      body.removeAttribute("aria-busy");
      body.replaceChildren();
      tell(detailMsg, "error", err);
    }
  }

  async function sendFile(input) {
    const file = input.files && input.files[0];
    input.value = "";                     // the same photo may be chosen again after an error
    if (!file || !claim) {
      return;
    }
    const kind = kindSelect.value;
    hideMessage(detailMsg);
    pickers.forEach((p) => { p.disabled = true; });
    upload.setAttribute("aria-busy", "true");
    tell(detailMsg, "info", "正在上传…");
    try {
      const photo = await preparePhoto(file);
      const data = new FormData();
      data.append("kind", kind);
      data.append("file", photo.blob, photo.name);
      const stored = await ctx.call("uploadDocument", { params: { claim_id: claim.id }, body: data });
      await render(await ctx.call("claim", { params: { claim_id: claim.id } }));
      tell(detailMsg, "ok", `已上传${DOCUMENT_KIND_LABELS[kind] || kind}（${sizeText(stored.size)}${photo.resized ? "，已压缩" : ""}）。`);
    } catch (err) {
      tell(detailMsg, "error", err instanceof PhotoError ? err.message : err);
    } finally {
      pickers.forEach((p) => { p.disabled = false; });
      upload.removeAttribute("aria-busy");
    }
  }

  function missingText(err) {
    const missing = err.problem && Array.isArray(err.problem.missing) ? err.problem.missing : null;
    if (err.code !== "missing_documents" || !missing) {
      return err;
    }
    return { title: err.title, detail: `请先上传：${missing.map((k) => DOCUMENT_KIND_LABELS[k] || k).join("、")}`,
      requestId: err.requestId };
  }

  submit.addEventListener("click", () => busy(submit, async () => {
    hideMessage(detailMsg);
    try {
      await render(await ctx.call("submitClaim", { params: { claim_id: claim.id } }));
      tell(detailMsg, "ok", "申请已提交，血站审核后会通知您。");
    } catch (err) {
      tell(detailMsg, "error", err.status === undefined ? err : missingText(err));
    }
  }));
  refresh.addEventListener("click", () => busy(refresh, async () => {
    hideMessage(detailMsg);
    try {
      await render(await ctx.call("claim", { params: { claim_id: claim.id } }));
      tell(detailMsg, "ok", `已刷新：${CLAIM_STATUS_LABELS[claim.status] || claim.status}`);
    } catch (err) {
      tell(detailMsg, "error", err);
    }
  }));
  pickers.forEach((input) => input.addEventListener("change", () => sendFile(input)));
  relation.addEventListener("change", relationChanged);
  byId("claim-new").addEventListener("click", openForm);
  byId("claim-cancel").addEventListener("click", () => { form.reset(); showList(); });
  byId("claim-back").addEventListener("click", showList);

  return { enter: () => { hideMessage(msg); return showList(); } };
}
