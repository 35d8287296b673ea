"""Rare donors, emergency teams and urgent calls for a rare type, through the HTTP API on SQLite and PostgreSQL."""
from servicekit.outbox import envelopes
from tests.donor.integration.conftest import station
from tests.helpers import auth

VITALS = {"hemoglobin_g_l": 140, "weight_kg": 70, "systolic": 120, "diastolic": 80}


def profile(client, donor, *, phenotypes=("bombay",), consent=True, site="SH-S01", region="SH"):
    return client.put(f"/api/v1/donors/{donor.id}/rare-profile", headers=station(site_id=site, region=region),
                      json={"phenotypes": list(phenotypes), "call_consent": consent})


def notes(client, donor):
    return client.get("/api/v1/me/notifications", headers=auth("donor", sub=donor.id, donor_id=donor.id)).get_json()


def test_a_station_records_a_donors_rare_phenotypes_and_the_waiver_is_told(client, new_donor, session_factory):
    donor = new_donor(rhd="neg")
    resp = profile(client, donor)
    assert resp.status_code == 200
    assert (resp.get_json()["rare_types"], resp.get_json()["call_consent"]) == (["rhd_neg", "bombay"], True)
    told = [e for e in envelopes(session_factory) if e["type"] == "DonorUpdated" and e["subject"] == donor.id]
    assert told[-1]["data"]["phenotypes"] == ["bombay"]
    assert profile(client, donor, consent=False).status_code == 200          # consent only: nothing to tell
    assert len([e for e in envelopes(session_factory) if e["type"] == "DonorUpdated"
                and e["subject"] == donor.id]) == len(told)


def test_an_unknown_phenotype_or_a_missing_consent_is_422_and_changes_nothing(client, new_donor, state):
    donor = new_donor()
    before = state()
    assert profile(client, donor, phenotypes=("rhd_neg",)).status_code == 422     # RhD comes from the record
    assert profile(client, donor, phenotypes=("purple",)).status_code == 422
    resp = client.put(f"/api/v1/donors/{donor.id}/rare-profile", headers=station(), json={"phenotypes": []})
    assert resp.status_code == 422 and "call_consent" in resp.get_json()["errors"]
    assert state() == before
    assert client.put("/api/v1/donors/nobody/rare-profile", headers=station(),
                      json={"phenotypes": [], "call_consent": True}).status_code == 404


def test_the_registry_lists_the_regions_rare_donors_rhd_negative_first_class(client, new_donor):
    neg, bombay, common, elsewhere = new_donor(rhd="neg"), new_donor(), new_donor(), new_donor(region="JS")
    profile(client, bombay)
    profile(client, elsewhere, site="JS-S01", region="JS")
    listed = {r["donor_id"]: r for r in client.get("/api/v1/rare-donors", headers=station()).get_json()}
    assert neg.id in listed and bombay.id in listed and common.id not in listed and elsewhere.id not in listed
    assert listed[neg.id]["rare_types"] == ["rhd_neg"] and listed[bombay.id]["call_consent"] is True
    only_bombay = client.get("/api/v1/rare-donors", query_string={"phenotype": "bombay"}, headers=station()).get_json()
    assert [r["donor_id"] for r in only_bombay] == [bombay.id]
    assert client.get("/api/v1/rare-donors", headers=auth("reviewer", region="SH")).status_code == 403


def test_an_emergency_team_takes_donors_of_its_region_once_each(client, new_donor):
    team = client.post("/api/v1/emergency-teams", headers=station(), json={"name": "黄浦区应急献血队"}).get_json()
    donor, outsider = new_donor(), new_donor(region="JS")
    url = f"/api/v1/emergency-teams/{team['id']}/members"
    assert client.post(url, headers=station(), json={"donor_id": donor.id}).get_json()["members"] == 1
    assert client.post(url, headers=station(), json={"donor_id": donor.id}).get_json()["members"] == 1
    assert client.post(url, headers=station(), json={"donor_id": outsider.id}).status_code == 404
    assert client.post(url, headers=station(site_id="SH-S02"), json={"donor_id": donor.id}).status_code == 404
    teams = client.get("/api/v1/emergency-teams", headers=station()).get_json()
    assert [(t["id"], t["members"]) for t in teams if t["id"] == team["id"]] == [(team["id"], 1)]
    assert team["id"] not in {t["id"] for t in client.get("/api/v1/emergency-teams",
                                                          headers=station(site_id="JS-S01", region="JS")).get_json()}


def test_an_urgent_rare_call_reaches_consenting_and_team_donors_of_every_region_who_can_give(client, new_donor,
                                                                                              uow_factory):
    from donor.notifier import Notifier
    from donor.services import donations

    sh, js, zj_team, no_consent, gave_lately = (new_donor(), new_donor(region="JS"), new_donor(region="ZJ"),
                                                new_donor(region="AH"), new_donor())
    for donor, consent in ((sh, True), (js, True), (zj_team, False), (no_consent, False), (gave_lately, True)):
        profile(client, donor, consent=consent, site=f"{donor.region}-S01", region=donor.region)
    team = client.post("/api/v1/emergency-teams", headers=station(site_id="ZJ-S01", region="ZJ"),
                       json={"name": "杭州应急献血队"}).get_json()
    client.post(f"/api/v1/emergency-teams/{team['id']}/members", headers=station(site_id="ZJ-S01", region="ZJ"),
                json={"donor_id": zj_team.id})
    donations.record_donation(uow_factory(), Notifier(), donor_id=gave_lately.id, site_id="SH-S01", region="SH",
                              kind="whole_blood", volume_ml=400, **VITALS)
    resp = client.post("/api/v1/rare-call-ups", headers=station(),
                       json={"phenotype": "bombay", "kind": "whole_blood", "reason": "瑞金医院孟买型产妇大出血"})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["reached"] == {"SH": 1, "JS": 1, "ZJ": 1}
    for donor in (sh, js, zj_team):
        assert any(n["kind"] == "rare_call" and "孟买型" in n["title"] for n in notes(client, donor))
    for donor in (no_consent, gave_lately):
        assert not any(n["kind"] == "rare_call" for n in notes(client, donor))
    seen_in_anhui = client.get("/api/v1/rare-call-ups", headers=station(site_id="AH-S01", region="AH")).get_json()
    assert resp.get_json()["id"] in {c["id"] for c in seen_in_anhui}                 # every region's stations told


def test_a_rare_call_for_an_unknown_type_is_422_and_calls_no_one(client, new_donor, state):
    before = state()
    resp = client.post("/api/v1/rare-call-ups", headers=station(), json={"phenotype": "purple", "reason": "x"})
    assert resp.status_code == 422 and state() == before
