"""The ledger fed by events, and the pools it gives donors and patients."""
from tests.helpers import auth
from tests.waiver.builders import ago, person
from waiver.services import entitlements
from waiver.policy_data import DEFAULTS

HOSPITAL = auth("hospital", site_id="H1", region="SH")


def test_policies_are_public_one_per_region_with_their_parameters(client):
    resp = client.get("/api/v1/waiver/policies")
    assert resp.status_code == 200
    by_region = {p["region"]: p for p in resp.get_json()}
    assert set(by_region) == {"SH", "ZJ", "JS", "AH"}
    sh = by_region["SH"]
    assert sh["donor"]["within_window"] == "5" and sh["donor"]["window_years"] == 5
    assert sh["family"][0]["relations"] == ["spouse", "child", "parent", "parent_in_law"]
    assert by_region["ZJ"]["donor"]["lifetime_threshold_ml"] == 400
    assert by_region["JS"]["donor"]["lifetime_threshold_ml"] == 800
    ah = by_region["AH"]
    assert ah["quota_model"] == "money" and "Assumptions" in ah["notes"]
    assert ah["price_tables"][0]["prices"] == {"whole_blood_200ml": "220.00", "whole_blood_200ml_rhd_neg": "390.00",
                                               "platelets_dose": "1400.00"}
    assert all(p["usage"]["red_cells"] == {"basis": "units", "ml_per": 200, "nominal_ml": 200}
               for p in by_region.values())
    assert "claim_deadline_days" in sh and sh["required_documents"]["relative"][-1] == "kinship_proof"
    assert client.get("/api/v1/waiver/policies?at=2000-01-01").status_code == 200
    assert client.get("/api/v1/waiver/policies?at=yesterday").status_code == 422


def test_seeded_policy_versions_override_defaults(app, session_factory):
    from datetime import datetime, timezone

    from waiver.unit_of_work import WaiverUnitOfWork

    uow = lambda: WaiverUnitOfWork(session_factory)  # noqa: E731
    assert entitlements.seed_policies(uow(), now=datetime.now(timezone.utc)) == len(DEFAULTS)
    assert entitlements.seed_policies(uow(), now=datetime.now(timezone.utc)) == 0
    sources = {p.source for p in entitlements.policies_in_force(uow(), now=datetime.now(timezone.utc))}
    assert sources == {"table"}


def test_a_donor_sees_self_and_family_pools_per_region_of_donation(client, ledger):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, region="SH", volume_ml=200, collected_at=ago(days=100))
    ledger.donation(donor_id, nid, region="AH", volume_ml=400, collected_at=ago(days=50))
    resp = client.get("/api/v1/me/entitlements", headers=auth("donor", donor_id=donor_id))
    pools = {(p["kind"], p["region"]): p for p in resp.get_json()["pools"]}
    assert set(pools) == {("self", "SH"), ("family", "SH"), ("self", "AH"), ("family", "AH")}
    sh = pools[("self", "SH")]
    assert (sh["quota_ml"], sh["remaining_ml"], sh["used_ml"], sh["unlimited"]) == (1000, 1000, 0, False)
    assert sh["window_ends"] is not None
    assert pools[("family", "SH")]["quota_ml"] == 200
    assert pools[("family", "SH")]["relations"] == ["spouse", "parent", "child", "parent_in_law"]
    ah = pools[("self", "AH")]
    assert ah["quota_model"] == "money" and ah["quota_yuan"] == "440.00" and ah["quota_ml"] is None


def test_another_donors_entitlements_are_not_reachable(client, ledger):
    nid = person()
    donor_id = ledger.donor(nid)
    ledger.donation(donor_id, nid, volume_ml=200)
    assert client.get("/api/v1/me/entitlements", headers=auth("donor", donor_id="x")).get_json()["pools"] == []
    assert client.get("/api/v1/me/entitlements", headers=HOSPITAL).status_code == 403
    assert client.get("/api/v1/me/entitlements").status_code == 401


