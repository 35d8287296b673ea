"""Claims: mini-program, mail and on-site; documents; submit, approve, reject, pay; one waiver per line."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from servicekit.outbox import envelopes
from tests.helpers import auth
from tests.waiver.builders import ago, claim_body, deduction_body, line, person
from waiver.policy import shanghai_day

REVIEWER = auth("reviewer", sub="rev-sh", region="SH")
REVIEWER_JS = auth("reviewer", sub="rev-js", region="JS")
HOSPITAL = auth("hospital", site_id="H1", region="SH")
PDF, JPEG, PNG = b"%PDF-1.7\n...", b"\xff\xd8\xff\xe0JFIF", b"\x89PNG\r\n\x1a\n...."
CLAIMS = "/api/v1/waiver/claims"


@pytest.fixture
def donor(ledger):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=60))       # SH: 2000 ml self
    return nid, donor_id, auth("donor", sub=f"donor:{donor_id}", donor_id=donor_id)


def _upload(client, claim_id, headers, kind="invoice", data=PDF, name="f.pdf"):
    return client.post(f"{CLAIMS}/{claim_id}/documents", headers=headers,
                       data={"kind": kind, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _ready(client, headers, claim_id, kinds=("id_card", "donation_certificate", "invoice")):
    for kind in kinds:
        assert _upload(client, claim_id, headers, kind=kind).status_code == 201
    resp = client.post(f"{CLAIMS}/{claim_id}/submit", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_donor_claims_through_the_mini_program_from_draft_to_paid(client, donor, session_factory, tmp_path):
    nid, donor_id, me = donor
    created = client.post(CLAIMS, json=claim_body(nid), headers=me)
    assert created.status_code == 201, created.get_json()
    claim = created.get_json()
    assert claim["status"] == "draft" and claim["patient_national_id_masked"].endswith(nid[-4:])
    assert claim["bank"] == {"account_name": "王五", "account_no_masked": "***************3445",
                             "bank_name": "工商银行"}
    doc = _upload(client, claim["id"], me).get_json()
    assert doc["kind"] == "invoice" and doc["size"] == len(PDF) and len(doc["sha256"]) == 64
    missing = client.post(f"{CLAIMS}/{claim['id']}/submit", headers=me)
    assert missing.status_code == 422 and missing.get_json()["code"] == "missing_documents"
    assert missing.get_json()["missing"] == ["id_card", "donation_certificate"]
    submitted = _ready(client, me, claim["id"], kinds=("id_card", "donation_certificate"))
    assert submitted["status"] == "submitted" and submitted["submitted_at"]
    approved = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER).get_json()
    assert approved["status"] == "approved" and approved["approved_yuan"] == "440.00"
    assert approved["pools_used"][0]["kind"] == "self"
    paid = client.post(f"{CLAIMS}/{claim['id']}/pay", json={}, headers=REVIEWER).get_json()
    assert paid["status"] == "paid" and paid["paid_at"] and paid["payment_ref"].startswith("BATCH-")
    batch = next((tmp_path / "bank").glob("bank-batch-*.csv"))
    rows = list(csv.DictReader(batch.open(encoding="utf-8")))
    assert rows[0]["claim_id"] == claim["id"] and rows[0]["amount_yuan"] == "440.00"
    assert nid not in batch.read_text(encoding="utf-8")
    types = [e["type"] for e in envelopes(session_factory) if e["subject"] == claim["id"]]
    assert types == ["ClaimSubmitted", "ClaimApproved", "ClaimPaid"]
    assert all(e["data"]["donor_id"] == donor_id for e in envelopes(session_factory) if e["subject"] == claim["id"])
    mine = client.get("/api/v1/me/claims", headers=me).get_json()
    assert [c["id"] for c in mine] == [claim["id"]] and len(mine[0]["documents"]) == 3


def test_a_reviewer_rejects_with_a_reason(client, donor, session_factory):
    nid, _, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    _ready(client, me, claim["id"])
    assert client.post(f"{CLAIMS}/{claim['id']}/reject", json={}, headers=REVIEWER).status_code == 422
    rejected = client.post(f"{CLAIMS}/{claim['id']}/reject", json={"reason": "发票与住院号不符"}, headers=REVIEWER)
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    assert rejected.get_json()["reason"] == "发票与住院号不符"
    again = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER)
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_claim_status"
    assert [e["type"] for e in envelopes(session_factory)][-1] == "ClaimRejected"


def test_mail_needs_a_tracking_number_and_on_site_is_entered_by_reviewers(client, donor):
    nid, _, me = donor
    no_tracking = claim_body(nid, channel="mail")
    no_tracking.pop("tracking_no")
    assert client.post(CLAIMS, json=no_tracking, headers=REVIEWER).status_code == 422
    mail = client.post(CLAIMS, json=claim_body(nid, channel="mail"), headers=REVIEWER)
    assert mail.status_code == 201 and mail.get_json()["tracking_no"] == "SF1234567890"
    on_site = client.post(CLAIMS, json=claim_body(nid, channel="on_site"), headers=REVIEWER)
    assert on_site.status_code == 201 and on_site.get_json()["region"] == "SH"
    # a donor cannot file a mail claim, a reviewer cannot file a mini-program claim
    assert client.post(CLAIMS, json=claim_body(nid, channel="mail"), headers=me).get_json()["code"] == \
        "channel_not_allowed"
    assert client.post(CLAIMS, json=claim_body(nid), headers=REVIEWER).status_code == 403
    # the donor sees reviewer-entered claims paid from their pools
    assert len(client.get("/api/v1/me/claims", headers=me).get_json()) == 2


def test_claims_on_a_channel_the_role_may_not_use_are_refused_and_store_nothing(client, donor, counts):
    nid, _, me = donor
    before = counts()
    for body, headers, code in (
            (claim_body(nid, channel="mail"), me, "channel_not_allowed"),
            (claim_body(nid, channel="on_site"), me, "channel_not_allowed"),
            (claim_body(nid), REVIEWER, "channel_not_allowed"),
            (claim_body(nid, channel="mail"), HOSPITAL, "forbidden_role"),
            (claim_body(nid, channel="on_site"), auth("station", site_id="S1", region="SH"), "forbidden_role")):
        resp = client.post(CLAIMS, json=body, headers=headers)
        assert resp.status_code == 403 and resp.get_json()["code"] == code, resp.get_json()
        assert resp.mimetype == "application/problem+json"
    assert counts() == before


def test_a_mail_claims_day_of_receipt_is_kept_and_only_a_mail_claim_has_one(client, donor, counts):
    nid, _, _ = donor
    before = counts()
    on_site = client.post(CLAIMS, json=claim_body(nid, channel="on_site", received_on="2026-01-05"), headers=REVIEWER)
    assert on_site.status_code == 422 and "received_on" in on_site.get_json()["errors"]
    tomorrow = (shanghai_day(datetime.now(timezone.utc)) + timedelta(days=1)).isoformat()
    future = client.post(CLAIMS, json=claim_body(nid, channel="mail", received_on=tomorrow), headers=REVIEWER)
    assert future.status_code == 422 and "received_on" in future.get_json()["errors"]
    assert counts() == before
    mail = client.post(CLAIMS, json=claim_body(nid, channel="mail", received_on="2026-01-05"), headers=REVIEWER)
    assert mail.status_code == 201 and mail.get_json()["received_on"] == "2026-01-05"
    assert client.get(f"{CLAIMS}/{mail.get_json()['id']}", headers=REVIEWER).get_json()["received_on"] == "2026-01-05"
    unstated = client.post(CLAIMS, json=claim_body(nid, channel="on_site"), headers=REVIEWER).get_json()
    assert unstated["received_on"] is None


def test_a_reviewers_mail_claim_stays_a_draft_until_its_documents_are_in(client, donor, counts):
    nid, _, _ = donor
    claim = client.post(CLAIMS, json=claim_body(nid, channel="mail"), headers=REVIEWER).get_json()
    assert _upload(client, claim["id"], REVIEWER, kind="invoice").status_code == 201
    before = counts()
    missing = client.post(f"{CLAIMS}/{claim['id']}/submit", headers=REVIEWER)
    assert missing.status_code == 422 and missing.get_json()["code"] == "missing_documents"
    assert missing.get_json()["missing"] == ["id_card", "donation_certificate"]
    # another region's reviewer cannot see it, let alone submit it
    other = client.post(f"{CLAIMS}/{claim['id']}/submit", headers=REVIEWER_JS)
    assert other.status_code == 404 and other.get_json()["code"] == "claim_not_found"
    assert counts() == before
    stored = client.get(f"{CLAIMS}/{claim['id']}", headers=REVIEWER).get_json()
    assert stored["status"] == "draft" and stored["submitted_at"] is None
    submitted = _ready(client, REVIEWER, claim["id"], kinds=("id_card", "donation_certificate"))
    assert submitted["status"] == "submitted" and submitted["channel"] == "mail"
    queue = client.get(f"{CLAIMS}?status=submitted&channel=mail", headers=REVIEWER).get_json()
    assert [c["id"] for c in queue] == [claim["id"]]
    again = client.post(f"{CLAIMS}/{claim['id']}/submit", headers=REVIEWER)
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_claim_status"


def test_a_reviewer_enters_a_relatives_claim_on_site_with_the_donors_id_and_no_binding(client, donor, counts):
    nid, _, _ = donor
    spouse = person(female=True)
    before = counts()
    no_donor = client.post(CLAIMS, json=claim_body(spouse, channel="on_site", relation="spouse"), headers=REVIEWER)
    assert no_donor.status_code == 422 and "donor_national_id" in no_donor.get_json()["errors"]
    assert counts() == before
    claim = client.post(CLAIMS, json=claim_body(spouse, channel="on_site", relation="spouse", donor_national_id=nid,
                                                relative_conditions_attested=True), headers=REVIEWER)
    assert claim.status_code == 201, claim.get_json()
    claim = claim.get_json()
    _ready(client, REVIEWER, claim["id"], kinds=("id_card", "donation_certificate", "invoice", "kinship_proof"))
    # the office checked the kinship papers at the counter: the family pool pays without a binding
    approved = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER).get_json()
    assert approved["status"] == "approved" and approved["pools_used"][0]["kind"] == "family"


def test_a_donor_claims_for_a_bound_relative_and_not_for_a_stranger(client, donor, counts):
    nid, _, me = donor
    spouse = person(female=True)
    before = counts()
    refused = client.post(CLAIMS, json=claim_body(spouse, relation="spouse"), headers=me)
    assert refused.status_code == 422 and refused.get_json()["code"] == "relation_not_verified"
    assert client.post(CLAIMS, json=claim_body(person()), headers=me).get_json()["code"] == "patient_not_donor"
    assert counts() == before
    binding = client.post("/api/v1/me/family", json={"name": "配偶", "national_id": spouse, "relation": "spouse"},
                          headers=me).get_json()
    unattested = client.post(CLAIMS, json=claim_body(spouse, relation="spouse"), headers=me).get_json()
    # the donor declares Shanghai's condition: the relative cannot donate and no employer pays
    claim = client.post(CLAIMS, json=claim_body(spouse, relation="spouse", relative_conditions_attested=True,
                                                 invoice_no="INV-2"), headers=me).get_json()
    assert (unattested["relative_conditions_attested"], claim["relative_conditions_attested"]) == (False, True)
    _ready(client, me, claim["id"], kinds=("id_card", "donation_certificate", "invoice", "kinship_proof"))
    # filed while the binding is pending, but the family pool pays only after the office verifies it
    pending = counts()
    early = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER)
    assert early.status_code == 422 and early.get_json()["code"] == "relation_not_verified"
    assert counts() == pending
    assert client.get(f"{CLAIMS}/{claim['id']}", headers=me).get_json()["status"] == "submitted"
    verified = client.post(f"/api/v1/waiver/family/{binding['id']}/verify", json={"approved": True}, headers=REVIEWER)
    assert verified.status_code == 200, verified.get_json()
    approved = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER).get_json()
    assert approved["approved_yuan"] == "440.00" and approved["pools_used"][0]["kind"] == "family"
    _ready(client, me, unattested["id"], kinds=("id_card", "donation_certificate", "invoice", "kinship_proof"))
    nothing = client.post(f"{CLAIMS}/{unattested['id']}/approve", headers=REVIEWER)
    assert nothing.status_code == 422 and nothing.get_json()["lines"] == ["relative_conditions_not_attested"]


def test_the_same_blood_line_through_deduction_then_claim_is_waived_once(client, donor, counts):
    nid, _, me = donor
    blood = [line(unit_id="U-77", amount="440.00")]
    deducted = client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, blood),
                           headers={**HOSPITAL, "Idempotency-Key": "d1"}).get_json()
    assert deducted["waived_yuan"] == "440.00"
    claim = client.post(CLAIMS, json=claim_body(nid, lines=blood), headers=me).get_json()
    _ready(client, me, claim["id"])
    before = counts()
    resp = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER)
    assert resp.status_code == 409 and resp.get_json()["code"] == "already_waived"
    assert counts() == before and counts()["used_ml"] == 400
    assert client.get(f"{CLAIMS}/{claim['id']}", headers=me).get_json()["status"] == "submitted"


def test_a_line_without_unit_id_deducted_at_discharge_is_not_waived_again_by_a_claim(client, donor, counts):
    """The claim names the hospital only by free text; the stay (patient + admission number) still matches."""
    nid, _, me = donor
    blood = [line(amount="440.00")]                                   # no unit id, no DIN
    deducted = client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, blood, admission_no="zy-9"),
                           headers={**HOSPITAL, "Idempotency-Key": "no-unit"}).get_json()
    assert deducted["waived_yuan"] == "440.00"
    body = claim_body(nid, lines=blood, admission_no="ZY-9")
    body.pop("hospital_site_id", None)
    claim = client.post(CLAIMS, json=body, headers=me).get_json()
    _ready(client, me, claim["id"])
    before = counts()
    resp = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER)
    assert resp.status_code == 409 and resp.get_json()["code"] == "already_waived"
    assert counts() == before


def test_a_line_approved_in_a_claim_is_not_deducted_again(client, donor):
    nid, _, me = donor
    blood = [line(din="W123456789012", component="plasma", volume_ml=200, amount="100.00")]
    claim = client.post(CLAIMS, json=claim_body(nid, lines=blood), headers=me).get_json()
    _ready(client, me, claim["id"])
    assert client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER).get_json()["approved_yuan"] == "100.00"
    d = client.post("/api/v1/waiver/direct-deductions", json=deduction_body(nid, blood),
                    headers={**HOSPITAL, "Idempotency-Key": "after"}).get_json()
    assert d["waived_yuan"] == "0.00" and d["lines"][0]["reason"] == "already_waived"


def test_approval_with_no_quota_left_is_refused(client, ledger, counts):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=200, collected_at=ago(days=2))
    me = auth("donor", donor_id=donor_id)
    claim = client.post(CLAIMS, json=claim_body(nid, lines=[line(days_ago=5)]), headers=me).get_json()
    _ready(client, me, claim["id"])
    before = counts()
    resp = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER)
    assert resp.status_code == 422 and resp.get_json()["code"] == "nothing_to_waive"
    assert resp.get_json()["lines"] == ["donation_after_use"] and counts() == before


def test_oversized_and_wrong_type_documents_are_refused_and_nothing_is_stored(client, donor, counts, tmp_path):
    nid, _, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    before = counts()
    too_big = _upload(client, claim["id"], me, data=b"%PDF" + b"0" * (10 * 1024 * 1024))
    assert too_big.status_code == 413 and too_big.get_json()["code"] == "document_too_large"
    way_too_big = _upload(client, claim["id"], me, data=b"%PDF" + b"0" * (12 * 1024 * 1024))
    assert way_too_big.status_code == 413
    for data, name in ((b"GIF89a....", "x.pdf"), (b"<html>", "x.png"), (b"PK\x03\x04zip", "x.jpg")):
        wrong = _upload(client, claim["id"], me, data=data, name=name)
        assert wrong.status_code == 415 and wrong.get_json()["code"] == "unsupported_document_type"
    assert _upload(client, claim["id"], me, data=b"").status_code == 422
    assert _upload(client, claim["id"], me, kind="selfie").status_code == 422
    assert counts() == before
    assert not any((tmp_path / "documents").rglob("*.*"))
    for data in (PDF, JPEG, PNG):
        assert _upload(client, claim["id"], me, data=data).status_code == 201
    stored = sorted(p.suffix for p in (tmp_path / "documents").rglob("*") if p.is_file())
    assert stored == [".jpg", ".pdf", ".png"]


def test_documents_only_while_draft(client, donor):
    nid, _, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    _ready(client, me, claim["id"])
    late = _upload(client, claim["id"], me)
    assert late.status_code == 409 and late.get_json()["code"] == "invalid_claim_status"


def test_a_donor_cannot_see_or_touch_another_donors_claim(client, donor, ledger, counts):
    nid, _, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    other = auth("donor", donor_id="someone-else")
    before = counts()
    assert client.get(f"{CLAIMS}/{claim['id']}", headers=other).status_code == 404
    assert _upload(client, claim["id"], other).status_code == 404
    assert client.post(f"{CLAIMS}/{claim['id']}/submit", headers=other).status_code == 404
    assert client.get("/api/v1/me/claims", headers=other).get_json() == []
    assert client.post(f"{CLAIMS}/{claim['id']}/approve", headers=me).status_code == 403
    assert counts() == before


def test_a_reviewer_only_sees_their_regions_claims(client, donor, counts):
    nid, _, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    _ready(client, me, claim["id"])
    before = counts()
    assert client.get(f"{CLAIMS}/{claim['id']}", headers=REVIEWER_JS).status_code == 404
    assert client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER_JS).status_code == 404
    assert client.get(CLAIMS, headers=REVIEWER_JS).get_json() == []
    assert counts() == before
    listed = client.get(CLAIMS + "?status=submitted&channel=mini_program", headers=REVIEWER).get_json()
    assert [c["id"] for c in listed] == [claim["id"]]
    assert client.get(CLAIMS + "?status=bogus", headers=REVIEWER).status_code == 422


def test_claim_bodies_are_validated(client, donor, counts):
    nid, _, me = donor
    before = counts()
    bad = [
        {k: v for k, v in claim_body(nid).items() if k != "bank"},
        claim_body(nid, lines=[]),
        claim_body(nid, bank={"account_name": "x", "account_no": "12ab", "bank_name": "y"}),
        claim_body(nid, relation="cousin"),
        claim_body(nid, channel="fax"),
        claim_body(nid, hospital_name="院" * 201),
    ]
    for body, code in ((claim_body(person(), channel="mail", relation="child"), "validation_failed"),
                       (claim_body(nid, channel="on_site", relation="child", donor_national_id=nid), "relation_invalid"),
                       (claim_body(person(), channel="on_site"), "donor_not_found")):
        resp = client.post(CLAIMS, json=body, headers=REVIEWER)
        assert resp.status_code == 422 and resp.get_json()["code"] == code, resp.get_json()
    for body in bad:
        assert client.post(CLAIMS, json=body, headers=me).status_code == 422, body
    assert client.post(CLAIMS, json=claim_body(nid)).status_code == 401
    assert client.post(CLAIMS, json=claim_body(nid), headers=HOSPITAL).status_code == 403
    assert counts() == before


def test_a_claim_is_handled_and_paid_by_the_region_where_the_paying_blood_was_given(client, ledger, tmp_path):
    """A Shanghai donor who gave blood only in Jiangsu: Jiangsu's reviewers decide and Jiangsu pays."""
    nid = person()
    donor_id = ledger.donor(nid, region="SH")
    ledger.donation(donor_id, nid, region="JS", volume_ml=400, collected_at=ago(days=60))
    me = auth("donor", sub=f"donor:{donor_id}", donor_id=donor_id)
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    assert (claim["region"], claim["handling_region"], claim["payments"]) == ("SH", "JS", [])
    _ready(client, me, claim["id"], kinds=("id_card", "invoice", "transfusion_record"))   # Jiangsu's list
    # Shanghai, where it was filed, sees it but does not decide it; it is not in Shanghai's work list
    assert client.get(f"{CLAIMS}/{claim['id']}", headers=REVIEWER).status_code == 200
    not_ours = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER)
    assert (not_ours.status_code, not_ours.get_json()["code"]) == (403, "other_region")
    assert client.get(f"{CLAIMS}/{claim['id']}", headers=me).get_json()["status"] == "submitted"
    assert claim["id"] not in [c["id"] for c in client.get(CLAIMS, headers=REVIEWER).get_json()]
    assert claim["id"] in [c["id"] for c in client.get(CLAIMS, headers=REVIEWER_JS).get_json()]
    approved = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER_JS).get_json()
    assert approved["status"] == "approved"
    assert approved["payments"] == [{"region": "JS", "yuan": approved["approved_yuan"], "payment_ref": None}]
    paid = client.post(f"{CLAIMS}/{claim['id']}/pay", json={}, headers=REVIEWER_JS).get_json()
    assert paid["status"] == "paid" and paid["payments"][0]["payment_ref"].startswith("BATCH-")


