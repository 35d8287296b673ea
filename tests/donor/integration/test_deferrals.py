"""Deferrals from inventory's test results: permanent, temporary, and lapsing on their end date."""
from datetime import datetime, timedelta, timezone

from donor.handlers import make_handlers
from donor.notifier import Notifier
from servicekit.consumer import APPLIED, EventProcessor
from servicekit.outbox import envelopes
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import auth

from .conftest import station

WHOLE = {"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 70}


def _discard(uow_factory, donor, *, infectious, at, din="W000126000001"):
    processor = EventProcessor(group="donor", handlers=make_handlers(Notifier()), uow_factory=uow_factory,
                               dlq_producer=FakeProducer(), retry_sleep_s=0)
    return processor.process(record_of(make_envelope("DonationDiscarded", {
        "din": din, "donor_id": donor.id, "reason": "ALT", "infectious": infectious, "unit_ids": ["u1"],
        "discarded_at": at.isoformat()})))


def test_a_deferral_stages_donor_deferred_and_donor_updated_as_documented(uow_factory, new_donor, session_factory):
    donor = new_donor()
    assert _discard(uow_factory, donor, infectious=False, at=datetime(2026, 11, 1, 2, tzinfo=timezone.utc)) == APPLIED
    staged = {e["type"]: e for e in envelopes(session_factory)}
    assert staged["DonorDeferred"]["subject"] == donor.id
    assert staged["DonorDeferred"]["data"] == {"donor_id": donor.id, "reason": "test:W000126000001:ALT",
                                               "permanent": False, "until": "2027-04-30",
                                               "deferred_at": "2026-11-01T02:00:00+00:00"}
    assert set(staged["DonorUpdated"]["data"]) == {"donor_id", "status", "abo", "rhd", "region", "updated_at",
                                                  "phenotypes"}
    assert staged["DonorUpdated"]["data"]["status"] == "deferred"


def test_a_temporary_deferral_lapses_on_its_end_date(client, uow_factory, new_donor, session_factory):
    donor = new_donor()
    _discard(uow_factory, donor, infectious=False, at=datetime.now(timezone.utc) - timedelta(days=181))
    body = client.get(f"/api/v1/donors/{donor.id}", headers=station()).get_json()
    assert (body["status"], body["deferred_until"]) == ("active", None)        # no job needed to lift it
    assert client.get(f"/api/v1/donors/{donor.id}/eligibility", headers=station()).get_json()["eligible"] is True
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", json=WHOLE, headers=station())
    assert resp.status_code == 201, resp.get_json()
    updates = [e["data"]["status"] for e in envelopes(session_factory) if e["type"] == "DonorUpdated"]
    assert updates == ["deferred", "active"]                                    # the lapse is told once stored


def test_a_deferred_donor_is_refused_until_the_date_and_a_shorter_deferral_changes_nothing(client, uow_factory,
                                                                                             new_donor, state):
    donor = new_donor()
    now = datetime.now(timezone.utc)
    _discard(uow_factory, donor, infectious=False, at=now)
    before = state()
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", json=WHOLE, headers=station())
    assert resp.status_code == 422 and resp.get_json()["reasons"] == ["deferred"]
    until = client.get(f"/api/v1/donors/{donor.id}", headers=station()).get_json()["deferred_until"]
    assert resp.get_json()["next_eligible_at"] == until
    assert state() == before
    _discard(uow_factory, donor, infectious=False, at=now - timedelta(days=10), din="W000126000002")
    assert client.get(f"/api/v1/donors/{donor.id}", headers=station()).get_json()["deferred_until"] == until
    notes = client.get("/api/v1/me/notifications", headers=auth("donor", donor_id=donor.id)).get_json()
    assert [n["kind"] for n in notes] == ["deferral"]


def test_a_permanent_deferral_outlives_any_later_temporary_one(client, uow_factory, new_donor):
    donor = new_donor()
    now = datetime.now(timezone.utc)
    _discard(uow_factory, donor, infectious=True, at=now - timedelta(days=1))
    _discard(uow_factory, donor, infectious=False, at=now, din="W000126000002")
    body = client.get(f"/api/v1/donors/{donor.id}", headers=station()).get_json()
    assert (body["status"], body["deferred_until"]) == ("permanently_deferred", None)
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", json=WHOLE, headers=station())
    assert resp.status_code == 422 and resp.get_json()["reasons"] == ["deferred"]


def test_a_deferred_donors_own_page_shows_the_record_as_staff_see_it_with_the_deferral(client, uow_factory,
                                                                                       new_donor):
    donor = new_donor()
    _discard(uow_factory, donor, infectious=False, at=datetime.now(timezone.utc) - timedelta(days=10))
    record = client.get(f"/api/v1/donors/{donor.id}", headers=station()).get_json()
    mine = client.get("/api/v1/me", headers=auth("donor", donor_id=donor.id)).get_json()
    assert record["status"] == "deferred" and record["deferred_until"]
    assert {k: mine[k] for k in record} == record               # the same fields, the deferral included
    assert set(mine) - set(record) == {"donation_count", "total_ml", "next_eligible_at"}
    assert (mine["donation_count"], mine["total_ml"]) == (0, 0)
    assert mine["next_eligible_at"] >= record["deferred_until"]  # not before the deferral ends
