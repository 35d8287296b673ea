// 亲属核验 (reviewers verify the family bindings donors registered, so relatives' blood is waived from the pool).
import {
  BINDING_STATUS_LABELS, RELATION_LABELS, busy, byId, clear, coded, el, fmtTime, hideMessage, showMessage,
  statusBadge, table,
} from "./console-dom.js";

export function familyView(ctx) {
  const form = byId("family-form");
  const status = byId("family-status");
  const submit = byId("family-submit");
  const msg = byId("family-msg");
  const result = byId("family-result");
  let loaded = false;

  function actions(binding) {
    if (binding.status !== "pending") {
      return binding.reason ? `理由：${binding.reason}` : "—";
    }
    const reason = el("input", { type: "text", maxlength: "500", placeholder: "驳回理由", "aria-label": "驳回理由" });
    const approve = el("button", { type: "button", class: "small", "data-verify": binding.id }, "核验通过");
    const reject = el("button", { type: "button", class: "small danger", "data-reject": binding.id }, "驳回");
    approve.addEventListener("click", () => decide(binding, true, "", approve));
    reject.addEventListener("click", () => {
      if (!reason.value.trim()) {
        showMessage(msg, "error", "驳回须填写理由。");
        reason.focus();
        return;
      }
      decide(binding, false, reason.value.trim(), reject);
    });
    return el("div", { class: "row-actions" }, approve, reason, reject);
  }

  async function decide(binding, approved, reason, button) {
    const question = approved ? `确认 ${binding.name}（${RELATION_LABELS[binding.relation] || binding.relation}）的亲属关系核验通过？`
      : `确认驳回 ${binding.name} 的亲属关系登记？`;
    if (!ctx.confirm(question)) {
      return;
    }
    hideMessage(msg);
    await busy(button, async () => {
      try {
        const done = await ctx.call("verifyFamily", { params: { binding_id: binding.id },
          body: approved ? { approved: true } : { approved: false, reason } });
        showMessage(msg, "ok", `${done.name}：${BINDING_STATUS_LABELS[done.status] || done.status}。`);
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
        const bindings = await ctx.call("familyBindings", { query: { status: status.value } });
        loaded = true;
        clear(result);
        result.appendChild(table([
          { label: "亲属姓名", value: (b) => b.name },
          { label: "证件（脱敏）", value: (b) => el("code", { class: "id" }, b.national_id_masked) },
          { label: "与献血者关系", value: (b) => coded(RELATION_LABELS, b.relation) },
          { label: "登记时间", value: (b) => fmtTime(b.created_at) },
          { label: "状态", value: (b) => statusBadge(BINDING_STATUS_LABELS, b.status) },
          { label: "核验时间", value: (b) => fmtTime(b.decided_at) },
          { label: "操作", value: actions },
        ], bindings, { empty: status.value === "pending" ? "没有待核验的亲属登记" : "没有记录" }));
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
