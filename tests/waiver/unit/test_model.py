"""Domain rules that need no database: identifiers, redaction, claim and binding state machines."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.helpers import make_national_id
from waiver.errors import (AlreadyReversed, BindingAlreadyDecided, InvalidClaimStatus, InvalidNationalId,
                           MissingDocuments)
from waiver.identity import line_key, normalise_national_id, redact_ids
from waiver.model import Claim, Deduction, FamilyBinding

NOW = datetime(2026, 11, 20, tzinfo=timezone.utc)


def test_resident_ids_are_checked_and_other_documents_pass():
    nid = make_national_id()
    assert normalise_national_id(nid.lower()) == nid.upper()
    with pytest.raises(InvalidNationalId):
        normalise_national_id(nid[:17] + ("0" if nid[17] != "0" else "1"))
    with pytest.raises(InvalidNationalId):
        normalise_national_id("12-34")
    assert normalise_national_id("H12345678") == "H12345678"


def test_free_text_keeps_only_masked_identifiers():
    nid = make_national_id()
    text = redact_ids(f"患者 {nid} 电话 13812345678 已出院")
    assert nid not in text and "13812345678" not in text
    assert nid[:3] in text and "138****5678" in text


def test_line_keys_prefer_unit_then_din_then_the_patients_admission_line():
    p = "f" * 64                                           # a patient's blind index
    assert line_key({"unit_id": "U1", "din": "D", "component": "plasma"}, patient_blind=p, admission_no="A",
                    position=1) == "unit:U1"
    assert line_key({"din": "D", "component": "plasma"}, patient_blind=p, admission_no="A", position=1) == "din:D:plasma"
    assert line_key({"component": "plasma"}, patient_blind=p, admission_no="a ", position=2) == f"adm:{p[:32]}:A:2"
    assert line_key({"component": "plasma", "line_no": 7}, patient_blind=p, admission_no="A", position=2) == \
        f"adm:{p[:32]}:A:7"
    assert line_key({"component": "plasma"}, patient_blind=p, admission_no=None, invoice_no="F1", position=1) == \
        f"inv:{p[:32]}:F1:1"
    other = line_key({"component": "plasma"}, patient_blind="e" * 64, admission_no="A", position=2)
    assert other != f"adm:{p[:32]}:A:2"                    # another patient's stay with the same number


def _claim(**kw):
    base = dict(id="c1", channel="mini_program", region="SH", owner_donor_id="d1", donor_id="d1", relation="self",
                patient_blind="b", patient_masked="m", patient_name="n", hospital_name="h", hospital_site_id=None,
                admission_no=None, invoice_no="F", lines=[], bank_account_name="n", bank_account_no_encrypted="x",
                bank_account_no_masked="****1234", bank_name="b", total_yuan=Decimal("10.00"), created_by="u",
                created_at=NOW)
    return Claim(**{**base, **kw})


def test_a_claim_moves_draft_submitted_approved_paid_and_records_each_step():
    claim = _claim()
    with pytest.raises(MissingDocuments) as exc:
        claim.submit(present_kinds={"invoice"}, required=("invoice", "id_card"), at=NOW)
    assert exc.value.extra["missing"] == ["id_card"] and claim.status == "draft"
    claim.submit(present_kinds={"invoice", "id_card"}, required=("invoice", "id_card"), at=NOW)
    with pytest.raises(InvalidClaimStatus):
        claim.pay(payment_ref="x", at=NOW)
    claim.approve(approved_yuan=Decimal("10.00"), pools_used=[], at=NOW)
    claim.pay(payment_ref="R1", at=NOW)
    assert [e.TYPE for e in claim.events] == ["ClaimSubmitted", "ClaimApproved", "ClaimPaid"]
    assert claim.events[-1].donor_id == "d1" and claim.events[-1].approved_yuan == Decimal("10.00")


def test_only_a_submitted_claim_can_be_rejected_and_the_reason_is_redacted():
    claim = _claim()
    with pytest.raises(InvalidClaimStatus):
        claim.reject(reason="x", at=NOW)
    claim.submit(present_kinds=set(), required=(), at=NOW)
    nid = make_national_id()
    claim.reject(reason=f"材料与 {nid} 不符", at=NOW)
    assert claim.status == "rejected" and nid not in claim.reason and nid not in str(claim.events)


def test_a_binding_is_decided_once():
    b = FamilyBinding(id="b", donor_id="d", donor_region="SH", name="n", relative_national_id_encrypted="e",
                      relative_blind="r", relative_masked="m", relation="spouse", created_at=NOW)
    b.decide(approved=True, reason=None, by="rev", at=NOW)
    assert b.status == "verified"
    with pytest.raises(BindingAlreadyDecided):
        b.decide(approved=False, reason="no", by="rev", at=NOW)


def test_a_deduction_is_reversed_once():
    d = Deduction(id="x", hospital_id="H1", hospital_region="SH", patient_blind="b", patient_masked="m",
                  patient_name="n", admission_no="A", donor_id="d", relation="self", relation_attested=False,
                  proof_ref=None, total_yuan=Decimal("5.00"), waived_yuan=Decimal("5.00"), lines=[], pools_used=[],
                  applied_at=NOW)
    d.reverse("错误", NOW)
    with pytest.raises(AlreadyReversed):
        d.reverse("again", NOW)
    assert [e.TYPE for e in d.events] == ["DirectDeductionReversed"]
