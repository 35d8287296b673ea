// 献血点与预约 (a station's points, their slots, the day sheet with no-shows, the collections the stock can expect)
// and 招募效果 (shortage call-ups: invited → booked → donated).
import {
  APPOINTMENT_STATUS_LABELS, COMPONENT_LABELS, DONATION_KIND_LABELS, POINT_KIND_LABELS, bloodGroup, busy, byId, clear,
  coded, el, facts, fmtClock, fmtPercent, fmtTime, hideMessage, levelBadge, shanghaiDay, showMessage, statusBadge,
  table,
} from "./console-dom.js";

function places(slots, kind) {
  const own = slots.filter((s) => s.kind === kind);
  if (!own.length) {
    return "—";
  }
  const free = own.reduce((n, s) => n + s.free, 0);
  const capacity = own.reduce((n, s) => n + s.capacity, 0);
  return `余 ${free} / ${capacity}（${own.length} 个时段）`;
}

export function pointsView(ctx) {
  const form = byId("points-form");
  const date = byId("points-date");
  const submit = byId("points-submit");
  const msg = byId("points-msg");
  const result = byId("points-result");
  const sheetBox = byId("sheet-box");
  const sheetHeading = byId("sheet-heading");
  const sheetSlots = byId("sheet-slots");
  const sheetMsg = byId("sheet-msg");
  const sheetResult = byId("sheet-result");
  const expectedForm = byId("expected-form");
  const expectedFrom = byId("expected-from");
  const expectedDays = byId("expected-days");
  const expectedSubmit = byId("expected-submit");
  const expectedMsg = byId("expected-msg");
  const expectedResult = byId("expected-result");
  let loaded = false;
  let shown = null;          // the point whose day sheet is open

  async function loadPoints() {
    hideMessage(msg);
    await busy(submit, async () => {
      try {
        const all = await ctx.call("donationPoints", { query: { date: date.value } });
        const mine = all.filter((p) => p.station_id === ctx.session().site_id);
        loaded = true;
        clear(result);
        result.appendChild(table([
          { label: "献血点", value: (p) => p.name },
          { label: "类型", value: (p) => coded(POINT_KIND_LABELS, p.kind) },
          { label: "地点", value: (p) => p.address },
          { label: "开放时间", value: (p) => p.windows.map((w) => `${w.opens}–${w.closes}`).join("，") || "—" },
          { label: "全血名额", value: (p) => places(p.slots, "whole_blood") },
          { label: "血小板名额", value: (p) => places(p.slots, "platelets") },
          { label: "操作", value: (p) => el("button", { type: "button", class: "small", "data-sheet": p.id,
            onclick: () => openSheet(p) }, "当日名单") },
        ], mine, { empty: "本站当日没有开放的献血点" }));
        if (shown) {
          const again = mine.find((p) => p.id === shown.id);
          if (again) {
            await openSheet(again);
          } else {
            sheetBox.hidden = true;
          }
        }
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  async function openSheet(point) {
    shown = point;
    sheetBox.hidden = false;
    sheetHeading.textContent = `${point.name} · ${point.date} 预约名单`;
    clear(sheetSlots);
    sheetSlots.appendChild(table([
      { label: "时段", value: (s) => fmtClock(s.starts_at) },
      { label: "类型", value: (s) => coded(DONATION_KIND_LABELS, s.kind) },
      { label: "名额", value: (s) => String(s.capacity), class: "num" },
      { label: "已约", value: (s) => String(s.capacity - s.free), class: "num" },
      { label: "余量", value: (s) => String(s.free), class: "num" },
    ], point.slots.filter((s) => s.free < s.capacity), { empty: "当日尚无预约", caption: "已有预约的时段" }));
    hideMessage(sheetMsg);
    try {
      const sheet = await ctx.call("daySheet", { params: { point_id: point.id }, query: { date: point.date } });
      clear(sheetResult);
      sheetResult.appendChild(table([
        { label: "时段", value: (e) => fmtClock(e.appointment.starts_at) },
        { label: "献血者", value: (e) => e.name },
        { label: "电话（脱敏）", value: (e) => el("code", {}, e.phone_masked) },
        { label: "血型", value: (e) => bloodGroup(e.abo, e.rhd) },
        { label: "类型", value: (e) => coded(DONATION_KIND_LABELS, e.appointment.kind) },
        { label: "状态", value: (e) => statusBadge(APPOINTMENT_STATUS_LABELS, e.appointment.status) },
        { label: "操作", value: (e) => noShowButton(point, e) },
      ], sheet, { empty: "当日没有预约的献血者" }));
    } catch (err) {
      showMessage(sheetMsg, "error", err);
    }
  }

  function noShowButton(point, entry) {
    const a = entry.appointment;
    if (a.status !== "booked") {
      return "—";
    }
    if (new Date(a.starts_at) > new Date()) {
      return el("span", { class: "hint" }, "时段未开始");
    }
    const button = el("button", { type: "button", class: "small danger", "data-no-show": a.id }, "登记未到");
    button.addEventListener("click", async () => {
      if (!ctx.confirm(`确认 ${entry.name}（${fmtClock(a.starts_at)}）未到？`)) {
        return;
      }
      await busy(button, async () => {
        try {
          await ctx.call("recordNoShow", { params: { point_id: point.id, appointment_id: a.id } });
          await openSheet(point);
          showMessage(sheetMsg, "ok", `已登记 ${entry.name} 未到。`);
        } catch (err) {
          showMessage(sheetMsg, "error", err);
        }
      });
    });
    return button;
  }

  async function loadExpected() {
    hideMessage(expectedMsg);
    const days = Math.min(Math.max(Number(expectedDays.value) || 7, 1), 31);
    const to = new Date(`${expectedFrom.value}T00:00:00Z`);
    to.setUTCDate(to.getUTCDate() + days - 1);
    await busy(expectedSubmit, async () => {
      try {
        const rows = await ctx.call("expectedCollections", { query: { from: expectedFrom.value,
          to: to.toISOString().slice(0, 10) } });
        clear(expectedResult);
        const total = rows.reduce((n, r) => n + r.expected_total, 0);
        expectedResult.appendChild(el("p", { class: "summary" }, `${days} 天内预计仍待采集 ${total} 袋`));
        expectedResult.appendChild(table([
          { label: "日期", value: (r) => r.day },
          { label: "预计全血", value: (r) => String(r.expected.whole_blood), class: "num" },
          { label: "预计血小板", value: (r) => String(r.expected.platelets), class: "num" },
          { label: "有效预约", value: (r) => String(r.appointments.booked), class: "num" },
          { label: "已按约献血", value: (r) => String(r.appointments.kept), class: "num" },
          { label: "取消 / 未到", value: (r) => `${r.appointments.cancelled} / ${r.appointments.missed}`, class: "num" },
          { label: "团体活动（目标 / 已献 / 待献）", value: (r) => r.drives.length
            ? r.drives.map((d) => `${d.target_donors} / ${d.donated} / ${d.remaining}`).join("；") : "—" },
          { label: "已采集", value: (r) => String(r.collected_total), class: "num" },
        ], rows, { empty: "没有预计采集" }));
      } catch (err) {
        showMessage(expectedMsg, "error", err);
      }
    });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    loadPoints();
  });
  expectedForm.addEventListener("submit", (event) => {
    event.preventDefault();
    loadExpected();
  });

  return {
    async enter() {
      if (!loaded) {
        date.value = date.value || shanghaiDay(1);      // tomorrow: the day sheet a station prepares
        expectedFrom.value = expectedFrom.value || shanghaiDay(0);
        await Promise.all([loadPoints(), loadExpected()]);
      }
    },
    reset() {
      loaded = false;
      shown = null;
      form.reset();
      expectedForm.reset();
      sheetBox.hidden = true;
      for (const box of [msg, sheetMsg, expectedMsg]) {
        hideMessage(box);
      }
      for (const node of [result, sheetSlots, sheetResult, expectedResult]) {
        clear(node);
      }
    },
  };
}

function share(part, whole) {
  return whole ? part / whole : null;
}

function funnelCell(count, whole) {
  const ratio = share(count, whole);
  return [el("progress", { class: "funnel", max: whole || 1, value: count, title: fmtPercent(ratio) }), ` ${count}`,
    whole ? `（${fmtPercent(ratio)}）` : ""];
}

export function callUpsView(ctx) {
  const refresh = byId("callups-refresh");
  const msg = byId("callups-msg");
  const result = byId("callups-result");

  async function load() {
    hideMessage(msg);
    await busy(refresh, async () => {
      try {
        const reports = await ctx.call("callUps");
        clear(result);
        const sum = (key) => reports.reduce((n, r) => n + r[key], 0);
        result.appendChild(facts([
          ["招募次数", String(reports.length)],
          ["邀请 → 预约", `${sum("invited")} → ${sum("booked")}（${fmtPercent(share(sum("booked"), sum("invited")))}）`],
          ["邀请 → 献血", `${sum("invited")} → ${sum("donated")}（${fmtPercent(share(sum("donated"), sum("invited")))}）`],
        ]));
        result.appendChild(table([
          { label: "发起时间", value: (r) => fmtTime(r.created_at) },
          { label: "站点", value: (r) => el("code", {}, r.site_id) },
          { label: "成分", value: (r) => coded(COMPONENT_LABELS, r.component) },
          { label: "血型", value: (r) => bloodGroup(r.abo, r.rhd) },
          { label: "预警", value: (r) => levelBadge(r.level) },
          { label: "邀请", value: (r) => String(r.invited), class: "num" },
          { label: "预约", value: (r) => funnelCell(r.booked, r.invited) },
          { label: "献血", value: (r) => funnelCell(r.donated, r.invited) },
        ], reports, { empty: "本地区暂无预警招募" }));
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  refresh.addEventListener("click", load);
  return { enter: load, reset: () => { hideMessage(msg); clear(result); } };
}
