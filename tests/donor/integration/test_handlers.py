"""Events from inventory and waiver become deferrals, notifications and shortage call-ups."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from donor.handlers import make_handlers
from donor.notifier import Notifier
from donor.orm import shortage_campaigns
from servicekit.consumer import APPLIED, DUPLICATE, EventProcessor
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import auth

NOW = datetime.now(timezone.utc)


def _processor(uow_factory):
    return EventProcessor(group="donor", handlers=make_handlers(Notifier()), uow_factory=uow_factory,
                          dlq_producer=FakeProducer(), retry_sleep_s=0)


def _notes(client, donor):
    return client.get("/api/v1/me/notifications", headers=auth("donor", donor_id=donor.id)).get_json()


def test_an_infectious_discard_defers_for_good_and_a_duplicate_changes_nothing(client, uow_factory, new_donor, session_factory):
    donor = new_donor()
    processor = _processor(uow_factory)
    record = record_of(make_envelope("DonationDiscarded", {"din": "W000126000001", "donor_id": donor.id, "reason": "HBsAg",
                                                           "infectious": True, "discarded_at": NOW.isoformat()}))
    assert processor.process(record) == APPLIED
    assert processor.process(record) == DUPLICATE
    body = client.get(f"/api/v1/donors/{donor.id}", headers=auth("station", site_id="S")).get_json()
    assert body["status"] == "permanently_deferred"
    assert [n["kind"] for n in _notes(client, donor)] == ["deferral"]
    assert "HBsAg" not in str(_notes(client, donor))


def test_a_non_infectious_discard_defers_for_the_configured_period(client, uow_factory, new_donor):
    donor = new_donor()
    _processor(uow_factory).process(record_of(make_envelope("DonationDiscarded", {
        "din": "W000126000002", "donor_id": donor.id, "reason": "lipaemic", "infectious": False,
        "discarded_at": NOW.isoformat()})))
    body = client.get(f"/api/v1/donors/{donor.id}", headers=auth("station", site_id="S")).get_json()
    assert body["status"] == "deferred" and body["deferred_until"] is not None
    elig = client.get(f"/api/v1/donors/{donor.id}/eligibility", headers=auth("donor", donor_id=donor.id)).get_json()
    assert elig["reasons"] == ["deferred"] and elig["next_eligible_at"] == body["deferred_until"]


def test_unit_used_names_hospital_and_date_never_the_patient(client, uow_factory, new_donor):
    donor = new_donor()
    _processor(uow_factory).process(record_of(make_envelope("UnitTransfused", {
        "unit_id": "u-1", "din": "W000126000003", "donor_id": donor.id, "hospital_id": "SH-H01",
        "hospital_name": "瑞金医院", "patient_blind": "abc123", "transfused_at": "2026-11-20T03:00:00+00:00"})))
    [note] = _notes(client, donor)
    assert note["kind"] == "unit_used" and "瑞金医院" in note["body"] and "2026年11月20日" in note["body"]
    assert "abc123" not in note["body"]


def _stock_event(region="SH", abo="O", rhd="pos", level="yellow", previous="green", component="red_cells"):
    return record_of(make_envelope("StockLevelChanged", {
        "site_id": "SH-S01", "region": region, "component": component, "abo": abo, "rhd": rhd, "level": level,
        "previous_level": previous, "days_of_supply": 4.2, "available_units": 40, "changed_at": NOW.isoformat()}))


def test_shortage_call_reaches_exactly_the_eligible_donors_of_that_group_and_region(client, uow_factory, new_donor,
                                                                                    session_factory):
    called = new_donor(abo="O", rhd="pos")
    wrong_group, wrong_rhd, elsewhere = new_donor(abo="A"), new_donor(abo="O", rhd="neg"), new_donor(abo="O", region="JS")
    too_soon = new_donor(abo="O")
    client.post(f"/api/v1/donors/{too_soon.id}/donations", headers=auth("station", site_id="SH-S01", region="SH"),
                json={"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 70})
    processor = _processor(uow_factory)
    processor.process(_stock_event())
    assert [n["kind"] for n in _notes(client, called)] == ["shortage_call"]
    for donor in (wrong_group, wrong_rhd, elsewhere):
        assert _notes(client, donor) == []
    assert "shortage_call" not in [n["kind"] for n in _notes(client, too_soon)]
    with session_factory() as s:
        [campaign] = s.execute(select(shortage_campaigns)).all()
    assert (campaign.abo, campaign.rhd, campaign.level, campaign.donors_notified) == ("O", "pos", "yellow", 1)

    processor.process(_stock_event(level="red", previous="yellow"))        # worse again, within 14 days
    assert [n["kind"] for n in _notes(client, called)] == ["shortage_call"]  # not twice in 14 days
    processor.process(_stock_event(level="green", previous="red"))          # recovery: nobody called
    assert len(_notes(client, called)) == 1


def test_call_ups_resume_after_the_cooldown(uow_factory, new_donor):
    from donor.services.notifications import call_up_for_shortage

    donor = new_donor(abo="B")
    first = call_up_for_shortage(uow_factory(), Notifier(), region="SH", site_id="S", component="red_cells", abo="B",
                                 rhd="pos", level="orange", previous_level="green", now=NOW)
    again = call_up_for_shortage(uow_factory(), Notifier(), region="SH", site_id="S", component="red_cells", abo="B",
                                 rhd="pos", level="red", previous_level="green", now=NOW + timedelta(days=13, hours=23))
    later = call_up_for_shortage(uow_factory(), Notifier(), region="SH", site_id="S", component="red_cells", abo="B",
                                 rhd="pos", level="red", previous_level="green", now=NOW + timedelta(days=14, minutes=1))
    assert (first, again, later) == (1, 0, 1)
    del donor


def test_claim_events_reach_the_donor_as_claim_status(client, uow_factory, new_donor):
    donor = new_donor()
    processor = _processor(uow_factory)
    for etype, status in (("ClaimSubmitted", "submitted"), ("ClaimApproved", "approved"), ("ClaimPaid", "paid")):
        processor.process(record_of(make_envelope(etype, {
            "claim_id": "c-1", "donor_id": donor.id, "channel": "mini_program", "status": status, "total_yuan": "440.00",
            "approved_yuan": "440.00", "reason": None, "occurred_at": NOW.isoformat()})))
    processor.process(record_of(make_envelope("ClaimReminderIssued", {
        "donor_id": donor.id, "hospital_id": "SH-H01", "relation": "self", "din": "W000126000009",
        "transfused_at": NOW.isoformat()})))
    notes = _notes(client, donor)
    assert sorted(n["kind"] for n in notes) == ["claim_reminder", "claim_status", "claim_status", "claim_status"]
    assert any("440.00" in n["body"] for n in notes)


def test_a_relatives_deduction_from_the_family_pool_and_its_reversal_reach_the_donor_once_each(client, uow_factory,
                                                                                                new_donor):
    donor = new_donor()
    processor = _processor(uow_factory)
    used = {"donor_id": donor.id, "deduction_id": "d-9", "hospital_id": "SH-H01", "relation": "parent",
            "relation_attested": True, "change": "used", "ml": 200, "yuan": "220.00", "occurred_at": NOW.isoformat()}
    processor.process(record_of(make_envelope("FamilyPoolUsed", used)))
    processor.process(record_of(make_envelope("FamilyPoolUsed", used)))        # published again: a new envelope id
    processor.process(record_of(make_envelope("FamilyPoolUsed", used | {"change": "returned"})))
    processor.process(record_of(make_envelope("FamilyPoolUsed", used | {
        "deduction_id": "d-10", "relation": "cousin", "relation_attested": False, "yuan": "110.00", "ml": 100})))
    notes = {n["body"]: n for n in _notes(client, donor)}
    assert [n["kind"] for n in notes.values()] == ["family_pool_used"] * 3
    spent, = [b for b in notes if "220.00 元" in b and "出院结算" in b]
    assert "亲属（父母）" in spent and "医院出具的证明" in spent
    returned, = [b for b in notes if "撤销" in b]
    assert "亲属（父母）" in returned and "恢复" in returned
    unknown, = [b for b in notes if "110.00 元" in b]
    assert "您的亲属于" in unknown and "已审核的亲属绑定" in unknown and "证明" not in unknown


def test_the_same_transfusion_told_twice_is_one_notification(client, uow_factory, new_donor):
    """Inventory may publish a unit's transfusion again (a replayed outbox gives it a new delivery)."""
    donor = new_donor()
    data = {"unit_id": "u-7", "din": "W000126000007", "donor_id": donor.id, "hospital_id": "SH-H01",
            "hospital_name": "仁济医院", "patient_blind": "x", "transfused_at": NOW.isoformat()}
    processor = _processor(uow_factory)
    processor.process(record_of(make_envelope("UnitTransfused", data)))
    processor.process(record_of(make_envelope("UnitTransfused", data)))          # another envelope id
    assert [n["kind"] for n in _notes(client, donor)] == ["unit_used"]


