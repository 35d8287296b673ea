"""Proactive help: a transfusion to a donor or verified relative with no deduction after N days → reminder."""
from datetime import datetime, timedelta, timezone

from servicekit.outbox import envelopes
from tests.helpers import auth
from tests.waiver.builders import deduction_body, line, person
from waiver.services.reminders import issue_claim_reminders
from waiver.unit_of_work import WaiverUnitOfWork

NOW = datetime.now(timezone.utc)


def _reminders(session_factory):
    return [e["data"] for e in envelopes(session_factory) if e["type"] == "ClaimReminderIssued"]


def test_donors_are_reminded_once_about_blood_nobody_deducted(client, ledger, session_factory):
    donor_nid, relative, stranger, deducted = person(), person(), person(), person()
    donor_id = ledger.donor(donor_nid)
    ledger.donation(donor_id, donor_nid, volume_ml=400, collected_at=NOW - timedelta(days=90))
    other_id = ledger.donor(deducted)
    ledger.donation(other_id, deducted, volume_ml=400, collected_at=NOW - timedelta(days=90))
    me = auth("donor", donor_id=donor_id)
    binding = client.post("/api/v1/me/family", json={"name": "子女", "national_id": relative, "relation": "child"},
                          headers=me).get_json()
    client.post(f"/api/v1/waiver/family/{binding['id']}/verify", json={"approved": True},
                headers=auth("reviewer", region="SH"))
    for unit, patient, days in (("U1", donor_nid, 10), ("U2", relative, 9), ("U3", stranger, 10),
                                ("U4", donor_nid, 3), ("U5", deducted, 10)):
        ledger.transfusion(unit_id=unit, din=f"W{unit}000000000", patient_national_id=patient,
                           transfused_at=NOW - timedelta(days=days))
    client.post("/api/v1/waiver/direct-deductions", json=deduction_body(deducted, [line(days_ago=10)]),
                headers={**auth("hospital", site_id="H1", region="SH"), "Idempotency-Key": "r"})

    uow = lambda: WaiverUnitOfWork(session_factory)  # noqa: E731
    assert issue_claim_reminders(uow(), now=NOW, after_days=7) == 2
    sent = sorted((r["donor_id"], r["relation"], r["unit_id"]) for r in _reminders(session_factory))
    assert sent == [(donor_id, "child", "U2"), (donor_id, "self", "U1")]
    assert all(r["hospital_id"] == "H1" and r["din"] for r in _reminders(session_factory))
    assert issue_claim_reminders(uow(), now=NOW, after_days=7) == 0                 # each looked at once
    assert issue_claim_reminders(uow(), now=NOW + timedelta(days=5), after_days=7) == 1   # U4 is due now
    assert all(donor_nid not in str(r) and relative not in str(r) for r in _reminders(session_factory))
