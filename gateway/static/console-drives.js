// 团体献血: a station's organisations, their drives (day, point, target, roster) and the year's figures per
// organisation beside street donation (团体 / 街头 双轨并行).
import {
  ORGANISATION_KIND_LABELS, POINT_KIND_LABELS, busy, byId, clear, coded, el, facts, fmtPercent, fmtTime, hideMessage,
  shanghaiDay, showMessage, table,
} from "./console-dom.js";

export function drivesView(ctx) {
  const driveForm = byId("drive-form");
  const driveOrg = byId("drive-org");
  const driveDay = byId("drive-day");
  const drivePoint = byId("drive-point");
  const driveTarget = byId("drive-target");
  const driveSubmit = byId("drive-submit");
  const listForm = byId("drives-form");
  const since = byId("drives-since");
  const listSubmit = byId("drives-submit");
  const msg = byId("drives-msg");
  const result = byId("drives-result");
  const rosterBox = byId("roster-box");
  const rosterFacts = byId("roster-facts");
  const rosterForm = byId("roster-form");
  const rosterIds = byId("roster-ids");
  const rosterSubmit = byId("roster-submit");
  const rosterMsg = byId("roster-msg");
  const rosterResult = byId("roster-result");
  const orgForm = byId("org-form");
  const orgName = byId("org-name");
  const orgKind = byId("org-kind");
  const orgSubmit = byId("org-submit");
  const orgMsg = byId("org-msg");
  const orgResult = byId("org-result");
  const statsForm = byId("group-stats-form");
  const statsYear = byId("group-stats-year");
  const statsSubmit = byId("group-stats-submit");
  const statsMsg = byId("group-stats-msg");
  const statsResult = byId("group-stats-result");
  let organisations = [];
  let loaded = false;
  let open = null;           // the drive whose roster is shown

  const orgName_ = (id) => (organisations.find((o) => o.id === id) || {}).name || id;

  async function loadOrganisations() {
    hideMessage(orgMsg);
    try {
      organisations = await ctx.call("organisations");
      clear(orgResult);
      orgResult.appendChild(table([
        { label: "单位", value: (o) => o.name },
        { label: "类别", value: (o) => coded(ORGANISATION_KIND_LABELS, o.kind) },
        { label: "登记血站", value: (o) => el("code", {}, o.station_id) },
        { label: "登记时间", value: (o) => fmtTime(o.created_at) },
      ], organisations, { empty: "本地区尚未登记团体单位" }));
      clear(driveOrg);
      for (const o of organisations) {
        driveOrg.appendChild(el("option", { value: o.id }, o.name));
      }
    } catch (err) {
      showMessage(orgMsg, "error", err);
    }
  }

  async function loadPointsFor(day) {
    clear(drivePoint);
    drivePoint.appendChild(el("option", { value: "" }, "（未指定）"));
    try {
      const points = await ctx.call("donationPoints", { query: { date: day } });
      for (const p of points.filter((x) => x.station_id === ctx.session().site_id)) {
        drivePoint.appendChild(el("option", { value: p.id }, `${p.name}（${POINT_KIND_LABELS[p.kind] || p.kind}）`));
      }
    } catch (err) {
      showMessage(msg, "error", err);
    }
  }

  async function loadDrives() {
    await busy(listSubmit, async () => {
      try {
        const drives = await ctx.call("drives", { query: { since: since.value } });
        clear(result);
        result.appendChild(table([
          { label: "日期", value: (d) => d.day },
          { label: "单位", value: (d) => orgName_(d.organisation_id) },
          { label: "血站", value: (d) => el("code", {}, d.station_id) },
          { label: "目标人数", value: (d) => String(d.target_donors), class: "num" },
          { label: "名单人数", value: (d) => String(d.roster.length), class: "num" },
          { label: "已献血", value: (d) => String(d.donated), class: "num" },
          { label: "完成率", value: (d) => fmtPercent(d.target_donors ? d.donated / d.target_donors : null), class: "num" },
          { label: "操作", value: (d) => d.station_id === ctx.session().site_id
            ? el("button", { type: "button", class: "small", "data-roster": d.id, onclick: () => showRoster(d.id) },
              "名单") : "—" },
        ], drives, { empty: "没有团体献血活动" }));
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  async function showRoster(driveId) {
    hideMessage(rosterMsg);
    try {
      const drive = await ctx.call("drive", { params: { drive_id: driveId } });
      open = drive;
      rosterBox.hidden = false;
      clear(rosterFacts);
      rosterFacts.appendChild(facts([
        ["单位", orgName_(drive.organisation_id)],
        ["日期", drive.day],
        ["目标 / 名单 / 已献", `${drive.target_donors} / ${drive.roster.length} / ${drive.donated}`],
        ["活动编号 drive_id", el("code", {}, drive.id)],
      ]));
      clear(rosterResult);
      rosterResult.appendChild(table([{ label: "献血者编号 donor_id", value: (id) => el("code", {}, id) }],
        drive.roster, { empty: "名单为空" }));
    } catch (err) {
      showMessage(rosterMsg, "error", err);
    }
  }

  async function loadStats() {
    hideMessage(statsMsg);
    await busy(statsSubmit, async () => {
      try {
        const y = await ctx.call("groupStats", { query: { year: statsYear.value } });
        clear(statsResult);
        const ml = y.group.ml + y.street.ml;
        const donations = y.group.donations + y.street.donations;
        statsResult.appendChild(el("h3", {}, `${y.year} 年 ${y.region} 团体与街头献血（双轨）`));
        statsResult.appendChild(table([
          { label: "渠道", value: (r) => r.label },
          { label: "献血人次", value: (r) => String(r.figures.donations), class: "num" },
          { label: "人次占比", value: (r) => fmtPercent(donations ? r.figures.donations / donations : null), class: "num" },
          { label: "献血量（毫升）", value: (r) => String(r.figures.ml), class: "num" },
          { label: "血量占比", value: (r) => [el("progress", { max: ml || 1, value: r.figures.ml }),
            ` ${fmtPercent(ml ? r.figures.ml / ml : null)}`] },
        ], [{ label: "团体献血", figures: y.group }, { label: "街头献血", figures: y.street }]));
        statsResult.appendChild(table([
          { label: "单位", value: (o) => o.name },
          { label: "类别", value: (o) => coded(ORGANISATION_KIND_LABELS, o.kind) },
          { label: "献血者", value: (o) => String(o.donors), class: "num" },
          { label: "献血人次", value: (o) => String(o.donations), class: "num" },
          { label: "献血量（毫升）", value: (o) => String(o.ml), class: "num" },
          { label: "重复献血率", value: (o) => fmtPercent(o.repeat_rate), class: "num" },
        ], y.organisations, { empty: "当年没有团体献血", caption: "各单位当年团体献血" }));
      } catch (err) {
        showMessage(statsMsg, "error", err);
      }
    });
  }

  driveDay.addEventListener("change", () => loadPointsFor(driveDay.value));
  driveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(msg);
    if (!driveOrg.value) {
      showMessage(msg, "error", "请先登记团体单位。");
      return;
    }
    const body = { organisation_id: driveOrg.value, day: driveDay.value, target_donors: Number(driveTarget.value) };
    if (drivePoint.value) {
      body.point_id = drivePoint.value;
    }
    await busy(driveSubmit, async () => {
      try {
        const drive = await ctx.call("createDrive", { body });
        showMessage(msg, "ok", `已新建 ${orgName_(drive.organisation_id)} ${drive.day} 的团体献血活动，目标 ${drive.target_donors} 人。`);
        await loadDrives();
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  });
  listForm.addEventListener("submit", (event) => {
    event.preventDefault();
    hideMessage(msg);
    loadDrives();
  });
  rosterForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(rosterMsg);
    const ids = rosterIds.value.split(/[\s,，]+/).map((x) => x.trim()).filter(Boolean);
    if (!open || !ids.length) {
      showMessage(rosterMsg, "error", "请填写献血者编号。");
      return;
    }
    await busy(rosterSubmit, async () => {
      try {
        await ctx.call("addToRoster", { params: { drive_id: open.id }, body: { donor_ids: ids } });
        rosterIds.value = "";
        await showRoster(open.id);
        showMessage(rosterMsg, "ok", `已加入 ${ids.length} 人。`);
        await loadDrives();
      } catch (err) {
        showMessage(rosterMsg, "error", err);
      }
    });
  });
  orgForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(orgMsg);
    if (!orgName.value.trim()) {
      showMessage(orgMsg, "error", "请填写单位名称。");
      return;
    }
    await busy(orgSubmit, async () => {
      try {
        const org = await ctx.call("createOrganisation", { body: { name: orgName.value.trim(), kind: orgKind.value } });
        orgName.value = "";
        await loadOrganisations();
        showMessage(orgMsg, "ok", `已登记 ${org.name}。`);
      } catch (err) {
        showMessage(orgMsg, "error", err);
      }
    });
  });
  statsForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadStats();
  });

  return {
    async enter() {
      if (loaded) {
        return;
      }
      loaded = true;
      since.value = since.value || shanghaiDay(-30);
      driveDay.value = driveDay.value || shanghaiDay(7);
      statsYear.value = statsYear.value || shanghaiDay(0).slice(0, 4);
      await loadOrganisations();
      await Promise.all([loadDrives(), loadStats(), loadPointsFor(driveDay.value)]);
    },
    reset() {
      loaded = false;
      open = null;
      organisations = [];
      for (const f of [driveForm, listForm, rosterForm, orgForm, statsForm]) {
        f.reset();
      }
      rosterBox.hidden = true;
      for (const box of [msg, rosterMsg, orgMsg, statsMsg]) {
        hideMessage(box);
      }
      for (const node of [result, rosterFacts, rosterResult, orgResult, statsResult, driveOrg]) {
        clear(node);
      }
    },
  };
}