def test_a_hospital_sees_a_patients_own_and_verified_family_pools(client, ledger):
    nid, relative = person(), person(female=True)
    donor_id = ledger.donor(nid, region="ZJ")
    ledger.donation(donor_id, nid, region="ZJ", volume_ml=300, collected_at=ago(days=10))
    me = auth("donor", donor_id=donor_id)
    binding = client.post("/api/v1/me/family", json={"name": "母亲", "national_id": relative, "relation": "parent"},
                          headers=me).get_json()
    lookup = f"/api/v1/waiver/entitlements?patient_national_id={relative}"
    assert client.get(lookup, headers=HOSPITAL).get_json() == {"patient_is_donor": False, "pools": []}
    client.post(f"/api/v1/waiver/family/{binding['id']}/verify", json={"approved": True},
                headers=auth("reviewer", region="ZJ"))
    pools = client.get(lookup, headers=HOSPITAL).get_json()["pools"]
    assert [(p["kind"], p["region"], p["relation"], p["remaining_ml"]) for p in pools] == \
        [("family", "ZJ", "parent", 600)]
    assert pools[0]["donor_masked"] == nid[:3] + "*" * 11 + nid[-4:]
    own = client.get(f"/api/v1/waiver/entitlements?patient_national_id={nid}", headers=HOSPITAL).get_json()
    assert own["patient_is_donor"] and own["pools"][0]["remaining_ml"] == 1500
    assert client.get(lookup, headers=auth("donor", donor_id=donor_id)).status_code == 403
    assert client.get("/api/v1/waiver/entitlements?patient_national_id=1", headers=HOSPITAL).status_code == 422


def test_duplicate_and_repeated_events_count_once(ledger, session_factory, client):
    nid = person()
    donor_id = ledger.donor(nid)
    envelope = ledger.send("AwardGranted", {"donor_id": donor_id, "level": "gold", "donation_count": 40,
                                            "granted_at": ago(days=1).isoformat()})
    from servicekit.testing import record_of
    assert ledger.processor.process(record_of(envelope)) == "duplicate"
    donation_id = ledger.donation(donor_id, nid, volume_ml=200)
    ledger.send("DonationRecorded", {"donation_id": donation_id, "donor_id": donor_id,
                                     "national_id_blind": "x" * 64, "national_id_masked": "m", "region": "SH",
                                     "site_id": "S", "kind": "whole_blood", "volume_ml": 200, "doses": None,
                                     "counts_as_ml": 200, "din": "W1", "collected_at": ago(days=30).isoformat(),
                                     "abo": "O", "rhd": "pos", "future_field": 1})        # re-sent under a new id
    pools = client.get("/api/v1/me/entitlements", headers=auth("donor", donor_id=donor_id)).get_json()["pools"]
    assert [p["quota_ml"] for p in pools if p["kind"] == "self"] == [1000]


def test_a_donation_event_before_the_registration_still_builds_the_ledger(ledger, client):
    nid = person()
    donor_id = "early-" + nid[-6:]
    ledger.donation(donor_id, nid, volume_ml=400, collected_at=ago(days=5))
    resp = client.get(f"/api/v1/waiver/entitlements?patient_national_id={nid}", headers=HOSPITAL).get_json()
    assert resp["patient_is_donor"] and resp["pools"][0]["remaining_ml"] == 2000


def test_a_rare_phenotype_the_donor_service_records_makes_a_zhejiang_donor_free_for_life(client, ledger):
    nid = person(region="330106")
    donor_id = ledger.donor(nid, region="ZJ")
    ledger.donation(donor_id, nid, region="ZJ", volume_ml=200, collected_at=ago(days=30))
    lookup = lambda: client.get("/api/v1/waiver/entitlements", query_string={"patient_national_id": nid},  # noqa: E731
                                headers=HOSPITAL).get_json()["pools"]
    assert not next(p for p in lookup() if p["kind"] == "self")["unlimited"]            # 200 ml, RhD-positive
    updated = {"donor_id": donor_id, "status": "active", "abo": "O", "rhd": "pos", "region": "ZJ",
               "updated_at": ago().isoformat()}
    ledger.send("DonorUpdated", updated)                                   # an older producer: no phenotypes key
    assert not next(p for p in lookup() if p["kind"] == "self")["unlimited"]
    ledger.send("DonorUpdated", {**updated, "phenotypes": ["bombay"]})     # serology found Bombay
    assert next(p for p in lookup() if p["kind"] == "self")["unlimited"]    # ZJ: rare-type donors free for life
    ledger.send("DonorUpdated", updated)                                   # not told again: what it knew stays
    assert next(p for p in lookup() if p["kind"] == "self")["unlimited"]
