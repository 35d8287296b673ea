"""No raw national ID (or bank account) in any response, log line, outbox payload or audit row."""
import io
import json
import logging

from sqlalchemy import select

from servicekit.audit import audit_log
from servicekit.chain import chain_entries
from servicekit.logs import JsonFormatter
from servicekit.outbox import envelopes
from tests.helpers import auth
from tests.waiver.builders import ago, claim_body, deduction_body, line, person

HOSPITAL = auth("hospital", site_id="H1", region="SH")
REVIEWER = auth("reviewer", region="SH")


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter("waiver-test"))
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_a_full_journey_leaves_no_raw_identifier_anywhere(client, ledger, session_factory, clock):
    logs = Collect()
    logging.getLogger().addHandler(logs)
    try:
        donor_nid, spouse, stranger = person(), person(female=True), person()
        account_no = "6222020200112233445"
        donor_id = ledger.donor(donor_nid)
        ledger.donation(donor_id, donor_nid, volume_ml=400, collected_at=ago(days=30))
        ledger.transfusion(unit_id="U-P", din="WPII000000001", patient_national_id=spouse)
        me = auth("donor", donor_id=donor_id)
        seen = []

        def call(method, url, **kw):
            resp = getattr(client, method)(url, **kw)
            seen.append(resp.get_data(as_text=True))
            return resp

        binding = call("post", "/api/v1/me/family", json={"name": "配偶", "national_id": spouse,
                                                          "relation": "spouse"}, headers=me).get_json()
        call("get", "/api/v1/me/family", headers=me)
        call("post", f"/api/v1/waiver/family/{binding['id']}/verify", json={"approved": True}, headers=REVIEWER)
        for nid in (donor_nid, spouse, stranger):
            call("get", f"/api/v1/waiver/entitlements?patient_national_id={nid}", headers=HOSPITAL)
        call("get", "/api/v1/me/entitlements", headers=me)
        body = deduction_body(spouse, [line(unit_id="U-P")], donor_national_id=donor_nid, relation="spouse")
        call("post", "/api/v1/waiver/direct-deductions/preview", json=body, headers=HOSPITAL)
        d = call("post", "/api/v1/waiver/direct-deductions", json=body,
                 headers={**HOSPITAL, "Idempotency-Key": "pii"}).get_json()
        call("post", "/api/v1/waiver/direct-deductions", json=body, headers={**HOSPITAL, "Idempotency-Key": "pii"})
        call("post", f"/api/v1/waiver/direct-deductions/{d['id']}/reverse",
             json={"reason": f"录入错误 {spouse}"}, headers=HOSPITAL)
        call("post", "/api/v1/waiver/direct-deductions", json=deduction_body(stranger),
             headers={**HOSPITAL, "Idempotency-Key": "pii-2"})
        call("post", "/api/v1/waiver/direct-deductions", headers={**HOSPITAL, "Idempotency-Key": "pii-3"},
             json=deduction_body(donor_nid, [line(unit_id="U-P")]))                          # unit_mismatch
        claim = call("post", "/api/v1/waiver/claims", json=claim_body(donor_nid, bank={
            "account_name": "张三", "account_no": account_no, "bank_name": "工行"}), headers=me).get_json()
        for kind in ("id_card", "donation_certificate", "invoice"):
            call("post", f"/api/v1/waiver/claims/{claim['id']}/documents", headers=me,
                 content_type="multipart/form-data", data={"kind": kind, "file": (io.BytesIO(b"%PDF-1"), "a.pdf")})
        call("post", f"/api/v1/waiver/claims/{claim['id']}/submit", headers=me)
        call("post", f"/api/v1/waiver/claims/{claim['id']}/approve", headers=REVIEWER)
        call("post", f"/api/v1/waiver/claims/{claim['id']}/pay", json={}, headers=REVIEWER)
        call("get", f"/api/v1/waiver/claims/{claim['id']}", headers=me)
        call("get", "/api/v1/waiver/claims", headers=REVIEWER)
        month = d["applied_at"][:7]
        call("get", f"/api/v1/waiver/settlements?hospital_id=H1&month={month}&format=csv", headers=HOSPITAL)
        call("get", f"/api/v1/waiver/stats?month={month}", headers=REVIEWER)
    finally:
        logging.getLogger().removeHandler(logs)

    assert len(seen) > 20 and any(line.startswith("{") for line in logs.lines)
    outbox = json.dumps(envelopes(session_factory), ensure_ascii=False)
    assert {"DirectDeductionApplied", "DirectDeductionReversed", "ClaimPaid"} <= {e["type"] for e in envelopes(session_factory)}
    with session_factory() as s:
        stored = " ".join(str(tuple(r)) for table in (audit_log, chain_entries) for r in s.execute(select(table)))
    for raw in (donor_nid, spouse, stranger):
        assert all(raw not in text for text in seen), "raw ID in a response"
        assert all(raw not in text for text in logs.lines), "raw ID in a log line"
        assert raw not in outbox, "raw ID in an outbox payload"
        assert raw not in stored, "raw ID in the audit trail or money chain"
    assert all(account_no not in text for text in seen + logs.lines) and account_no not in outbox