def test_a_claim_paid_from_two_regions_pools_is_one_payment_per_region(client, ledger, tmp_path):
    nid = person()
    donor_id = ledger.donor(nid, region="SH")
    ledger.donation(donor_id, nid, region="SH", volume_ml=200, collected_at=ago(days=40))   # 1000 ml
    ledger.donation(donor_id, nid, region="JS", volume_ml=400, collected_at=ago(days=20))   # 1200 ml
    me = auth("donor", sub=f"donor:{donor_id}", donor_id=donor_id)
    claim = client.post(CLAIMS, json=claim_body(nid, lines=[line(units=6, amount="1320.00")]), headers=me).get_json()
    assert claim["handling_region"] == "SH"                        # the first pool to pay is Shanghai's
    _ready(client, me, claim["id"])
    approved = client.post(f"{CLAIMS}/{claim['id']}/approve", headers=REVIEWER).get_json()
    assert approved["approved_yuan"] == "1320.00" and approved["handling_region"] == "SH"
    assert [(p["region"], p["yuan"]) for p in approved["payments"]] == [("SH", "1100.00"), ("JS", "220.00")]
    paid = client.post(f"{CLAIMS}/{claim['id']}/pay", json={}, headers=REVIEWER).get_json()
    refs = [p["payment_ref"] for p in paid["payments"]]
    assert len(set(refs)) == 2 and all(r.startswith("BATCH-") for r in refs)
    batch_rows = [row for f in (tmp_path / "bank").glob("bank-batch-*.csv")
                  for row in csv.DictReader(f.open(encoding="utf-8"))]
    assert sorted(r["amount_yuan"] for r in batch_rows if r["claim_id"] == claim["id"]) == ["1100.00", "220.00"]


