"""Expected collections: the donor service's appointments and drives become what a station can expect per day, and
the donations that come (a drive's by `drive_id`, a kept appointment's by `appointment_id`) count against them.
Facts told twice apply once; bad queries are 422/404/403 problems. On SQLite and PostgreSQL."""
import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from inventory.handlers import HANDLERS
from inventory.orm import collections, expected_appointments, expected_drives
from hemolink.calendar import SHANGHAI
from servicekit.consumer import APPLIED, DUPLICATE, EventProcessor
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import auth

from .conftest import ADMIN, HOSPITAL1, STATION1, STATION2, new_din

URL = "/api/v1/stock/expected-collections"
TODAY = datetime.now(timezone.utc).astimezone(SHANGHAI).date()


@pytest.fixture
def processor(uow_factory):
    return EventProcessor(group="inventory", handlers=HANDLERS, uow_factory=uow_factory, dlq_producer=FakeProducer(),
                          retry_sleep_s=0)


def _at(day: date, hh=9) -> datetime:
    return datetime.combine(day, time(hh, 30), SHANGHAI)


def appointment(type_="AppointmentBooked", *, appointment_id=None, day=TODAY, kind="whole_blood", site="SH-S1"):
    appointment_id = appointment_id or str(uuid.uuid4())
    data = {"appointment_id": appointment_id, "point_id": "point-1", "station_id": site, "region": "SH",
            "kind": kind, "starts_at": _at(day).isoformat(), "day": day.isoformat(),
            "booked_at": datetime.now(timezone.utc).isoformat()}
    if type_ != "AppointmentBooked":
        data["at"] = datetime.now(timezone.utc).isoformat()
    return record_of(make_envelope(type_, data, source="donor", subject=appointment_id))


def drive(*, drive_id=None, day=TODAY, target=30, site="SH-S1"):
    drive_id = drive_id or str(uuid.uuid4())
    return record_of(make_envelope("DriveScheduled", {
        "drive_id": drive_id, "organisation_id": "org-1", "station_id": site, "region": "SH", "day": day.isoformat(),
        "point_id": None, "target_donors": target, "scheduled_at": datetime.now(timezone.utc).isoformat()},
        source="donor", subject=drive_id))


def donation(*, day=TODAY, kind="whole_blood", drive_id=None, appointment_id=None, site="SH-S1", donation_id=None):
    din = new_din()
    data = {"donation_id": donation_id or f"don-{din}", "donor_id": "donor-7", "national_id_blind": "b" * 64,
            "national_id_masked": "310***********1234", "region": "SH", "site_id": site, "kind": kind,
            "volume_ml": 400 if kind == "whole_blood" else None, "doses": 1 if kind == "platelets" else None,
            "counts_as_ml": 400, "din": din, "collected_at": _at(day, 10).isoformat(), "abo": "O", "rhd": "pos",
            "drive_id": drive_id, "appointment_id": appointment_id}
    return record_of(make_envelope("DonationRecorded", data, source="donor", subject="donor-7"))


