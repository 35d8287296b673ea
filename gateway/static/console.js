// The console's entry point: login and logout, the session, the role's tabs, 系统状态.
import { clearSession, loadSession, request, saveSession, setUnauthorizedHandler } from "./console-api.js";
import {
  COMPONENT_NAMES, HEALTH_LABELS, REGION_LABELS, ROLE_LABELS, busy, byId, clear, el, fmtTime, hideMessage,
  showMessage, statusBadge, table,
} from "./console-dom.js";
import { rebalancingView } from "./console-inventory.js";
import { coldChainView } from "./console-coldchain.js";
import { stockView } from "./console-stock.js";
import { claimsView, directView, statsView } from "./console-waiver.js";
import { hospitalView } from "./console-hospital.js";
import { dischargeView } from "./console-discharge.js";
import { familyView } from "./console-family.js";
import { callUpsView, pointsView } from "./console-donation.js";
import { drivesView } from "./console-drives.js";
import { rareView } from "./console-rare.js";
import { approvalsView, recallsView } from "./console-safety.js";
import { statsTrends } from "./console-trends.js";

const DEFAULT_VIEW = { admin: "stock", station: "stock", hospital: "hospital", reviewer: "claims" };
const MAX_TIMEOUT_MS = 2147483647;

let session = null;
let expiryTimer = null;
let currentView = null;

const ctx = {
  session: () => session,
  call: (name, options = {}) => request(name, { ...options, session }),
  confirm: (question) => window.confirm(question),
  go: (view, arg) => show(view, arg),     // one view hands work to another (near-expiry → a plan)
};

function healthView() {
  const refresh = byId("health-refresh");
  const msg = byId("health-msg");
  const result = byId("health-result");

  async function load() {
    hideMessage(msg);
    await busy(refresh, async () => {
      try {
        const health = await ctx.call("health");
        clear(result);
        const components = Object.entries(health.components || {}).map(([name, state]) => ({ name, state }));
        result.appendChild(el("p", { class: "summary" }, "总体状态：", statusBadge(HEALTH_LABELS, health.status),
          `　检查时间 ${fmtTime(new Date().toISOString())}`));
        result.appendChild(table([
          { label: "组件", value: (c) => [COMPONENT_NAMES[c.name] || c.name, " ", el("code", {}, c.name)] },
          { label: "状态", value: (c) => statusBadge(HEALTH_LABELS, c.state) },
        ], components));
      } catch (err) {
        showMessage(msg, "error", err);
      }
    });
  }

  refresh.addEventListener("click", load);
  return { enter: load, reset: () => { hideMessage(msg); clear(result); } };
}

const views = {};

// 减免统计 is the month's figures (console-waiver.js) and, under them, the trends of the months before.
function withTrends(view, trends) {
  return {
    enter(arg) {
      view.enter(arg);
      trends.enter();
    },
    reset() {
      view.reset();
      trends.reset();
    },
  };
}

function allowed(node) {
  return (node.dataset.roles || "").split(/\s+/).includes(session && session.role);
}

function show(name, arg) {
  const tab = /^[a-z]+$/.test(name) ? document.querySelector(`.tab[data-view="${name}"]`) : null;
  if (!tab || !allowed(tab)) {
    name = DEFAULT_VIEW[session.role];
  }
  if (currentView && currentView !== name && views[currentView].leave) {
    views[currentView].leave();
  }
  currentView = name;
  for (const t of document.querySelectorAll(".tab")) {
    const active = t.dataset.view === name;
    t.classList.toggle("active", active);
    if (active) {
      t.setAttribute("aria-current", "page");
    } else {
      t.removeAttribute("aria-current");
    }
  }
  for (const section of document.querySelectorAll(".view")) {
    section.hidden = section.id !== `view-${name}`;
  }
  if (window.location.hash !== `#${name}`) {
    window.history.replaceState(null, "", `#${name}`);
  }
  views[name].enter(arg);
}

function showSessionInfo() {
  byId("session-user").textContent = session.username;
  byId("session-role").textContent = `${ROLE_LABELS[session.role] || session.role} ${session.role}`;
  byId("session-site").textContent = session.site_id ? `站点 ${session.site_id}` : "";
  byId("session-region").textContent = session.region
    ? ["地区", REGION_LABELS[session.region], session.region].filter(Boolean).join(" ") : "";
  byId("session-info").hidden = false;
}

function enterApp() {
  showSessionInfo();
  for (const tab of document.querySelectorAll(".tab")) {
    tab.hidden = !allowed(tab);
  }
  byId("login-view").hidden = true;
  byId("app-view").hidden = false;
  clearTimeout(expiryTimer);
  expiryTimer = setTimeout(() => logout("登录已过期，请重新登录。"),
    Math.min(Math.max(session.expires_at - Date.now(), 0), MAX_TIMEOUT_MS));
  show(window.location.hash.slice(1));
}

function logout(message) {
  clearTimeout(expiryTimer);
  clearSession();
  session = null;
  currentView = null;
  for (const view of Object.values(views)) {
    view.reset();               // nothing the previous user saw stays in the page
  }
  byId("session-info").hidden = true;
  byId("app-view").hidden = true;
  byId("login-view").hidden = false;
  const msg = byId("login-msg");
  if (message) {
    showMessage(msg, "info", message);
  } else {
    hideMessage(msg);
  }
  window.history.replaceState(null, "", window.location.pathname);
  byId("login-username").focus();
}

function initLogin() {
  const form = byId("login-form");
  const username = byId("login-username");
  const password = byId("login-password");
  const submit = byId("login-submit");
  const msg = byId("login-msg");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    hideMessage(msg);
    const name = username.value.trim();
    const secret = password.value;
    password.value = "";
    if (!name || !secret) {
      showMessage(msg, "error", "请输入用户名和密码。");
      return;
    }
    await busy(submit, async () => {
      try {
        const token = await request("token", { body: { username: name, password: secret } });
        if (!ROLE_LABELS[token.role] || token.role === "donor") {
          showMessage(msg, "error", "本工作台仅供工作人员使用。");
          return;
        }
        session = saveSession(name, token);
        enterApp();
      } catch (err) {
        showMessage(msg, "error", err);
        password.focus();
      }
    });
  });
}

function main() {
  views.stock = stockView(ctx);
  views.rebalancing = rebalancingView(ctx);
  views.points = pointsView(ctx);
  views.drives = drivesView(ctx);
  views.rare = rareView(ctx);
  views.callups = callUpsView(ctx);
  views.coldchain = coldChainView(ctx);
  views.hospital = hospitalView(ctx);
  views.discharge = dischargeView(ctx);
  views.claims = claimsView(ctx);
  views.family = familyView(ctx);
  views.stats = withTrends(statsView(ctx), statsTrends(ctx));
  views.direct = directView(ctx);
  views.recalls = recallsView(ctx);
  views.approvals = approvalsView(ctx);
  views.health = healthView();
  initLogin();
  setUnauthorizedHandler((error) => logout(`${error.title}${error.detail ? `：${error.detail}` : ""}，请重新登录。`));
  byId("logout").addEventListener("click", () => logout("已退出登录。"));
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => show(tab.dataset.view));
  }
  session = loadSession();
  if (session) {
    enterApp();
  } else {
    byId("login-username").focus();
  }
}

main();
