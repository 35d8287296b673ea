"""Group donation (团体献血): organisations, drives and their rosters, donations at a drive, the year's figures."""
from datetime import datetime, timedelta, timezone

from donor.model import shanghai_day
from servicekit.outbox import envelopes
from tests.donor.integration.conftest import station
from tests.helpers import auth

WHOLE = {"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 70}
TODAY = lambda: shanghai_day(datetime.now(timezone.utc))  # noqa: E731


def organisation(client, name="复旦大学", kind="university", **kw):
    resp = client.post("/api/v1/organisations", headers=station(**kw), json={"name": name, "kind": kind})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def drive(client, org, *, day=None, roster=(), target=50, **kw):
    resp = client.post("/api/v1/drives", headers=station(**kw), json={
        "organisation_id": org["id"], "day": (day or TODAY()).isoformat(), "target_donors": target,
        "roster": [d.id for d in roster]})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def give(client, donor, drive_id=None, **extra):
    body = {**WHOLE, **extra} | ({"drive_id": drive_id} if drive_id else {})
    return client.post(f"/api/v1/donors/{donor.id}/donations", headers=station(), json=body)


def test_a_drive_with_its_roster_and_the_donations_collected_there(client, new_donor, session_factory):
    org = organisation(client)
    students = [new_donor() for _ in range(3)]
    planned = drive(client, org, roster=students[:2])
    assert sorted(planned["roster"]) == sorted(d.id for d in students[:2]) and planned["donated"] == 0
    more = client.post(f"/api/v1/drives/{planned['id']}/roster", headers=station(),
                       json={"donor_ids": [students[1].id, students[2].id]}).get_json()
    assert len(more["roster"]) == 3                                     # the one already on it: once
    donation = give(client, students[0], planned["id"])
    assert donation.status_code == 201 and donation.get_json()["drive_id"] == planned["id"]
    assert client.get(f"/api/v1/drives/{planned['id']}", headers=station()).get_json()["donated"] == 1
    recorded = [e for e in envelopes(session_factory) if e["type"] == "DonationRecorded"]
    assert recorded[-1]["data"]["drive_id"] == planned["id"]          # the other services hear it was a drive's


def test_a_donation_naming_another_days_or_stations_drive_is_refused_and_nothing_is_recorded(client, new_donor, state):
    org = organisation(client)
    tomorrows = drive(client, org, day=TODAY() + timedelta(days=1))
    theirs = drive(client, org, site_id="SH-S02")
    donor = new_donor()
    before = state()
    for drive_id in (tomorrows["id"], theirs["id"], "no-such-drive"):
        resp = give(client, donor, drive_id)
        assert resp.status_code == 422 and resp.get_json()["code"] == "drive_mismatch"
    assert state() == before


def test_bad_drives_are_refused_and_change_nothing(client, new_donor, state):
    org = organisation(client)
    before = state()
    elsewhere = organisation(client, name="南京大学", site_id="JS-S01", region="JS")
    before = state()
    cases = [({"organisation_id": elsewhere["id"], "day": TODAY().isoformat(), "target_donors": 5}, 404),
             ({"organisation_id": org["id"], "day": TODAY().isoformat(), "target_donors": 0}, 422),
             ({"organisation_id": org["id"], "day": TODAY().isoformat(), "target_donors": 5,
               "roster": ["not-a-donor"]}, 422),
             ({"organisation_id": org["id"], "day": TODAY().isoformat(), "target_donors": 5,
               "point_id": "nowhere"}, 404)]
    for body, status in cases:
        assert client.post("/api/v1/drives", headers=station(), json=body).status_code == status, body
    assert state() == before
    assert client.post("/api/v1/organisations", headers=station(), json={"name": "x", "kind": "club"}).status_code == 422


def test_another_stations_drive_is_not_found(client, new_donor):
    planned = drive(client, organisation(client))
    assert client.get(f"/api/v1/drives/{planned['id']}", headers=station(site_id="SH-S02")).status_code == 404
    resp = client.post(f"/api/v1/drives/{planned['id']}/roster", headers=station(site_id="SH-S02"),
                       json={"donor_ids": [new_donor().id]})
    assert resp.status_code == 404 and resp.get_json()["code"] == "drive_not_found"


def test_the_years_figures_per_organisation_and_group_beside_street(client, new_donor, uow_factory):
    from donor.notifier import Notifier
    from donor.services import donations

    uni, army = organisation(client), organisation(client, name="东部战区某部", kind="army")
    at_uni, at_army = drive(client, uni), drive(client, army)
    returning, first_timer, soldier, walk_in = new_donor(), new_donor(), new_donor(), new_donor()
    year = TODAY().year
    donations.record_donation(uow_factory(), Notifier(), donor_id=returning.id, site_id="SH-S01", region="SH",
                              collected_at=datetime.now(timezone.utc) - timedelta(days=400), **WHOLE)
    for donor, d in ((returning, at_uni), (first_timer, at_uni), (soldier, at_army)):
        assert give(client, donor, d["id"]).status_code == 201
    assert give(client, walk_in).status_code == 201                       # street donation
    figures = client.get("/api/v1/group-donation/stats", query_string={"year": year}, headers=station()).get_json()
    by_org = {o["organisation_id"]: o for o in figures["organisations"]}
    assert (by_org[uni["id"]]["donors"], by_org[uni["id"]]["ml"], by_org[uni["id"]]["repeat_rate"]) == (2, 800, 0.5)
    assert (by_org[army["id"]]["donors"], by_org[army["id"]]["kind"]) == (1, "army")
    assert figures["group"] == {"donations": 3, "ml": 1200}
    assert figures["street"]["donations"] >= 1                              # this year's street donations
    js = client.get("/api/v1/group-donation/stats", query_string={"year": year},
                    headers=station(site_id="JS-S01", region="JS")).get_json()
    assert js["organisations"] == [] and js["group"] == {"donations": 0, "ml": 0}
    assert client.get("/api/v1/group-donation/stats", headers=station()).status_code == 422       # year required
    assert client.get("/api/v1/group-donation/stats", query_string={"year": year},
                      headers=auth("hospital", site_id="SH-H01", region="SH")).status_code == 403
