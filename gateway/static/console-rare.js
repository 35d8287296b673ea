// 稀有血型: the region's rare-donor registry, the station's emergency teams, and the rare call-up that reaches the
// type's donors in all four regions.
import {
  DONATION_KIND_LABELS, PHENOTYPE_LABELS, REGION_LABELS, bloodGroup, busy, byId, clear, coded, el, fmtTime,
  hideMessage, showMessage, table,
} from "./console-dom.js";

export function rareView(ctx) {
  const form = byId("rare-form");
  const phenotype = byId("rare-phenotype");
  const teamSelect = byId("rare-team");
  const submit = byId("rare-submit");
  const msg = byId("rare-msg");
  const result = byId("rare-result");
  const teamForm = byId("team-form");
  const teamName = byId("team-name");
  const teamSubmit = byId("team-submit");
  const teamMsg = byId("team-msg");
  const teamResult = byId("team-result");
  const callForm = byId("rare-call-form");
  const callPhenotype = byId("rare-call-phenotype");
  const callAbo = byId("rare-call-abo");
  const callKind = byId("rare-call-kind");
  const callReason = byId("rare-call-reason");
  const callSubmit = byId("rare-call-submit");
  const callMsg = byId("rare-call-msg");
  const callResult = byId("rare-call-result");
  let loaded = false;
  let teams = [];

  const types = (codes) => (codes.length ? codes.map((c) => PHENOTYPE_LABELS[c] || c).join("、") : "—");

  function joinButton(donor) {
    const button = el("button", { type: "button", class: "small", "data-join": donor.donor_id }, "加入应急队");
    button.addEventListener("click", async () => {
      hideMessage(msg);
      const team = teams.find((t) => t.id === teamSelect.value);
      if (!team) {
        showMessage(msg, "error", "请先在上方选择应急队（本站的队伍）。");
        return;
      }
      await busy(button, async () => {
        try {
          await ctx.call("addTeamMember", { params: { team_id: team.id }, body: { donor_id: donor.donor_id } });
          showMessage(msg, "ok", `${donor.name} 已加入${team.name}。`);
          await Promise.all([loadRegistry(true), loadTeams()]);
        } catch (err) {
          showMessage(msg, "error", err);
        }
      });
    });
    return button;
  }

  async function loadRegistry(keepMessage = false) {
    if (!keepMessage) {
      hideMessage(msg);
    }
    await busy(submit, async () => {
      try {
        const donors = await ctx.call("rareDonors", { query: { phenotype: phenotype.value } });
        clear(result);
        result.appendChild(table([
          { label: "献血者", value: (d) => d.name },
          { label: "编号", value: (d) => el("code", {}, d.donor_id) },
          { label: "电话（脱敏）", value: (d) => el("code", {}, d.phone_masked) },
          { label: "血型", value: (d) => bloodGroup(d.abo, d.rhd) },
          { label: "稀有血型", value: (d) => types(d.rare_types) },
          { label: "同意召集", value: (d) => (d.call_consent ? "是" : "否") },
          { label: "应急队", value: (d) => (d.in_team ? "已在队" : joinButton(d)) },
        ], donors, { empty: "本地区没有登记的稀有血型献血者" }));
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  async function loadTeams() {
    try {
      teams = await ctx.call("teams");
      clear(teamResult);
      teamResult.appendChild(table([
        { label: "队名", value: (t) => t.name },
        { label: "血站", value: (t) => el("code", {}, t.station_id) },
        { label: "队员", value: (t) => String(t.members), class: "num" },
        { label: "组建时间", value: (t) => fmtTime(t.created_at) },
      ], teams, { empty: "本地区尚无应急献血队" }));
      const chosen = teamSelect.value;
      clear(teamSelect);
      teamSelect.appendChild(el("option", { value: "" }, "（先选择应急队）"));
      for (const t of teams.filter((x) => x.station_id === ctx.session().site_id)) {
        teamSelect.appendChild(el("option", { value: t.id, selected: t.id === chosen }, t.name));
      }
    } catch (err) {
      showMessage(teamMsg, "error", err);
    }
  }

  async function loadCalls() {
    try {
      const calls = await ctx.call("rareCallUps");
      clear(callResult);
      callResult.appendChild(table([
        { label: "时间", value: (c) => fmtTime(c.created_at) },
        { label: "血型", value: (c) => [coded(PHENOTYPE_LABELS, c.phenotype), c.abo ? ` ABO ${c.abo}` : ""] },
        { label: "类型", value: (c) => coded(DONATION_KIND_LABELS, c.kind) },
        { label: "原因", value: (c) => c.reason },
        { label: "发起", value: (c) => [el("code", {}, c.requested_by), ` ${REGION_LABELS[c.region] || c.region}`] },
        { label: "召集人数（各地）", value: (c) => Object.entries(c.reached).map(([region, n]) =>
          `${REGION_LABELS[region] || region} ${n}`).join("，") || "0" },
      ], calls, { empty: "暂无紧急招募", caption: "最近的稀有血型紧急招募" }));
    } catch (err) {
      showMessage(callMsg, "error", err);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadRegistry();
  });
  teamForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(teamMsg);
    if (!teamName.value.trim()) {
      showMessage(teamMsg, "error", "请填写队名。");
      return;
    }
    await busy(teamSubmit, async () => {
      try {
        const team = await ctx.call("createTeam", { body: { name: teamName.value.trim() } });
        teamName.value = "";
        await loadTeams();
        teamSelect.value = team.id;
        showMessage(teamMsg, "ok", `已组建${team.name}。`);
      } catch (err) {
        showMessage(teamMsg, "error", err);
      }
    });
  });
  callForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(callMsg);
    const reason = callReason.value.trim();
    if (!reason) {
      showMessage(callMsg, "error", "请填写召集原因。");
      return;
    }
    const label = PHENOTYPE_LABELS[callPhenotype.value] || callPhenotype.value;
    if (!ctx.confirm(`确认向长三角四地的${label}献血者发出紧急召集？`)) {
      return;
    }
    const body = { phenotype: callPhenotype.value, kind: callKind.value, reason };
    if (callAbo.value) {
      body.abo = callAbo.value;
    }
    await busy(callSubmit, async () => {
      try {
        const call = await ctx.call("createRareCallUp", { body });
        const reached = Object.values(call.reached).reduce((n, x) => n + x, 0);
        callReason.value = "";
        await loadCalls();      // the list shows the new call by the time the message says it went out
        showMessage(callMsg, "ok", `已发出召集，通知 ${reached} 位献血者。`);
      } catch (err) {
        showMessage(callMsg, "error", err);
      }
    });
  });

  return {
    async enter() {
      if (loaded) {
        return;
      }
      loaded = true;
      await loadTeams();
      await Promise.all([loadRegistry(), loadCalls()]);
    },
    reset() {
      loaded = false;
      teams = [];
      for (const f of [form, teamForm, callForm]) {
        f.reset();
      }
      for (const box of [msg, teamMsg, callMsg]) {
        hideMessage(box);
      }
      for (const node of [result, teamResult, callResult]) {
        clear(node);
      }
    },
  };
}
