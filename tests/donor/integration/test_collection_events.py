"""What the donor service tells the inventory about collections to expect: bookings and their cancellation or
no-show, scheduled drives, and the appointment a donation kept; and the station recording a no-show at its day
sheet. On SQLite and PostgreSQL."""
from datetime import datetime, time, timedelta, timezone

from donor.model import SHANGHAI
from donor.notifier import Notifier
from donor.services import appointments, donations
from servicekit.outbox import envelopes
from tests.donor.integration.conftest import station
from tests.donor.integration.test_appointments_api import VITALS, book, house, me, slot, tomorrow
from tests.donor.integration.test_drives_api import drive, organisation


def _events(session_factory, type_):
    return [e for e in envelopes(session_factory) if e["type"] == type_]


def test_a_booking_and_its_cancellation_are_published_without_the_donor(client, new_donor, session_factory):
    point, donor = house(client), new_donor()
    booked = book(client, donor, point).get_json()
    [event] = _events(session_factory, "AppointmentBooked")
    assert event["subject"] == booked["id"]
    assert {k: event["data"][k] for k in ("point_id", "station_id", "region", "kind", "day")} == {
        "point_id": point["id"], "station_id": "SH-S01", "region": "SH", "kind": "whole_blood",
        "day": tomorrow().isoformat()}
    assert "donor_id" not in event["data"]                       # the stock needs where and when, not who
    assert client.post(f"/api/v1/me/appointments/{booked['id']}/cancel", headers=me(donor)).status_code == 200
    [cancelled] = _events(session_factory, "AppointmentCancelled")
    assert cancelled["subject"] == booked["id"] and cancelled["data"]["at"]


def test_a_refused_booking_publishes_nothing(client, new_donor, session_factory):
    point, donor = house(client), new_donor()
    assert book(client, donor, point, answers={"feeling_well": False}).status_code == 422
    assert _events(session_factory, "AppointmentBooked") == []


def test_a_drive_is_published_with_its_target_and_a_kept_booking_named_in_the_donation(client, new_donor, uow_factory,
                                                                                     session_factory):
    planned = drive(client, organisation(client), target=40)
    [scheduled] = _events(session_factory, "DriveScheduled")
    assert scheduled["subject"] == planned["id"] and scheduled["data"]["target_donors"] == 40
    point, donor = house(client), new_donor()
    appointment_id = book(client, donor, point).get_json()["id"]
    donations.record_donation(uow_factory(), Notifier(), donor_id=donor.id, site_id="SH-S01", region="SH",
                              kind="whole_blood", volume_ml=400,
                              collected_at=datetime.combine(tomorrow(), time(9, 40), SHANGHAI),
                              now=datetime.combine(tomorrow(), time(10), SHANGHAI), **VITALS)
    assert _events(session_factory, "DonationRecorded")[-1]["data"]["appointment_id"] == appointment_id


def test_the_station_records_a_no_show_once_the_slot_has_started_and_it_is_published(client, new_donor, uow_factory,
                                                                                    session_factory, state):
    point, donor = house(client), new_donor()
    appointment_id = book(client, donor, point).get_json()["id"]
    url = f"/api/v1/donation-points/{point['id']}/appointments/{appointment_id}/no-show"
    before = state()
    early = client.post(url, headers=station())                 # tomorrow's slot has not started
    assert early.status_code == 409 and early.get_json()["code"] == "appointment_not_open"
    other = client.post(url, headers=station(site_id="SH-S02"))
    assert other.status_code == 404 and other.get_json()["code"] == "point_not_found"
    assert client.post(url, headers=me(donor)).status_code == 403
    assert state() == before
    started = datetime.fromisoformat(slot(tomorrow())) + timedelta(minutes=20)
    missed = appointments.record_no_show(uow_factory(), _principal(), point_id=point["id"],
                                         appointment_id=appointment_id, now=started)
    assert missed.status == "no_show"
    [event] = _events(session_factory, "AppointmentMissed")
    assert event["subject"] == appointment_id
    again = client.post(url, headers=station())
    assert again.status_code == 409                              # no longer booked


def test_the_nightly_no_shows_are_published(client, new_donor, uow_factory, session_factory):
    point, donor = house(client), new_donor()
    appointment_id = book(client, donor, point).get_json()["id"]
    day_after = datetime.combine(tomorrow() + timedelta(days=1), time(9), SHANGHAI)
    assert appointments.record_no_shows(uow_factory(), now=day_after.astimezone(timezone.utc)) == 1
    assert [e["subject"] for e in _events(session_factory, "AppointmentMissed")] == [appointment_id]


def _principal():
    from servicekit.auth import Principal

    return Principal(sub="station", role="station", claims=(("site_id", "SH-S01"), ("region", "SH")))
