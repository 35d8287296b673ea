"""Published events carry exactly docs/events.md's fields (plus the optional additions) and no raw ID."""
from datetime import datetime, timezone
from decimal import Decimal

from waiver import events

NOW = datetime(2026, 11, 20, 8, tzinfo=timezone.utc)
DOCUMENTED = {
    events.DirectDeductionApplied: {"deduction_id", "hospital_id", "patient_blind", "total_yuan", "waived_yuan",
                                    "pools_used", "applied_at"},
    events.DirectDeductionReversed: {"deduction_id", "hospital_id", "waived_yuan", "reason", "reversed_at"},
    events.ClaimSubmitted: {"claim_id", "donor_id", "channel", "status", "total_yuan", "approved_yuan", "reason",
                            "occurred_at"},
    events.ClaimReminderIssued: {"donor_id", "hospital_id", "relation", "din", "transfused_at"},
    events.FamilyPoolUsed: {"donor_id", "deduction_id", "hospital_id", "relation", "relation_attested", "change", "ml",
                            "yuan", "occurred_at"},
}
ADDED = {events.ClaimReminderIssued: {"unit_id", "hospital_name"}}


def _dump(event):
    return events.PUBLISHED[type(event)].dump(event)


def test_every_published_event_has_the_documented_fields():
    samples = [
        events.DirectDeductionApplied("d1", "H1", "b" * 64, Decimal("440.00"), Decimal("220.00"),
                                      ({"kind": "self", "region": "SH", "donor_id": "x", "ml": 200, "yuan": "220.00"},),
                                      NOW),
        events.DirectDeductionReversed("d1", "H1", Decimal("220.00"), "作废", NOW),
        events.ClaimSubmitted("c1", "x", "mail", "submitted", Decimal("10.00"), None, None, NOW),
        events.ClaimReminderIssued("x", "H1", "self", "W123", NOW, "U1", "一号医院"),
        events.FamilyPoolUsed("x", "d1", "H1", "spouse", True, "used", 200, Decimal("220.00"), NOW),
    ]
    for event in samples:
        data = _dump(event)
        assert set(data) == DOCUMENTED[type(event)] | ADDED.get(type(event), set()), type(event)
        assert event.subject in {"d1", "c1", "x"}
    applied = _dump(samples[0])
    assert applied["total_yuan"] == "440.00" and applied["pools_used"][0] == {
        "kind": "self", "region": "SH", "donor_id": "x", "ml": 200, "yuan": "220.00"}
    assert applied["applied_at"] == "2026-11-20T08:00:00+00:00"


def test_all_four_claim_events_share_one_shape():
    for cls in (events.ClaimSubmitted, events.ClaimApproved, events.ClaimRejected, events.ClaimPaid):
        assert cls.VERSION == 1 and cls in events.PUBLISHED
        data = _dump(cls("c", None, "on_site", "paid", Decimal("1.00"), Decimal("1.00"), None, NOW))
        assert data["donor_id"] is None and data["approved_yuan"] == "1.00"
