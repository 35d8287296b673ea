"""Donation points and appointments through the HTTP API, on SQLite and PostgreSQL."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta, timezone

import pytest

from donor.model import SHANGHAI, shanghai_day
from donor.notifier import Notifier
from donor.prescreen import CODES
from donor.services import appointments, donations
from tests.donor.integration.conftest import station
from tests.helpers import auth

ALL_WELL = {"feeling_well": True} | {code: False for code in CODES if code != "feeling_well"}
EVERY_DAY = {str(d): [["09:00", "11:00"], ["13:00", "16:00"]] for d in range(1, 8)}
VITALS = dict(hemoglobin_g_l=140, weight_kg=70, systolic=120, diastolic=80)
URL = "/api/v1/donation-points"


def house(client, *, name="人民广场献血屋", lat=31.2304, lon=121.4737, capacity=None, site="SH-S01", **extra):
    body = {"name": name, "kind": "house", "address": "上海市黄浦区人民大道", "lat": lat, "lon": lon,
            "slot_minutes": 30, "capacity": capacity or {"whole_blood": 4, "platelets": 1}, "hours": EVERY_DAY,
            **extra}
    resp = client.post(URL, json=body, headers=station(site_id=site))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def tomorrow() -> date:
    return shanghai_day(datetime.now(timezone.utc)) + timedelta(days=1)


def slot(day: date, hhmm="09:30") -> str:
    return datetime.combine(day, time(*map(int, hhmm.split(":"))), SHANGHAI).isoformat()


def me(donor):
    return auth("donor", sub=donor.id, donor_id=donor.id)


def book(client, donor, point, *, at=None, kind="whole_blood", answers=None):
    body = {"point_id": point["id"], "kind": kind, "starts_at": at or slot(tomorrow()),
            "answers": ALL_WELL if answers is None else answers}
    return client.post("/api/v1/me/appointments", json=body, headers=me(donor))


def free(client, point, day, at, kind="whole_blood"):
    slots = client.get(f"{URL}/{point['id']}", query_string={"date": day.isoformat()}).get_json()["slots"]
    wanted = datetime.fromisoformat(at).astimezone(timezone.utc)
    return next(s["free"] for s in slots if s["kind"] == kind and datetime.fromisoformat(s["starts_at"]) == wanted)


def test_points_open_on_a_day_are_listed_publicly_nearest_first_with_their_slots(client):
    far = house(client, name="松江献血屋", lat=31.0300, lon=121.2270)
    near = house(client, name="南京路献血屋", lat=31.2350, lon=121.4750)
    resp = client.get(URL, query_string={"near": "31.2304,121.4737", "date": tomorrow().isoformat()})
    assert resp.status_code == 200
    listed = [p for p in resp.get_json() if p["id"] in (far["id"], near["id"])]
    assert [p["id"] for p in listed] == [near["id"], far["id"]]
    assert listed[0]["distance_km"] < 1 < listed[1]["distance_km"]
    first = listed[0]
    assert first["open"] and first["windows"] == [{"opens": "09:00", "closes": "11:00"},
                                                  {"opens": "13:00", "closes": "16:00"}]
    whole = [s for s in first["slots"] if s["kind"] == "whole_blood"]
    assert len(whole) == 4 + 6 and all(s["free"] == s["capacity"] == 4 for s in whole)   # 30-minute slots


def test_a_vehicle_is_found_only_where_and_when_its_schedule_puts_it(client):
    body = {"name": "采血车 1 号", "kind": "vehicle", "address": "车库", "lat": 31.0, "lon": 121.0,
            "slot_minutes": 60, "capacity": {"whole_blood": 3}}
    vehicle = client.post(URL, json=body, headers=station()).get_json()
    day = tomorrow()
    stop = {"day": day.isoformat(), "address": "复旦大学邯郸校区", "lat": 31.2990, "lon": 121.5010,
            "opens": "10:00", "closes": "15:00"}
    assert client.post(f"{URL}/{vehicle['id']}/stops", json=stop, headers=station()).status_code == 201
    on_day = next(p for p in client.get(URL, query_string={"date": day.isoformat()}).get_json()
                  if p["id"] == vehicle["id"])
    assert (on_day["address"], on_day["lat"], len(on_day["slots"])) == ("复旦大学邯郸校区", 31.299, 5)
    other_day = (day + timedelta(days=1)).isoformat()
    assert vehicle["id"] not in {p["id"] for p in client.get(URL, query_string={"date": other_day}).get_json()}


def test_a_booking_takes_a_place_and_tells_the_donor(client, new_donor):
    point, donor = house(client), new_donor()
    at = slot(tomorrow())
    resp = book(client, donor, point, at=at)
    assert resp.status_code == 201, resp.get_json()
    booked = resp.get_json()
    assert booked["status"] == "booked" and booked["answers"] == ALL_WELL
    assert free(client, point, tomorrow(), at) == 3
    assert [a["id"] for a in client.get("/api/v1/me/appointments", headers=me(donor)).get_json()] == [booked["id"]]
    inbox = client.get("/api/v1/me/notifications", headers=me(donor)).get_json()
    assert inbox[0]["kind"] == "appointment_booked" and "人民广场献血屋" in inbox[0]["body"]


def test_answers_that_would_stop_the_collection_refuse_the_booking_and_change_nothing(client, new_donor, state):
    point, donor = house(client), new_donor()
    before = state()
    resp = book(client, donor, point, answers={**ALL_WELL, "tattoo_or_piercing_12m": True, "feeling_well": False})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == "not_eligible"
    assert set(body["reasons"]) == {"prescreen_tattoo", "prescreen_unwell"} and "文身" in body["detail"]
    assert state() == before


def test_a_slot_before_the_next_eligible_date_is_refused_with_that_date(client, uow_factory, new_donor, state):
    point, donor = house(client), new_donor()
    donations.record_donation(uow_factory(), Notifier(), donor_id=donor.id, site_id="SH-S01", region="SH",
                              kind="whole_blood", volume_ml=400, **VITALS)
    before = state()
    resp = book(client, donor, point)
    body = resp.get_json()
    assert resp.status_code == 422 and body["reasons"] == ["interval"]
    assert date.fromisoformat(body["next_eligible_at"]) > tomorrow()
    assert state() == before


@pytest.mark.parametrize("case", ["closed_hour", "past", "beyond_horizon", "kind_not_offered", "unknown_point"])
def test_a_slot_that_cannot_be_booked_is_refused(client, new_donor, state, case):
    point = house(client, capacity={"whole_blood": 2})
    donor = new_donor()
    at = {"closed_hour": slot(tomorrow(), "12:00"), "past": slot(tomorrow() - timedelta(days=2)),
          "beyond_horizon": slot(tomorrow() + timedelta(days=30))}.get(case, slot(tomorrow()))
    before = state()
    resp = book(client, donor, {"id": "nowhere"} if case == "unknown_point" else point, at=at,
                kind="platelets" if case == "kind_not_offered" else "whole_blood")
    expected = (404, "point_not_found") if case == "unknown_point" else (422, "slot_unavailable")
    assert (resp.status_code, resp.get_json()["code"]) == expected
    assert state() == before


def test_a_donor_holds_one_booking_at_a_time(client, new_donor):
    point, donor = house(client), new_donor()
    assert book(client, donor, point).status_code == 201
    again = book(client, donor, point, at=slot(tomorrow(), "14:00"))
    assert again.status_code == 409 and again.get_json()["code"] == "appointment_exists"


def test_cancelling_gives_the_place_back_once_and_only_the_owner_can(client, new_donor, state):
    point, donor, other = house(client), new_donor(), new_donor()
    at = slot(tomorrow())
    booked = book(client, donor, point, at=at).get_json()
    before = state()
    stranger = client.post(f"/api/v1/me/appointments/{booked['id']}/cancel", headers=me(other))
    assert stranger.status_code == 404 and stranger.get_json()["code"] == "appointment_not_found"
    assert state() == before
    resp = client.post(f"/api/v1/me/appointments/{booked['id']}/cancel", headers=me(donor))
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    assert free(client, point, tomorrow(), at) == 4
    twice = client.post(f"/api/v1/me/appointments/{booked['id']}/cancel", headers=me(donor))
    assert twice.status_code == 409 and free(client, point, tomorrow(), at) == 4
    assert book(client, donor, point, at=at).status_code == 201        # free to book again


def test_a_stations_day_sheet_lists_its_expected_donors_and_no_one_else_sees_it(client, new_donor):
    point = house(client)
    donors = [new_donor() for _ in range(2)]
    for donor, hhmm in zip(donors, ("10:00", "09:00")):
        assert book(client, donor, point, at=slot(tomorrow(), hhmm)).status_code == 201
    sheet = client.get(f"{URL}/{point['id']}/day-sheet", query_string={"date": tomorrow().isoformat()},
                       headers=station())
    assert sheet.status_code == 200
    assert [e["donor_id"] for e in sheet.get_json()] == [donors[1].id, donors[0].id]      # in slot order
    assert all("*" in e["phone_masked"] for e in sheet.get_json())
    other = client.get(f"{URL}/{point['id']}/day-sheet", headers=station(site_id="SH-S02"))
    assert other.status_code == 404 and other.get_json()["code"] == "point_not_found"
    assert client.get(f"{URL}/{point['id']}/day-sheet", headers=me(donors[0])).status_code == 403


def test_the_last_place_goes_to_exactly_one_of_many_racing_donors(client, uow_factory, new_donor, session_factory):
    point = house(client, capacity={"whole_blood": 3})
    donors = [new_donor() for _ in range(12)]
    at = datetime.fromisoformat(slot(tomorrow()))
    barrier = threading.Barrier(len(donors))

    def attempt(donor):
        barrier.wait()
        try:
            return appointments.book(uow_factory(), Notifier(), donor_id=donor.id, point_id=point["id"],
                                     kind="whole_blood", starts_at=at, answers=ALL_WELL,
                                     now=datetime.now(timezone.utc))
        except Exception as exc:           # collected: the test asserts on them
            return exc

    with ThreadPoolExecutor(max_workers=len(donors)) as pool:
        results = list(pool.map(attempt, donors))
    booked = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(booked) == 3 and all(getattr(r, "code", None) == "slot_full" for r in refused), refused[:3]
    assert free(client, point, tomorrow(), slot(tomorrow())) == 0
    from sqlalchemy import text

    with session_factory() as session:
        assert session.execute(text("SELECT count(*) FROM appointments WHERE status = 'booked'")).scalar() == 3


def test_tomorrows_donors_are_reminded_once(client, uow_factory, new_donor):
    point, donor, later = house(client), new_donor(), new_donor()
    book(client, donor, point)
    book(client, later, point, at=slot(tomorrow() + timedelta(days=1)))
    now = datetime.now(timezone.utc)
    assert appointments.send_reminders(uow_factory(), Notifier(), now=now) == 1
    assert appointments.send_reminders(uow_factory(), Notifier(), now=now) == 0
    kinds = [n["kind"] for n in client.get("/api/v1/me/notifications", headers=me(donor)).get_json()]
    assert kinds.count("appointment_reminder") == 1
    assert "appointment_reminder" not in [n["kind"] for n in
                                          client.get("/api/v1/me/notifications", headers=me(later)).get_json()]


def test_a_kept_booking_is_marked_by_its_donation_and_a_missed_one_becomes_a_no_show(client, uow_factory, new_donor):
    point, kept, missed = house(client), new_donor(), new_donor()
    kept_id = book(client, kept, point).get_json()["id"]
    missed_id = book(client, missed, point, at=slot(tomorrow(), "10:00")).get_json()["id"]
    day_after = datetime.combine(tomorrow() + timedelta(days=1), time(9), SHANGHAI)
    donations.record_donation(uow_factory(), Notifier(), donor_id=kept.id, site_id="SH-S01", region="SH",
                              kind="whole_blood", volume_ml=400, collected_at=datetime.combine(
                                  tomorrow(), time(9, 40), SHANGHAI), now=day_after, **VITALS)
    assert appointments.record_no_shows(uow_factory(), now=day_after) == 1
    status = {a["id"]: a for d in (kept, missed)
              for a in client.get("/api/v1/me/appointments", headers=me(d)).get_json()}
    assert status[kept_id]["status"] == "attended" and status[kept_id]["donation_id"]
    assert status[missed_id]["status"] == "no_show"


@pytest.mark.parametrize("query", [{"near": "abc"}, {"near": "95,121"}, {"date": "2026-13-01"}, {"kind": "plasma"}])
def test_malformed_searches_are_422_problems(client, query):
    resp = client.get(URL, query_string=query)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"


def test_a_booking_without_every_answer_is_422_and_changes_nothing(client, new_donor, state):
    point, donor = house(client), new_donor()
    before = state()
    partial = {k: v for k, v in ALL_WELL.items() if k != "surgery_6m"}
    resp = book(client, donor, point, answers=partial)
    assert resp.status_code == 422 and "surgery_6m" in str(resp.get_json()["errors"])
    assert state() == before


def test_only_stations_register_points_and_schedule_their_own_vehicles(client, new_donor):
    body = {"name": "x", "kind": "vehicle", "address": "y", "lat": 31, "lon": 121, "capacity": {"whole_blood": 1}}
    assert client.post(URL, json=body, headers=me(new_donor())).status_code == 403
    vehicle = client.post(URL, json=body, headers=station()).get_json()
    stop = {"day": tomorrow().isoformat(), "address": "z", "lat": 31, "lon": 121, "opens": "10:00", "closes": "12:00"}
    other = client.post(f"{URL}/{vehicle['id']}/stops", json=stop, headers=station(site_id="SH-S02"))
    assert other.status_code == 404
    fixed = house(client)
    assert client.post(f"{URL}/{fixed['id']}/stops", json=stop, headers=station()).get_json()["code"] == "not_a_vehicle"


def test_the_questionnaire_is_public_and_in_chinese(client):
    questions = client.get("/api/v1/prescreening").get_json()
    assert [q["code"] for q in questions] == list(CODES)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in q["text"]) for q in questions)


def test_one_donor_racing_for_several_slots_holds_exactly_one(client, uow_factory, new_donor):
    point, donor = house(client), new_donor()
    times = [datetime.fromisoformat(slot(tomorrow(), hhmm)) for hhmm in ("09:00", "09:30", "10:00", "10:30", "13:00")]
    barrier = threading.Barrier(len(times))

    def attempt(at):
        barrier.wait()
        try:
            return appointments.book(uow_factory(), Notifier(), donor_id=donor.id, point_id=point["id"],
                                     kind="whole_blood", starts_at=at, answers=ALL_WELL,
                                     now=datetime.now(timezone.utc))
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(times)) as pool:
        results = list(pool.map(attempt, times))
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(r.code == "appointment_exists" for r in results if isinstance(r, Exception)), results
    taken = sum(4 - free(client, point, tomorrow(), at.isoformat()) for at in times)
    assert taken == 1                       # the losers' places were never taken: their transactions rolled back


def test_a_call_up_invites_to_free_places_and_reports_invited_booked_donated(client, uow_factory, new_donor):
    from donor.services.notifications import call_up_for_shortage

    one_place = {str(tomorrow().isoweekday()): [["09:00", "09:30"]]}          # one 30-minute slot, one chair
    point = house(client, name="告急献血屋", capacity={"whole_blood": 1}, hours=one_place)
    donors = [new_donor(abo="AB", rhd="neg") for _ in range(5)]
    called = call_up_for_shortage(uow_factory(), Notifier(), region="SH", site_id="SH-S01", component="red_cells",
                                  abo="AB", rhd="neg", level="red", previous_level="green")
    assert called == 3                                     # 3 invitations per free place, not every donor
    invited = [d for d in donors if any(n["kind"] == "shortage_call" for n in
                                        client.get("/api/v1/me/notifications", headers=me(d)).get_json())]
    assert len(invited) == 3
    note = next(n for n in client.get("/api/v1/me/notifications", headers=me(invited[0])).get_json()
                if n["kind"] == "shortage_call")
    assert "告急献血屋" in note["body"] and f"point={point['id']}" in note["body"]
    campaign = note["body"].split("campaign=")[1].split("&")[0]
    resp = client.post("/api/v1/me/appointments", headers=me(invited[0]), json={
        "point_id": point["id"], "kind": "whole_blood", "starts_at": slot(tomorrow(), "09:00"), "answers": ALL_WELL,
        "campaign_id": campaign})
    assert resp.status_code == 201 and resp.get_json()["campaign_id"] == campaign
    donations.record_donation(uow_factory(), Notifier(), donor_id=invited[1].id, site_id="SH-S01", region="SH",
                              kind="whole_blood", volume_ml=400, **VITALS)       # came without booking
    reports = client.get("/api/v1/call-ups", headers=station()).get_json()
    mine = next(r for r in reports if r["id"] == campaign)
    assert (mine["abo"], mine["rhd"], mine["invited"], mine["booked"], mine["donated"]) == ("AB", "neg", 3, 1, 1)
    assert campaign not in {r["id"] for r in client.get("/api/v1/call-ups", headers=station(region="JS")).get_json()}


def test_a_booking_link_followed_by_someone_not_invited_books_uncounted(client, new_donor):
    point, donor = house(client), new_donor()
    resp = client.post("/api/v1/me/appointments", headers=me(donor), json={
        "point_id": point["id"], "kind": "whole_blood", "starts_at": slot(tomorrow()), "answers": ALL_WELL,
        "campaign_id": "not-a-call-up"})
    assert resp.status_code == 201 and resp.get_json()["campaign_id"] is None
