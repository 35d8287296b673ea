// The donor page's entry point: phone + code login, logout, the four views (我的献血, 减免额度, 我的亲属, 用血报销).
import { setUnauthorizedHandler } from "./console-api.js";
import { clearSession, loadSession, request, saveSession, tell } from "./donor-api.js";
import {
  BINDING_STATUS_LABELS, DONATION_KIND_LABELS, POOL_KIND_LABELS, REGION_LABELS, RELATION_LABELS, bloodGroup, busy,
  byId, el, fmtTime, hideMessage, shanghaiDay, statusBadge,
} from "./console-dom.js";
import { claimsView } from "./donor-claims.js";

const PHONE = /^1\d{10}$/;
const CODE = /^\d{6}$/;
const RESEND_S = 60;                       // the gateway sends one code per phone a minute
const MAX_TIMEOUT_MS = 2147483647;
const AWARD_LABELS = { bronze: "铜奖", silver: "银奖", gold: "金奖", lifetime: "终身荣誉奖" };   // 无偿献血奉献奖
const DONOR_STATUS_LABELS = { active: "可正常献血", deferred: "暂缓献血", permanently_deferred: "不宜献血" };

let session = null;
let expiryTimer = null;
let profile = null;
let current = null;

const ctx = {
  session: () => session,
  profile: () => profile,
  call: (name, options = {}) => request(name, { ...options, session }),
};

// A value readers see as one piece (a DIN, a claim number, a masked ID): never broken inside.
function ident(text) {
  return el("span", { class: "ident" }, text);
}

function loading(node) {
  node.setAttribute("aria-busy", "true");
  node.replaceChildren(el("p", { class: "loading" }, "正在加载…"));
}

function done(node, ...children) {
  node.removeAttribute("aria-busy");
  node.replaceChildren(...children);
}

function pairs(list) {
  return el("dl", { class: "facts" }, list.map(([label, value]) =>
    el("div", { class: "fact" }, el("dt", {}, label), el("dd", {}, value === null || value === undefined ? "—" : value))));
}

// ---- 我的献血 ------------------------------------------------------------------------------------------------

function homeView() {
  const msg = byId("home-msg");
  const meCard = byId("me-card");
  const awards = byId("awards");
  const donations = byId("donations");
  const notes = byId("notifications");

  function renderMe(me) {
    profile = me;
    const today = shanghaiDay();
    const next = me.next_eligible_at && me.next_eligible_at > today ? me.next_eligible_at : null;
    done(meCard,
      el("h2", {}, `${me.name}，您好`),
      pairs([
        ["血型", bloodGroup(me.abo, me.rhd)],
        ["献血次数", `${me.donation_count ?? 0} 次`],
        ["累计献血", `${me.total_ml ?? 0} 毫升`],
        ["下次可献血", next ? `${next} 起` : "现在即可献血"],
        ["献血状态", DONOR_STATUS_LABELS[me.status] || me.status],
        ["手机号", ident(me.phone_masked || "—")],
        ["证件号码", ident(me.national_id_masked || "—")],
      ]));
  }

  function renderAwards(summary) {
    const earned = summary.awards || [];
    const items = earned.map((a) => el("li", {},
      el("span", { class: `badge award-${AWARD_LABELS[a.level] ? a.level : "other"}` }, AWARD_LABELS[a.level] || a.level),
      ` 获得资格：${fmtTime(a.granted_at).slice(0, 10)}`));
    const next = summary.next;
    const commendations = (summary.commendations || []).map((c) => el("li", {},
      `${c.name}：${c.total_ml} / ${c.min_ml} 毫升`, c.reached ? el("span", { class: "badge status-verified" }, "已达到") : null));
    done(awards,
      el("p", {}, `按奖励计次已累计 ${summary.donation_count ?? 0} 次。`),
      items.length ? el("ul", { class: "plain" }, items) : el("p", { class: "empty" }, "暂未获得献血奖励，继续加油！"),
      next ? el("p", { class: "hint" }, `距离${AWARD_LABELS[next.level] || next.level}还差 ${next.remaining} 次`) : null,
      commendations.length ? el("ul", { class: "plain" }, commendations) : null);
  }

  function renderDonations(list) {
    if (!list.length) {
      done(donations, el("p", { class: "empty" }, "暂无献血记录。"));
      return;
    }
    done(donations, el("ul", { class: "records" }, list.map((d) => el("li", { class: "record" },
      el("div", { class: "record-head" },
        el("strong", {}, DONATION_KIND_LABELS[d.kind] || d.kind),
        el("span", {}, d.kind === "platelets" ? `${d.doses ?? "—"} 个治疗量` : `${d.volume_ml ?? "—"} 毫升`)),
      el("div", { class: "record-meta" },
        el("span", {}, fmtTime(d.collected_at)),
        el("span", {}, REGION_LABELS[d.region] || d.region || "")),
      el("div", { class: "record-meta" }, "献血码 ", ident(`${d.din || ""}${d.din_check || ""}`))))));
  }

  function renderNotes(list) {
    if (!list.length) {
      done(notes, el("p", { class: "empty" }, "暂无消息。"));
      return;
    }
    done(notes, el("ul", { class: "records" }, list.slice(0, 20).map((n) => el("li", { class: "record" },
      el("div", { class: "record-head" }, el("strong", {}, n.title || "通知"),
        n.read ? null : el("span", { class: "badge status-submitted" }, "未读")),
      n.body ? el("p", { class: "note-body" }, n.body) : null,
      el("div", { class: "record-meta" }, fmtTime(n.created_at))))));
  }

  async function part(node, task) {
    try {
      await task();
    } catch (err) {
      done(node, el("p", { class: "empty" }, "加载失败"));
      tell(msg, "error", err);
    }
  }

  async function enter() {
    hideMessage(msg);
    [meCard, awards, donations, notes].forEach(loading);
    const id = { donor_id: session.donor_id };
    await Promise.all([
      part(meCard, async () => renderMe(await ctx.call("me"))),
      part(awards, async () => renderAwards(await ctx.call("awards", { params: id }))),
      part(donations, async () => renderDonations(await ctx.call("donations", { params: id }))),
      part(notes, async () => renderNotes(await ctx.call("notifications"))),
    ]);
  }

  return { enter };
}

