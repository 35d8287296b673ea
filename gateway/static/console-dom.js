// Building the page from API data safely: every value becomes a text node (never parsed as HTML),
// plus the Chinese labels and the formats (Asia/Shanghai times, yuan, percentages) the views share.

const ATTRIBUTES = new Set(["id", "type", "for", "colspan", "scope", "title", "role", "value", "disabled",
  "hidden", "open", "datetime", "aria-label", "aria-live", "aria-current", "aria-busy", "min", "max", "step",
  "maxlength", "placeholder", "selected", "autocomplete", "tabindex", "rows", "alt", "download",
  // only ever set to blob: URLs the console made itself from a fetched document (CSP allows nothing else)
  "src", "href"]);

// el("td", {class: "num"}, "12.5") — strings and numbers are appended as text nodes.
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === "class") {
      node.className = value;
    } else if (key === "text") {
      node.textContent = String(value);
    } else if (key === "onclick") {
      node.addEventListener("click", value);
    } else if (key.startsWith("data-") || ATTRIBUTES.has(key)) {
      node.setAttribute(key, value === true ? "" : String(value));
    } else {
      throw new Error(`attribute not allowed: ${key}`);
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(node, child);
    } else if (child instanceof Node) {
      node.appendChild(child);
    } else {
      node.appendChild(document.createTextNode(String(child)));
    }
  }
}

export function clear(node) {
  node.replaceChildren();
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) {
    throw new Error(`missing element #${id}`);
  }
  return node;
}

// <select> of [value, label] pairs (labels Chinese first, the code beside).
export function select(options, { value, label } = {}) {
  return el("select", { "aria-label": label },
    options.map(([v, text]) => el("option", { value: v, selected: v === value }, text)));
}

// Rows of inputs that grow with an 添加一行 button: makeRow() → {node: the row's element, read: () => value}.
// values() reads every row still on the form; each row has its own 删除 button.
export function lineEditor(container, addButton, makeRow) {
  const rows = new Set();
  function add(preset) {
    const row = makeRow(preset);
    const remove = el("button", { type: "button", class: "secondary small", "aria-label": "删除此行" }, "删除");
    const wrap = el("div", { class: "line-row" }, row.node, remove);
    remove.addEventListener("click", () => {
      rows.delete(row);
      wrap.remove();
    });
    row.wrap = wrap;
    rows.add(row);
    container.appendChild(wrap);
    return row;
  }
  addButton.addEventListener("click", () => add());
  return {
    add,
    values: () => [...rows].map((row) => row.read()),
    reset() {
      rows.clear();
      clear(container);
      add();
    },
  };
}

// A labelled field of a line row: ["label", "code", control].
export function field(label, code, control) {
  return el("label", {}, label, " ", el("span", { class: "code" }, code), control);
}

// Prints one part of the page (a receipt, a delivery note) and nothing around it (console.css @media print).
export function printPart(node) {
  node.classList.add("print-target");
  document.body.classList.add("printing");
  try {
    window.print();
  } finally {
    node.classList.remove("print-target");
    document.body.classList.remove("printing");
  }
}

// A datetime-local value (Shanghai wall time) as ISO 8601 with +08:00, or "" when empty.
export function shanghaiIso(localValue) {
  if (!localValue) {
    return "";
  }
  const withSeconds = localValue.length === 16 ? `${localValue}:00` : localValue;
  return `${withSeconds}+08:00`;
}

// Now as a datetime-local value in Shanghai time ("2026-12-07T20:15").
export function shanghaiLocalNow(now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).formatToParts(now);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour") === "24" ? "00" : get("hour")}:${get("minute")}`;
}

// columns: [{label, value: row => string | Node, class?}]
export function table(columns, rows, { empty = "暂无数据", caption } = {}) {
  if (!rows.length) {
    return el("p", { class: "empty" }, empty);
  }
  return el("div", { class: "table-wrap" },
    el("table", {},
      caption ? el("caption", {}, caption) : null,
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.class }, c.label)))),
      el("tbody", {}, rows.map((row) => el("tr", {},
        columns.map((c) => el("td", { class: c.class }, c.value(row))))))));
}

// A definition list from [label, value] pairs (values may be strings or nodes).
export function facts(pairs) {
  return el("dl", { class: "facts" },
    pairs.map(([label, value]) => [el("dt", {}, label), el("dd", {}, value === null || value === undefined ? "—" : value)]));
}

