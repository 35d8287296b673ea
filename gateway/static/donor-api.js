// The donor page's API: the operations it calls, the donor's session in sessionStorage. Requests go through
// console-api.js's send (same problem+json handling as the staff console).
import { send } from "./console-api.js";
import { showMessage } from "./console-dom.js";

// Every API operation the donor page calls, and nothing else; tests/contract/test_console_operations.py checks
// each (method, path) against the merged OpenAPI of the real services.
export const DONOR_API_PATHS = Object.freeze({
  otp: ["POST", "/api/v1/auth/donor/otp"],
  token: ["POST", "/api/v1/auth/donor/token"],
  me: ["GET", "/api/v1/me"],
  donations: ["GET", "/api/v1/donors/{donor_id}/donations"],
  awards: ["GET", "/api/v1/donors/{donor_id}/awards"],
  notifications: ["GET", "/api/v1/me/notifications"],
  entitlements: ["GET", "/api/v1/me/entitlements"],
  family: ["GET", "/api/v1/me/family"],
  addFamily: ["POST", "/api/v1/me/family"],
  policies: ["GET", "/api/v1/waiver/policies"],
  myClaims: ["GET", "/api/v1/me/claims"],
  claim: ["GET", "/api/v1/waiver/claims/{claim_id}"],
  createClaim: ["POST", "/api/v1/waiver/claims"],
  uploadDocument: ["POST", "/api/v1/waiver/claims/{claim_id}/documents"],
  submitClaim: ["POST", "/api/v1/waiver/claims/{claim_id}/submit"],
});

export function request(name, options = {}) {
  const entry = DONOR_API_PATHS[name];
  if (!entry) {
    throw new Error(`unknown API operation ${name}`);
  }
  return send(entry, options);
}

// Its own key: a donor's session and a staff member's never stand in for each other, and it ends with the tab.
// Nothing of the phone number is kept, only the token and whose it is.
const SESSION_KEY = "hemolink.donor.session";

export function loadSession() {
  let session = null;
  try {
    session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch (_err) {
    session = null;
  }
  if (!session || typeof session.access_token !== "string" || session.role !== "donor"
      || typeof session.donor_id !== "string" || !(session.expires_at > Date.now())) {
    clearSession();
    return null;
  }
  return session;
}

export function saveSession(token) {
  const session = {
    access_token: token.access_token,
    role: token.role,
    donor_id: token.donor_id,
    expires_at: Date.now() + Number(token.expires_in || 0) * 1000,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// Field errors of a refused request, named as the page's own labels name the fields (the last part of a path such
// as "lines.0.amount_yuan" or "bank.account_no" is looked up when the whole is not listed).
export const FIELD_LABELS = {
  phone: "手机号", code: "验证码", name: "姓名", national_id: "身份证件号码", relation: "关系",
  patient_name: "用血者姓名", patient_national_id: "用血者身份证件号码", hospital_name: "用血医院",
  admission_no: "住院号", invoice_no: "发票号码", lines: "用血明细", component: "血液品种", volume_ml: "用血量",
  amount_yuan: "血费金额", transfused_at: "输血时间", account_name: "户名", account_no: "银行卡号",
  bank_name: "开户银行", bank: "收款账户", file: "文件", kind: "材料类型", _schema: "申请",
};

// An API error (its Chinese title and detail), or a sentence of the page, in a message box.
export function tell(box, kind, message) {
  showMessage(box, kind, message, { fieldLabels: FIELD_LABELS });
}
