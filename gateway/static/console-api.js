// Talking to the public API through the same origin: paths, the session token, problem+json errors.

// Every API operation the console calls, and nothing else: requests are made by name, and
// tests/gateway/integration/test_console.py checks each (method, path) against the merged OpenAPI.
export const API_PATHS = Object.freeze({
  token: ["POST", "/api/v1/auth/token"],
  health: ["GET", "/api/v1/health"],
  stock: ["GET", "/api/v1/stock"],
  createPlan: ["POST", "/api/v1/rebalancing/plans"],
  approvePlan: ["POST", "/api/v1/rebalancing/plans/{plan_id}/approve"],
  transfers: ["GET", "/api/v1/transfers"],
  stockPolicy: ["GET", "/api/v1/stock/policy"],
  // the stock history of #20 (console-trends.js); a 404 there reads as "no history yet"
  stockHistory: ["GET", "/api/v1/stock/history"],
  levelsHistory: ["GET", "/api/v1/stock/levels-history"],
  dispatchTransfer: ["POST", "/api/v1/transfers/{transfer_id}/dispatch"],
  cancelTransfer: ["POST", "/api/v1/transfers/{transfer_id}/cancel"],
  receiveTransfer: ["POST", "/api/v1/transfers/{transfer_id}/receive"],
  simulationReport: ["GET", "/api/v1/simulation/report"],
  simulationImage: ["GET", "/api/v1/simulation/images/{name}"],
  claims: ["GET", "/api/v1/waiver/claims"],
  claim: ["GET", "/api/v1/waiver/claims/{claim_id}"],
  claimDocument: ["GET", "/api/v1/waiver/claims/{claim_id}/documents/{document_id}"],
  approveClaim: ["POST", "/api/v1/waiver/claims/{claim_id}/approve"],
  rejectClaim: ["POST", "/api/v1/waiver/claims/{claim_id}/reject"],
  payClaim: ["POST", "/api/v1/waiver/claims/{claim_id}/pay"],
  // #20 a mail or on-site claim entered by the waiver office (console-claim-entry.js)
  createClaim: ["POST", "/api/v1/waiver/claims"],
  uploadClaimDocument: ["POST", "/api/v1/waiver/claims/{claim_id}/documents"],
  submitClaim: ["POST", "/api/v1/waiver/claims/{claim_id}/submit"],
  donors: ["GET", "/api/v1/donors"],
  policies: ["GET", "/api/v1/waiver/policies"],
  familyBindings: ["GET", "/api/v1/waiver/family"],
  verifyFamily: ["POST", "/api/v1/waiver/family/{binding_id}/verify"],
  stats: ["GET", "/api/v1/waiver/stats"],
  monthlyStats: ["GET", "/api/v1/waiver/stats/monthly"],
  entitlements: ["GET", "/api/v1/waiver/entitlements"],
  settlements: ["GET", "/api/v1/waiver/settlements"],
  site: ["GET", "/api/v1/sites/{site_id}"],
  sites: ["GET", "/api/v1/sites"],
  createOrder: ["POST", "/api/v1/orders"],
  units: ["GET", "/api/v1/units"],
  recordTransfusion: ["POST", "/api/v1/transfusions"],
  previewDeduction: ["POST", "/api/v1/waiver/direct-deductions/preview"],
  applyDeduction: ["POST", "/api/v1/waiver/direct-deductions"],
  deduction: ["GET", "/api/v1/waiver/direct-deductions/{deduction_id}"],
  reverseDeduction: ["POST", "/api/v1/waiver/direct-deductions/{deduction_id}/reverse"],
  donationPoints: ["GET", "/api/v1/donation-points"],
  daySheet: ["GET", "/api/v1/donation-points/{point_id}/day-sheet"],
  recordNoShow: ["POST", "/api/v1/donation-points/{point_id}/appointments/{appointment_id}/no-show"],
  expectedCollections: ["GET", "/api/v1/stock/expected-collections"],
  callUps: ["GET", "/api/v1/call-ups"],
  organisations: ["GET", "/api/v1/organisations"],
  createOrganisation: ["POST", "/api/v1/organisations"],
  drives: ["GET", "/api/v1/drives"],
  createDrive: ["POST", "/api/v1/drives"],
  drive: ["GET", "/api/v1/drives/{drive_id}"],
  addToRoster: ["POST", "/api/v1/drives/{drive_id}/roster"],
  groupStats: ["GET", "/api/v1/group-donation/stats"],
  rareDonors: ["GET", "/api/v1/rare-donors"],
  teams: ["GET", "/api/v1/emergency-teams"],
  createTeam: ["POST", "/api/v1/emergency-teams"],
  addTeamMember: ["POST", "/api/v1/emergency-teams/{team_id}/members"],
  rareCallUps: ["GET", "/api/v1/rare-call-ups"],
  createRareCallUp: ["POST", "/api/v1/rare-call-ups"],
  excursions: ["GET", "/api/v1/cold-chain/excursions"],
  decideExcursion: ["POST", "/api/v1/cold-chain/excursions/{excursion_id}/decision"],
  coldChainStats: ["GET", "/api/v1/cold-chain/stats"],
  reserves: ["GET", "/api/v1/reserves"],
  // #22 lookback recalls and tiered clinical approval (console-safety.js)
  recalls: ["GET", "/api/v1/recalls"],
  recallStats: ["GET", "/api/v1/recalls/stats"],
  answerRecallLine: ["POST", "/api/v1/recalls/{recall_id}/lines/{line_id}/answer"],
  clinicalApprovals: ["GET", "/api/v1/clinical-approvals"],
  approveOrder: ["POST", "/api/v1/orders/{order_id}/approval"],
});