def _days(client, headers=STATION1, **query):
    resp = client.get(URL, query_string=query, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return {d["day"]: d for d in resp.get_json()}


def test_a_station_sees_each_days_bookings_and_drive_targets_as_expected_collections(client, network, processor):
    tomorrow = TODAY + timedelta(days=1)
    for record in (appointment(day=tomorrow), appointment(day=tomorrow), appointment(day=tomorrow, kind="platelets"),
                   appointment(day=TODAY + timedelta(days=3)), drive(day=tomorrow, target=30),
                   appointment(day=tomorrow, site="SH-S2")):          # another station's
        assert processor.process(record) == APPLIED
    days = _days(client)
    assert len(days) == 7 and min(days) == TODAY.isoformat()          # a week from today, zeros included
    t = days[tomorrow.isoformat()]
    assert t["site_id"] == "SH-S1" and t["expected"] == {"whole_blood": 2 + 30, "platelets": 1}
    assert t["expected_total"] == 33 and t["appointments"]["booked"] == 3
    assert [(d["target_donors"], d["donated"], d["remaining"]) for d in t["drives"]] == [(30, 0, 30)]
    assert days[(TODAY + timedelta(days=3)).isoformat()]["expected_total"] == 1
    assert days[TODAY.isoformat()]["expected_total"] == 0
    assert _days(client, headers=STATION2)[tomorrow.isoformat()]["expected_total"] == 1


def test_a_drives_donations_count_against_its_target_and_a_kept_booking_is_no_longer_expected(client, network,
                                                                                             processor):
    drive_id, kept, cancelled, missed = (str(uuid.uuid4()) for _ in range(4))
    for record in (drive(drive_id=drive_id, target=3), appointment(appointment_id=kept),
                   appointment(appointment_id=cancelled), appointment(appointment_id=missed), appointment()):
        processor.process(record)
    for record in (donation(drive_id=drive_id), donation(drive_id=drive_id), donation(appointment_id=kept),
                   donation(kind="platelets"), appointment("AppointmentCancelled", appointment_id=cancelled),
                   appointment("AppointmentMissed", appointment_id=missed)):
        assert processor.process(record) == APPLIED
    today = _days(client)[TODAY.isoformat()]
    assert [(d["donated"], d["remaining"]) for d in today["drives"]] == [(2, 1)]
    # still expected: the drive's last donor and the one open booking; the kept, cancelled and missed are not
    assert today["expected"] == {"whole_blood": 1 + 1, "platelets": 0}
    assert today["appointments"] == {"booked": 2, "kept": 1, "cancelled": 1, "missed": 1}
    assert today["collected"] == {"whole_blood": 3, "platelets": 1} and today["collected_total"] == 4


def test_a_drive_that_collected_more_than_its_target_expects_none_not_fewer(client, network, processor):
    drive_id = str(uuid.uuid4())
    processor.process(drive(drive_id=drive_id, target=1))
    for _ in range(3):
        processor.process(donation(drive_id=drive_id))
    [d] = _days(client)[TODAY.isoformat()]["drives"]
    assert (d["donated"], d["remaining"]) == (3, 0)


def test_every_fact_told_twice_applies_once(client, network, processor, session_factory):
    appointment_id, drive_id = str(uuid.uuid4()), str(uuid.uuid4())
    facts = [appointment(appointment_id=appointment_id), drive(drive_id=drive_id, target=5),
             donation(drive_id=drive_id, donation_id="don-fixed")]
    for record in facts:
        assert processor.process(record) == APPLIED
        assert processor.process(record) == DUPLICATE                # the same envelope: the inbox drops it
    # the same facts under new envelope ids (a producer that re-published them): the ids keep them single
    processor.process(appointment(appointment_id=appointment_id))
    processor.process(drive(drive_id=drive_id, target=5))
    again = donation(drive_id=drive_id, donation_id="don-fixed")
    assert processor.process(again) == APPLIED
    with session_factory() as s:
        assert len(s.execute(select(expected_appointments)).all()) == 1
        assert len(s.execute(select(expected_drives)).all()) == 1
        assert len(s.execute(select(collections)).all()) == 1
    today = _days(client)[TODAY.isoformat()]
    assert today["expected"]["whole_blood"] == 1 + 4 and today["drives"][0]["donated"] == 1


def test_a_cancellation_heard_before_its_booking_stays_cancelled(client, network, processor):
    appointment_id = str(uuid.uuid4())
    processor.process(appointment("AppointmentCancelled", appointment_id=appointment_id))
    processor.process(appointment(appointment_id=appointment_id))
    today = _days(client)[TODAY.isoformat()]
    assert today["expected_total"] == 0 and today["appointments"]["cancelled"] == 1


def test_admin_reads_any_station_and_a_region_lists_only_days_with_something(client, network, processor):
    processor.process(appointment(day=TODAY + timedelta(days=2), site="SH-S2"))
    one = _days(client, headers=ADMIN, site_id="SH-S2")
    assert one[(TODAY + timedelta(days=2)).isoformat()]["expected_total"] == 1
    region = client.get(URL, query_string={"region": "SH"}, headers=ADMIN).get_json()
    assert [(r["site_id"], r["day"]) for r in region] == [("SH-S2", (TODAY + timedelta(days=2)).isoformat())]
    assert client.get(URL, query_string={"region": "JS"}, headers=ADMIN).get_json() == []


@pytest.mark.parametrize("query, status", [
    ({"from": "2026-13-01"}, 422),
    ({"from": "2026-12-10", "to": "2026-12-09"}, 422),
    ({"from": "2026-12-01", "to": "2027-01-15"}, 422),             # more than 31 days
    ({"site_id": "x" * 41}, 422),
    ({"site_id": "SH-NOPE"}, 404),
])
def test_bad_queries_are_problems(client, network, query, status):
    resp = client.get(URL, query_string=query, headers=STATION1)
    assert resp.status_code == status and resp.content_type == "application/problem+json"


def test_hospitals_and_donors_may_not_read_expected_collections(client, network):
    assert client.get(URL, headers=HOSPITAL1).status_code == 403
    assert client.get(URL, headers=auth("donor", donor_id="d")).status_code == 403