// ---- 减免额度 ------------------------------------------------------------------------------------------------

function rightsView() {
  const msg = byId("rights-msg");
  const result = byId("entitlements");

  async function enter() {
    hideMessage(msg);
    loading(result);
    try {
      const { pools } = await ctx.call("entitlements");
      if (!pools || !pools.length) {
        done(result, el("p", { class: "empty card" }, "暂无减免额度：献血记录同步后会在这里显示。"));
        return;
      }
      done(result, ...pools.map((p) => el("section", { class: "card pool" },
        el("h2", {}, `${POOL_KIND_LABELS[p.kind] || p.kind} · ${REGION_LABELS[p.region] || p.region}`),
        el("p", { class: "big" }, p.unlimited ? "不限额" : `剩余 ${p.remaining_ml} 毫升`),
        pairs([
          ["额度", p.unlimited ? "不限额" : `${p.quota_ml} 毫升`],
          ["已使用", `${p.used_ml ?? 0} 毫升`],
          ["有效期至", p.window_ends ? fmtTime(p.window_ends).slice(0, 10) : "长期有效"],
        ]))));
    } catch (err) {
      done(result);
      tell(msg, "error", err);
    }
  }

  return { enter };
}

// ---- 我的亲属 ------------------------------------------------------------------------------------------------

function familyView() {
  const msg = byId("family-msg");
  const list = byId("family-list");
  const form = byId("family-form");
  const submit = byId("family-submit");
  const name = byId("family-name");
  const relation = byId("family-relation");
  const nationalId = byId("family-id");

  relation.replaceChildren(el("option", { value: "" }, "请选择"),
    ...Object.entries(RELATION_LABELS).filter(([code]) => code !== "self")
      .map(([code, label]) => el("option", { value: code }, label)));

  async function load() {
    loading(list);
    try {
      const bindings = await ctx.call("family");
      if (!bindings.length) {
        done(list, el("p", { class: "empty card" }, "还没有绑定亲属。"));
        return;
      }
      done(list, el("ul", { class: "records card" }, bindings.map((b) => el("li", { class: "record" },
        el("div", { class: "record-head" },
          el("strong", {}, `${b.name}（${RELATION_LABELS[b.relation] || b.relation}）`),
          statusBadge(BINDING_STATUS_LABELS, b.status)),
        el("div", { class: "record-meta" }, "证件号码 ", ident(b.national_id_masked || "—"))))));
    } catch (err) {
      done(list);
      tell(msg, "error", err);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(msg);
    const body = { name: name.value.trim(), relation: relation.value, national_id: nationalId.value.trim().toUpperCase() };
    const missing = [[body.name, "亲属姓名"], [body.relation, "与您的关系"], [body.national_id, "亲属身份证件号码"]]
      .filter(([value]) => !value).map(([, label]) => label);
    if (missing.length) {
      tell(msg, "error", `请填写：${missing.join("、")}`);
      return;
    }
    await busy(submit, async () => {
      try {
        await ctx.call("addFamily", { body });
        form.reset();
        tell(msg, "ok", `已提交 ${body.name} 的绑定申请，等待血站核验。`);
        await load();
      } catch (err) {
        tell(msg, "error", err);
      }
    });
  });

  return { enter: () => { hideMessage(msg); return load(); } };
}