// Shows an ApiError (title, detail, field errors, request id) or a plain message in a message box.
// {fieldLabels}: field errors named in words ({"bank.account_no": "银行卡号"}, or by the last part of the path)
// instead of by their code, for readers who do not know the API (the donor page).
export function showMessage(box, kind, message, { fieldLabels } = {}) {
  clear(box);
  if (message && message.loggedOut) {
    box.className = "msg";
    return;
  }
  box.className = `msg msg-${kind}`;
  if (message instanceof Error && message.status === undefined) {
    console.error(message);     // a bug, not an answer of the API: the browser tests fail on it
  }
  if (typeof message === "string") {
    box.appendChild(el("p", {}, message));
    return;
  }
  box.appendChild(el("p", { class: "msg-title" }, message.title || "请求失败"));
  if (message.detail) {
    box.appendChild(el("p", {}, message.detail));
  }
  if (message.errors && typeof message.errors === "object") {
    const name = (field) => {
      const label = fieldLabels && (fieldLabels[field] || fieldLabels[field.split(".").pop()]);
      return label ? el("strong", {}, label) : el("code", {}, field);
    };
    box.appendChild(el("ul", {}, Object.entries(message.errors).map(([field, texts]) =>
      el("li", {}, name(field), "：", Array.isArray(texts) ? texts.join("；") : String(texts)))));
  }
  if (message.requestId) {
    box.appendChild(el("p", { class: "msg-meta" }, "请求编号 X-Request-ID：", el("code", {}, message.requestId)));
  }
}

export function hideMessage(box) {
  clear(box);
  box.className = "msg";
}

// Runs `task` with the button disabled (no double submissions of approvals or payments).
export async function busy(button, task) {
  if (button.disabled) {
    return undefined;
  }
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await task();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// ---- labels (codes stay visible next to the Chinese) --------------------------------------------------------

export const ROLE_LABELS = { admin: "管理员", station: "血站", hospital: "医院", reviewer: "减免审核", donor: "献血者" };
export const REGION_LABELS = { SH: "上海", JS: "江苏", ZJ: "浙江", AH: "安徽" };
export const COMPONENT_LABELS = { red_cells: "红细胞", plasma: "血浆", platelets: "血小板", cryo: "冷沉淀" };
export const LEVEL_LABELS = { green: "正常", yellow: "偏紧", orange: "紧张", red: "告急", no_data: "无数据" };
export const LEVEL_ORDER = { red: 0, orange: 1, yellow: 2, green: 3, no_data: 4 };
export const TRANSFER_STATUS_LABELS = { requested: "待发出", in_transit: "运输中", received: "已接收", cancelled: "已取消" };
export const PLAN_STATUS_LABELS = { proposed: "待批准", approved: "已批准" };
export const CLAIM_STATUS_LABELS = { draft: "草稿", submitted: "待审核", approved: "已批准", rejected: "已驳回", paid: "已付款" };
// Why a blood line was waived less than billed (services/waiver/allocation.py).
export const LINE_REASON_LABELS = { quota_exhausted: "额度不足", already_waived: "已减免过", donation_after_use: "用血在献血之后",
  relation_out_of_scope: "亲属关系不在减免范围", relative_conditions_not_attested: "未证明亲属不能献血且无单位报销",
  not_a_donor: "非献血者", no_donation: "无有效献血记录", above_region_price: "超出本地区血液收费标准" };
export const CHANNEL_LABELS = { direct: "院内直免", mini_program: "小程序", mail: "邮寄", on_site: "现场" };
export const RELATION_LABELS = { self: "本人", spouse: "配偶", parent: "父母", child: "子女", parent_in_law: "配偶父母",
  sibling: "兄弟姐妹", grandparent: "祖父母/外祖父母", grandchild: "孙子女/外孙子女" };
export const POOL_KIND_LABELS = { self: "本人额度", family: "亲属额度" };
export const DOCUMENT_KIND_LABELS = { invoice: "发票", transfusion_record: "输血记录", id_card: "身份证件",
  kinship_proof: "亲属关系证明", donation_certificate: "献血证" };
export const HEALTH_LABELS = { ok: "正常", degraded: "部分不可用", down: "不可用" };
export const COMPONENT_NAMES = { gateway: "网关", donor: "献血者服务", inventory: "库存服务", waiver: "减免服务",
  broker: "消息队列" };
export const SETTLEMENT_EVENT_LABELS = { applied: "扣减", reversed: "冲正" };
export const ORDER_STATUS_LABELS = { fulfilled: "已全部配发", partial: "部分配发", backordered: "缺货待配" };
export const PRIORITY_LABELS = { routine: "常规", urgent: "加急", emergency: "紧急" };
export const UNIT_STATUS_LABELS = { quarantined: "待检", available: "可用", reserved: "已预留", in_transit: "运输中",
  issued: "已发往医院", transfused: "已输注", discarded: "已报废", expired: "已过期" };
export const DEDUCTION_STATUS_LABELS = { applied: "已直免", reversed: "已冲正" };
export const BINDING_STATUS_LABELS = { pending: "待核验", verified: "已通过", rejected: "已驳回" };
export const ABO_GROUPS = ["A", "B", "O", "AB"];
export const POINT_KIND_LABELS = { house: "献血屋", fixed: "固定献血点", vehicle: "采血车" };
export const DONATION_KIND_LABELS = { whole_blood: "全血", platelets: "血小板" };
export const APPOINTMENT_STATUS_LABELS = { booked: "已预约", cancelled: "已取消", attended: "已献血", no_show: "未到" };
export const ORGANISATION_KIND_LABELS = { employer: "企事业单位", university: "高校", army: "部队", government: "机关",
  community: "社区", other: "其他" };
export const PHENOTYPE_LABELS = { rhd_neg: "RhD阴性", bombay: "孟买型（Oh）", para_bombay: "类孟买型" };

// "红细胞 red_cells": the Chinese label with the stable code beside it.
export function coded(labels, code) {
  if (code === null || code === undefined || code === "") {
    return "—";
  }
  const label = labels[code];
  if (!label) {
    return el("code", {}, code);
  }
  return el("span", { class: "coded" }, label, " ", el("code", {}, code));
}

export function bloodGroup(abo, rhd) {
  return `${abo || "?"} RhD${rhd === "neg" ? "−" : rhd === "pos" ? "+" : "?"}`;
}

export function levelBadge(level) {
  return el("span", { class: `badge level-${LEVEL_LABELS[level] ? level : "unknown"}` },
    LEVEL_LABELS[level] || level || "未知");
}

export function statusBadge(labels, status) {
  return el("span", { class: `badge status-${String(status || "unknown").replace(/[^a-z_]/g, "")}` },
    labels[status] || status || "—");
}

// ---- formats ------------------------------------------------------------------------------------------------

const TIME_FORMAT = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  hour12: false,
});

