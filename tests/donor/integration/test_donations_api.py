"""Recording donations through the API: eligibility, DINs, refusals that store nothing."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from servicekit.testing import row_counts

from hemolink.calendar import add_months
from donor.din import check_character
from donor.orm import donations
from servicekit.outbox import envelopes
from tests.helpers import auth

from .conftest import STATION

WHOLE = {"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 70, "systolic": 120, "diastolic": 80}


def _count(session_factory):
    return row_counts(session_factory, [donations])["donations"]


def test_a_station_records_a_donation_with_a_generated_din(client, new_donor, session_factory):
    donor = new_donor()
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", json=WHOLE, headers=auth("station", **STATION))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert len(body["din"]) == 13 and body["din"][5:7] == str(datetime.now(timezone.utc).year)[2:]
    assert body["din_check"] == check_character(body["din"])
    assert (body["counts_as_ml"], body["site_id"], body["region"]) == (400, "SH-S01", "SH")
    recorded = [e for e in envelopes(session_factory) if e["type"] == "DonationRecorded"]
    assert len(recorded) == 1 and recorded[0]["data"]["din"] == body["din"]
    assert recorded[0]["data"]["national_id_blind"] == donor.national_id_blind


def test_platelet_doses_count_as_the_regions_equivalent(client, new_donor):
    donor = new_donor()
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", headers=auth("station", **STATION),
                       json={"kind": "platelets", "doses": 2, "hemoglobin_g_l": 140, "weight_kg": 70,
                             "hematocrit": 0.42, "platelet_count": 230})
    assert resp.status_code == 201 and resp.get_json()["counts_as_ml"] == 1600


def test_an_ineligible_donation_is_422_with_every_reason_and_stores_nothing(client, new_donor, session_factory):
    donor = new_donor(female=True)
    first = client.post(f"/api/v1/donors/{donor.id}/donations", json={**WHOLE, "hemoglobin_g_l": 130, "weight_kg": 50},
                        headers=auth("station", **STATION))
    assert first.status_code == 201
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", headers=auth("station", **STATION),
                       json={**WHOLE, "hemoglobin_g_l": 110, "weight_kg": 44})
    assert resp.status_code == 422
    problem = resp.get_json()
    assert problem["code"] == "not_eligible"
    assert set(problem["reasons"]) == {"interval", "hemoglobin", "weight"}
    collected = datetime.fromisoformat(first.get_json()["collected_at"]).astimezone(timezone(timedelta(hours=8))).date()
    assert problem["next_eligible_at"] == add_months(collected, 6).isoformat()          # 6 calendar months
    assert _count(session_factory) == 1
    assert [e["type"] for e in envelopes(session_factory)].count("DonationRecorded") == 1


def test_a_typed_din_is_validated_and_used_once(client, new_donor, session_factory):
    a, b = new_donor(), new_donor()
    din = "G123417654321"
    bad = client.post(f"/api/v1/donors/{a.id}/donations", json={**WHOLE, "din": din + "B"}, headers=auth("station", **STATION))
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_din"
    ok = client.post(f"/api/v1/donors/{a.id}/donations", json={**WHOLE, "din": din + "A"}, headers=auth("station", **STATION))
    assert ok.status_code == 201 and ok.get_json()["din"] == din
    again = client.post(f"/api/v1/donors/{b.id}/donations", json={**WHOLE, "din": din}, headers=auth("station", **STATION))
    assert again.status_code == 409 and again.get_json()["code"] == "din_exists"
    assert _count(session_factory) == 1


def test_refused_requests_store_nothing(client, new_donor, session_factory):
    donor = new_donor()
    url = f"/api/v1/donors/{donor.id}/donations"
    cases = [
        (dict(json=WHOLE), 401),
        (dict(json=WHOLE, headers=auth("hospital", site_id="H1")), 403),
        (dict(json=WHOLE, headers=auth("donor", donor_id=donor.id)), 403),
        (dict(json={**WHOLE, "volume_ml": 250}, headers=auth("station", **STATION)), 422),
        (dict(json={**WHOLE, "kind": "plasma"}, headers=auth("station", **STATION)), 422),
        (dict(json={**WHOLE, "hemoglobin_g_l": "lots"}, headers=auth("station", **STATION)), 422),
        (dict(json={"kind": "whole_blood"}, headers=auth("station", **STATION)), 422),
        (dict(json={**WHOLE, "collected_at": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()},
              headers=auth("station", **STATION)), 422),
    ]
    for kwargs, status in cases:
        resp = client.post(url, **kwargs)
        assert resp.status_code == status, (kwargs, resp.get_json())
        assert resp.mimetype == "application/problem+json"
    missing = client.post("/api/v1/donors/nobody/donations", json=WHOLE, headers=auth("station", **STATION))
    assert missing.status_code == 404
    assert _count(session_factory) == 0
    assert [e["type"] for e in envelopes(session_factory)] == ["DonorRegistered"]


def test_donors_see_only_their_own_donations_eligibility_and_awards(client, new_donor):
    mine, other = new_donor(), new_donor()
    client.post(f"/api/v1/donors/{mine.id}/donations", json=WHOLE, headers=auth("station", **STATION))
    me = auth("donor", donor_id=mine.id)
    listed = client.get(f"/api/v1/donors/{mine.id}/donations", headers=me)
    assert listed.status_code == 200 and len(listed.get_json()) == 1
    for path in ("donations", "eligibility", "awards"):
        assert client.get(f"/api/v1/donors/{other.id}/{path}", headers=me).status_code == 404
    assert client.get(f"/api/v1/donors/{mine.id}/eligibility", headers=auth("hospital", site_id="H")).status_code == 403
    elig = client.get(f"/api/v1/donors/{mine.id}/eligibility?kind=whole_blood", headers=me).get_json()
    assert elig["eligible"] is False and elig["reasons"] == ["interval"]
    assert client.get(f"/api/v1/donors/{mine.id}/eligibility?kind=platelets", headers=me).get_json()["reasons"] == ["interval"]


def test_me_shows_profile_and_totals(client, new_donor):
    donor = new_donor()
    client.post(f"/api/v1/donors/{donor.id}/donations", json=WHOLE, headers=auth("station", **STATION))
    body = client.get("/api/v1/me", headers=auth("donor", donor_id=donor.id)).get_json()
    assert body["id"] == donor.id and body["donation_count"] == 1 and body["total_ml"] == 400
    assert body["next_eligible_at"] is not None and "national_id" not in body


def test_the_gateway_finds_donors_by_phone_with_its_service_token(client, new_donor):
    donor = new_donor()
    phone = "139" + f"{int(donor.name.removeprefix('献血者')):08d}"        # as the fixture made it
    resp = client.get(f"/api/v1/donors?phone={phone}", headers=auth("service"))
    assert resp.status_code == 200 and [d["id"] for d in resp.get_json()] == [donor.id]
    assert phone not in resp.get_data(as_text=True)
    assert client.get("/api/v1/donors?phone=13900000000", headers=auth("donor", donor_id=donor.id)).status_code == 403
    assert client.get("/api/v1/donors", headers=auth("station", **STATION)).status_code == 422


def test_the_recording_stations_region_supplies_the_rules(client, new_donor, monkeypatch):
    """Rules are data: a region with its own dose equivalent and haemoglobin floor, no code change."""
    from dataclasses import replace

    from donor import policy as rules

    monkeypatch.setitem(rules.REGION_RULES, "AH", replace(rules.SHANGHAI, platelet_dose_ml_equivalent=400,
                                                          min_hemoglobin_g_l={"M": 130.0, "F": 125.0}))
    anhui = auth("station", site_id="AH-S01", region="AH")
    low, ok = new_donor(), new_donor()
    platelets = {"kind": "platelets", "doses": 2, "weight_kg": 70, "hematocrit": 0.42, "platelet_count": 230}
    refused = client.post(f"/api/v1/donors/{low.id}/donations", json={**platelets, "hemoglobin_g_l": 125}, headers=anhui)
    assert refused.status_code == 422 and refused.get_json()["reasons"] == ["hemoglobin"]
    resp = client.post(f"/api/v1/donors/{ok.id}/donations", json={**platelets, "hemoglobin_g_l": 135}, headers=anhui)
    assert resp.status_code == 201 and (resp.get_json()["counts_as_ml"], resp.get_json()["region"]) == (800, "AH")


def test_a_platelet_donation_without_its_pre_collection_tests_is_422_and_stores_nothing(client, new_donor,
                                                                                       session_factory):
    donor = new_donor()
    body = {"kind": "platelets", "doses": 1, "hemoglobin_g_l": 140, "weight_kg": 70, "hematocrit": 0.42}
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", headers=auth("station", **STATION), json=body)
    assert resp.status_code == 422 and resp.headers["Content-Type"].startswith("application/problem+json")
    assert set(resp.get_json()["errors"]) == {"platelet_count"}
    assert _count(session_factory) == 0
    assert [e["type"] for e in envelopes(session_factory)] == ["DonorRegistered"]


def test_pulse_and_apheresis_counts_out_of_range_are_reasons_and_the_values_are_kept(client, new_donor,
                                                                                    session_factory):
    donor = new_donor()
    station = auth("station", **STATION)
    body = {"kind": "platelets", "doses": 1, "hemoglobin_g_l": 140, "weight_kg": 70, "pulse": 104,
            "hematocrit": 0.35, "platelet_count": 460}
    refused = client.post(f"/api/v1/donors/{donor.id}/donations", headers=station, json=body)
    assert refused.status_code == 422
    assert refused.get_json()["reasons"] == ["pulse", "hematocrit", "platelet_count"]
    assert "脉搏" in refused.get_json()["detail"] and _count(session_factory) == 0
    ok = client.post(f"/api/v1/donors/{donor.id}/donations", headers=station,
                     json={**body, "pulse": 72, "hematocrit": 0.40, "platelet_count": 220})
    assert ok.status_code == 201
    with session_factory() as s:
        row = s.execute(select(donations)).one()
    assert (row.pulse, row.hematocrit, row.platelet_count) == (72, 0.40, 220)