// ---- login, views, logout ------------------------------------------------------------------------------------

const views = {};

function show(name) {
  if (!views[name]) {
    name = "home";
  }
  current = name;
  for (const tab of document.querySelectorAll(".tab")) {
    const active = tab.dataset.view === name;
    tab.classList.toggle("active", active);
    if (active) {
      tab.setAttribute("aria-current", "page");
    } else {
      tab.removeAttribute("aria-current");
    }
  }
  for (const key of Object.keys(views)) {
    byId(`view-${key}`).hidden = key !== name;
  }
  window.scrollTo(0, 0);
  views[name].enter();
}

function enterApp() {
  byId("login-view").hidden = true;
  byId("app-view").hidden = false;
  byId("logout").hidden = false;
  clearTimeout(expiryTimer);
  const left = session.expires_at - Date.now();
  if (left < MAX_TIMEOUT_MS) {
    expiryTimer = setTimeout(() => logout("登录已过期，请重新登录。"), Math.max(left, 0));
  }
  show(current || "home");
}

function logout(reason) {
  clearSession();
  clearTimeout(expiryTimer);
  session = null;
  profile = null;
  current = null;
  byId("app-view").hidden = true;
  byId("logout").hidden = true;
  byId("login-view").hidden = false;
  byId("otp-hint").hidden = true;
  const msg = byId("login-msg");
  if (reason) {
    tell(msg, "error", reason);
  } else {
    hideMessage(msg);
  }
  byId("login-phone").focus();
}

function loginView() {
  const phone = byId("login-phone");
  const code = byId("login-code");
  const sendButton = byId("otp-send");
  const submit = byId("login-submit");
  const hint = byId("otp-hint");
  const msg = byId("login-msg");
  let cooldown = null;

  function countdown(seconds) {
    clearInterval(cooldown);
    let left = seconds;
    sendButton.disabled = true;
    sendButton.textContent = `重新获取（${left} 秒）`;
    cooldown = setInterval(() => {
      left -= 1;
      if (left <= 0) {
        clearInterval(cooldown);
        sendButton.disabled = false;
        sendButton.textContent = "重新获取验证码";
      } else {
        sendButton.textContent = `重新获取（${left} 秒）`;
      }
    }, 1000);
  }

  sendButton.addEventListener("click", async () => {
    hideMessage(msg);
    const number = phone.value.replace(/\s+/g, "");
    if (!PHONE.test(number)) {
      tell(msg, "error", "请输入 11 位手机号。");
      phone.focus();
      return;
    }
    let sent = null;
    await busy(sendButton, async () => {
      try {
        sent = await request("otp", { body: { phone: number } });
      } catch (err) {
        tell(msg, "error", err);
      }
    });
    if (!sent) {
      return;
    }
    // The code itself is only ever shown where the server runs in development mode and says so.
    hint.replaceChildren(`验证码已发送至 ${number.slice(0, 3)}****${number.slice(-4)}。`,
      sent.dev_code ? el("span", { class: "dev-code" }, "（测试环境验证码：", ident(sent.dev_code), "）") : null);
    hint.hidden = false;
    countdown(RESEND_S);
    code.focus();
  });

  byId("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(msg);
    const number = phone.value.replace(/\s+/g, "");
    const typed = code.value.trim();
    if (!PHONE.test(number)) {
      tell(msg, "error", "请输入 11 位手机号。");
      phone.focus();
      return;
    }
    if (!CODE.test(typed)) {
      tell(msg, "error", "请输入短信中的 6 位数字验证码。");
      code.focus();
      return;
    }
    await busy(submit, async () => {
      try {
        const token = await request("token", { body: { phone: number, code: typed } });
        if (token.role !== "donor" || !token.donor_id) {
          tell(msg, "error", "该账号不是献血者账号。");
          return;
        }
        session = saveSession(token);
        code.value = "";
        hint.hidden = true;
        clearInterval(cooldown);
        sendButton.disabled = false;
        sendButton.textContent = "获取验证码";
        enterApp();
      } catch (err) {
        code.select();
        tell(msg, "error", err);
      }
    });
  });
}

function start() {
  views.home = homeView();
  views.rights = rightsView();
  views.family = familyView();
  views.claims = claimsView(ctx);
  loginView();
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => show(tab.dataset.view));
  }
  byId("logout").addEventListener("click", () => logout());
  setUnauthorizedHandler(() => logout("登录已过期或已失效，请重新登录。"));
  session = loadSession();
  if (session) {
    enterApp();
  } else {
    byId("login-phone").focus();
  }
}

start();