def test_deferred_donors_are_not_called_up_and_platelet_shortages_use_platelet_intervals(client, uow_factory,
                                                                                          new_donor):
    deferred, gave_whole_blood, ready = new_donor(abo="AB"), new_donor(abo="AB"), new_donor(abo="AB")
    processor = _processor(uow_factory)
    processor.process(record_of(make_envelope("DonationDiscarded", {
        "din": "W000126000011", "donor_id": deferred.id, "reason": "ALT", "infectious": False,
        "discarded_at": NOW.isoformat()})))
    before = (NOW - timedelta(days=60)).isoformat()          # whole blood → platelets needs 90 days
    client.post(f"/api/v1/donors/{gave_whole_blood.id}/donations", headers=auth("station", site_id="SH-S01", region="SH"),
                json={"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 70,
                      "collected_at": before})
    processor.process(_stock_event(abo="AB", component="platelets", level="orange", previous="yellow"))
    assert [n["kind"] for n in _notes(client, ready)] == ["shortage_call"]
    assert "shortage_call" not in [n["kind"] for n in _notes(client, deferred)]
    assert "shortage_call" not in [n["kind"] for n in _notes(client, gave_whole_blood)]


def test_concurrent_shortages_call_a_donor_once(client, uow_factory, new_donor, session_factory):
    """Eight consumers handle eight stations' shortages at once: each donor hears once, first call or not."""
    import threading
    import time

    from donor.orm import shortage_contacts

    # two donors called long ago (the conditional UPDATE decides) and, in a second group, a first-timer
    # (the primary key decides); a first-timer in the same group would serialise the others by its retry
    called_long_ago = [new_donor(abo="AB"), new_donor(abo="AB")]
    with session_factory() as s, s.begin():
        for donor in called_long_ago:
            s.execute(shortage_contacts.insert().values(donor_id=donor.id, last_called_at=NOW - timedelta(days=20)))
    fresh = new_donor(abo="B")
    records = [record_of(make_envelope("StockLevelChanged", {
        "site_id": f"SH-S{i:02d}", "region": "SH", "component": "red_cells", "abo": "AB" if i < 4 else "B", "rhd": "pos",
        "level": "orange", "previous_level": "green", "days_of_supply": 2.5, "available_units": 9,
        "changed_at": NOW.isoformat()})) for i in range(8)]
    start, outcomes, errors = threading.Barrier(8), [], []

    class SlowNotifier(Notifier):          # holds each transaction open, so the eight really overlap
        def notify(self, *args, **kwargs):
            time.sleep(0.05)
            return super().notify(*args, **kwargs)

    def consume(record):
        try:
            start.wait()
            processor = EventProcessor(group="donor", handlers=make_handlers(SlowNotifier()), uow_factory=uow_factory,
                                       dlq_producer=FakeProducer(), retry_sleep_s=0)
            outcomes.append(processor.process(record))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and outcomes == [APPLIED] * 8, (errors, outcomes)
    for donor in (fresh, *called_long_ago):
        assert [n["kind"] for n in _notes(client, donor)] == ["shortage_call"], donor.id
    with session_factory() as s:
        assert sum(c.donors_notified for c in s.execute(select(shortage_campaigns)).all()) == 3