// The session lives in sessionStorage: it ends with the tab and is never shared with other tabs.
const SESSION_KEY = "hemolink.console.session";
const STAFF_ROLES = ["admin", "station", "hospital", "reviewer"];

export function loadSession() {
  let session = null;
  try {
    session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch (_err) {
    session = null;
  }
  if (!session || typeof session.access_token !== "string" || !STAFF_ROLES.includes(session.role)
      || !(session.expires_at > Date.now())) {
    clearSession();
    return null;
  }
  return session;
}

export function saveSession(username, token) {
  const session = {
    username,
    access_token: token.access_token,
    role: token.role,
    site_id: token.site_id || null,
    region: token.region || null,
    expires_at: Date.now() + Number(token.expires_in || 0) * 1000,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

export class ApiError extends Error {
  constructor(status, problem, requestId) {
    const title = (problem && problem.title) || "请求失败";
    super(title);
    this.status = status;
    this.title = title;
    this.detail = problem && problem.detail && problem.detail !== title ? String(problem.detail) : "";
    this.code = (problem && problem.code) || "";
    this.errors = (problem && problem.errors) || null;
    this.requestId = requestId || "";
    this.problem = problem || {};       // its extension members too (missing_documents' `missing`)
  }
}

const FALLBACK_TITLES = {
  0: "无法连接网关",
  401: "未登录或令牌无效",
  403: "无权执行此操作",
  404: "资源不存在",
  409: "与当前状态冲突",
  422: "请求参数校验失败",
  429: "请求过于频繁",
  502: "上游服务不可用",
  503: "服务暂不可用",
  504: "上游服务超时",
};

let onUnauthorized = () => {};

// Called with the ApiError when a request made with a token answers 401 (expired or revoked token).
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function buildUrl(path, params, query) {
  const filled = path.replace(/\{([a-z_]+)\}/g, (_m, key) => {
    const value = params && params[key];
    if (value === undefined || value === null || value === "") {
      throw new Error(`missing path parameter ${key}`);
    }
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") {
      search.append(key, String(value));
    }
  }
  const qs = search.toString();
  return qs ? `${filled}?${qs}` : filled;
}

async function readProblem(response) {
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) {
    return null;
  }
  try {
    return await response.json();
  } catch (_err) {
    return null;
  }
}

// request("stock", {query: {region: "SH"}}) → parsed JSON; throws ApiError with the problem's title/detail.
// {raw: true} returns the Response itself (CSV downloads); {accept} overrides the Accept header;
// {headers} adds request headers (Idempotency-Key); a FormData body is sent as multipart/form-data.
export async function request(name, options = {}) {
  const entry = API_PATHS[name];
  if (!entry) {
    throw new Error(`unknown API operation ${name}`);
  }
  return send(entry, options);
}

// The same for a [method, path] of another page's own list (the donor page's, donor-api.js). A FormData body
// goes as multipart (the browser writes its Content-Type with the boundary); anything else as JSON.
export async function send([method, path], { params, query, body, accept, raw, session, headers: extra } = {}) {
  const headers = { ...(extra || {}), Accept: accept || "application/json" };
  if (session) {
    headers.Authorization = `Bearer ${session.access_token}`;
  }
  const init = { method, headers, credentials: "same-origin", cache: "no-store", referrerPolicy: "no-referrer" };
  if (body instanceof FormData) {
    init.body = body;           // multipart: the browser writes the Content-Type with its boundary
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(buildUrl(path, params, query), init);
  } catch (_err) {
    throw new ApiError(0, { title: FALLBACK_TITLES[0], detail: "网络错误，请检查网络连接后重试" }, "");
  }
  const requestId = response.headers.get("X-Request-ID") || "";
  if (!response.ok) {
    const problem = (await readProblem(response)) || { title: FALLBACK_TITLES[response.status] };
    const error = new ApiError(response.status, problem, requestId);
    if (response.status === 401 && session) {
      error.loggedOut = true;     // the login page says so; views do not show it again
      onUnauthorized(error);
    }
    throw error;
  }
  if (raw) {
    return response;
  }
  if (response.status === 204) {
    return null;
  }
  return response.json();
}