export function fmtTime(iso) {
  if (!iso) {
    return "—";
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : TIME_FORMAT.format(date);
}

export function fmtNumber(value, digits = 1) {
  if (value === null || value === undefined || value === "") {
    return "—";
  }
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(digits).replace(/\.0+$/, "") : String(value);
}

export function fmtYuan(value) {
  return value === null || value === undefined ? "—" : `${value} 元`;
}

export function fmtPercent(share) {
  if (share === null || share === undefined) {
    return "—";
  }
  return `${(Number(share) * 100).toFixed(1)}%`;
}

// The current month (YYYY-MM) as Shanghai counts it, whatever the browser's own time zone.
export function shanghaiMonth(now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .formatToParts(now);
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}`;
}

// Today (YYYY-MM-DD) as Shanghai counts it, `offset` days on; what <input type="date"> takes.
export function shanghaiDay(offset = 0, now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
    day: "2-digit" }).formatToParts(now);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  const day = new Date(Date.UTC(get("year"), get("month") - 1, get("day") + offset));
  return day.toISOString().slice(0, 10);
}

// "HH:MM" in Shanghai of an ISO time (a slot's start).
export function fmtClock(iso) {
  return fmtTime(iso).slice(-5);
}

export function linesSummary(lines) {
  return (lines || []).map((line) =>
    `${COMPONENT_LABELS[line.component] || line.component} ${bloodGroup(line.abo, line.rhd)} ${fmtNumber(line.units, 2)}U`)
    .join("；");
}

const SVG_NS = "http://www.w3.org/2000/svg";

// An SVG element, as el() makes an HTML one (the plan map and the charts draw with it).
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) {
      node.setAttribute(key, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}