# ---- documents opened again: the same access as the claim ------------------------------------------------------

def _document_url(claim_id, document_id):
    return f"{CLAIMS}/{claim_id}/documents/{document_id}"


def test_the_owner_and_the_reviewer_open_a_document_inline_as_uploaded(client, donor):
    nid, _, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    png = _upload(client, claim["id"], me, kind="id_card", data=PNG, name="身份证.png").get_json()
    pdf = _upload(client, claim["id"], me, kind="invoice", data=PDF, name="invoice.pdf").get_json()
    for headers in (me, REVIEWER):
        got = client.get(_document_url(claim["id"], png["id"]), headers=headers)
        assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
        assert got.headers["Content-Disposition"] == "inline; filename*=UTF-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.png"
        assert got.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in got.headers["Cache-Control"]
    got = client.get(_document_url(claim["id"], pdf["id"]), headers=REVIEWER)
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"


def test_a_document_is_refused_to_anyone_who_may_not_see_the_claim(client, donor, ledger):
    nid, _, me = donor
    claim = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    doc = _upload(client, claim["id"], me).get_json()
    url = _document_url(claim["id"], doc["id"])
    other_donor = auth("donor", donor_id="someone-else")
    for headers, status in ((other_donor, 404), (REVIEWER_JS, 404), (HOSPITAL, 403), ({}, 401)):
        refused = client.get(url, headers=headers)
        assert refused.status_code == status, (headers, refused.get_json())
        assert refused.mimetype == "application/problem+json" and PDF not in refused.data


def test_a_document_of_another_claim_is_not_found_under_this_one(client, donor):
    nid, _, me = donor
    first = client.post(CLAIMS, json=claim_body(nid), headers=me).get_json()
    second = client.post(CLAIMS, json=claim_body(nid, invoice_no="INV-2"), headers=me).get_json()
    doc = _upload(client, first["id"], me).get_json()
    missing = client.get(_document_url(second["id"], doc["id"]), headers=me)
    assert missing.status_code == 404 and missing.get_json()["code"] == "document_not_found"
    assert client.get(_document_url(first["id"], "no-such-document"), headers=REVIEWER).status_code == 404
