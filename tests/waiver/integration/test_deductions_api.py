"""Direct deduction at discharge through the HTTP API, on SQLite and PostgreSQL."""
import json

from servicekit.outbox import envelopes
from tests.helpers import auth
from tests.waiver.builders import ago, deduction_body, line, person

HOSPITAL = auth("hospital", site_id="H1", region="SH")
OTHER_HOSPITAL = auth("hospital", site_id="H2", region="SH")
URL = "/api/v1/waiver/direct-deductions"


def _post(client, body, key="k-1", headers=HOSPITAL):
    return client.post(URL, json=body, headers={**headers, "Idempotency-Key": key})


def _donor(ledger, volume_ml=200, region="SH", days_ago=30):
    nid = person()
    donor_id = ledger.donor(nid, region=region)
    ledger.donation(donor_id, nid, region=region, volume_ml=volume_ml, collected_at=ago(days=days_ago))
    return nid, donor_id


def test_a_donor_patient_is_waived_in_full_within_quota(client, ledger, session_factory):
    nid, donor_id = _donor(ledger)                     # SH 200 ml → 1000 ml within 5 years
    resp = _post(client, deduction_body(nid, [line(amount="440.00", units=2)]))
    assert resp.status_code == 201, resp.get_json()
    d = resp.get_json()
    assert (d["status"], d["total_yuan"], d["waived_yuan"], d["patient_pays_yuan"]) == \
        ("applied", "440.00", "440.00", "0.00")
    assert d["lines"][0]["waived_ml"] == 400 and "reason" not in d["lines"][0]
    assert d["pools_used"] == [{"kind": "self", "region": "SH", "donor_masked": nid[:3] + "*" * 11 + nid[-4:],
                                "ml": 400, "yuan": "440.00"}]
    assert nid not in resp.get_data(as_text=True)
    events = [e for e in envelopes(session_factory) if e["type"] == "DirectDeductionApplied"]
    assert len(events) == 1 and events[0]["data"]["pools_used"][0]["donor_id"] == donor_id
    assert events[0]["data"]["waived_yuan"] == "440.00" and nid not in json.dumps(events)


def test_a_pool_covering_part_of_a_line_pays_pro_rata(client, ledger):
    nid, _ = _donor(ledger)                            # 1000 ml
    first = _post(client, deduction_body(nid, [line(amount="880.00", units=4)]), key="a").get_json()
    assert first["waived_yuan"] == "880.00"            # 800 ml used, 200 ml left
    second = _post(client, deduction_body(nid, [line(amount="600.00", units=3)]), key="b").get_json()
    assert second["lines"][0]["waived_ml"] == 200 and second["waived_yuan"] == "200.00"   # 200 of 600 ml
    assert second["patient_pays_yuan"] == "400.00" and second["lines"][0]["reason"] == "quota_exhausted"
    third = _post(client, deduction_body(nid, [line(amount="100.00", units=1)]), key="c").get_json()
    assert third["waived_yuan"] == "0.00" and third["lines"][0]["reason"] == "quota_exhausted"


def test_only_the_blood_cost_insurance_did_not_pay_is_waived(client, ledger):
    nid, _ = _donor(ledger)                            # 1000 ml
    d = _post(client, deduction_body(nid, [line(amount="440.00", units=2, insurance_paid_yuan="140.00")])).get_json()
    assert (d["total_yuan"], d["insurance_paid_yuan"], d["waived_yuan"], d["patient_pays_yuan"]) == \
        ("440.00", "140.00", "300.00", "0.00")
    assert d["lines"][0]["waived_ml"] == 400 and d["pools_used"][0]["yuan"] == "300.00"
    # a pool covering part of a line pays that part of what insurance left: 600 of 800 ml of 800 yuan
    partial = _post(client, deduction_body(nid, [line(amount="880.00", units=4, insurance_paid_yuan="80.00")]),
                    key="k-2").get_json()
    assert (partial["lines"][0]["waived_ml"], partial["waived_yuan"], partial["patient_pays_yuan"]) == \
        (600, "600.00", "200.00")


def test_insurance_paying_more_than_the_line_costs_is_refused_and_stores_nothing(client, ledger, counts):
    nid, _ = _donor(ledger)
    before = counts()
    resp = _post(client, deduction_body(nid, [line(amount="440.00", units=2, insurance_paid_yuan="440.01")]))
    assert resp.status_code == 422 and "insurance_paid_yuan" in str(resp.get_json()["errors"])
    assert counts() == before


def test_a_patient_who_never_donated_pays_everything(client, counts):
    resp = _post(client, deduction_body(person()))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["waived_yuan"] == "0.00" and body["lines"][0]["reason"] == "not_a_donor"
    assert counts()["waived_lines"] == 0


def test_blood_used_before_the_donation_is_not_covered(client, ledger):
    nid, _ = _donor(ledger, days_ago=1)
    body = _post(client, deduction_body(nid, [line(days_ago=3)])).get_json()
    assert body["waived_yuan"] == "0.00" and body["lines"][0]["reason"] == "donation_after_use"


def test_replayed_idempotency_key_returns_the_same_response_and_applies_once(client, ledger, counts, session_factory):
    nid, _ = _donor(ledger)
    body = deduction_body(nid)
    first = _post(client, body, key="same")
    again = _post(client, body, key="same")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    state = counts()
    assert state["deductions"] == 1 and state["used_ml"] == 400 and state["idempotency_keys"] == 1
    assert len([e for e in envelopes(session_factory) if e["type"] == "DirectDeductionApplied"]) == 1


AH_HOSPITAL = auth("hospital", site_id="AH-H1", region="AH")


def test_a_line_billed_above_the_regions_supply_price_is_waived_at_that_price_less_insurance(client, ledger):
    nid = person()
    donor_id = ledger.donor(nid, region="AH")
    for _ in range(2):   # two platelet doses given in Anhui: 2 × 1,400 yuan of base amount
        ledger.donation(donor_id, nid, region="AH", kind="platelets", doses=1, collected_at=ago(days=30))
    platelets = dict(component="platelets", volume_ml=250, units=None, doses=1)
    d = _post(client, deduction_body(nid, [line(amount="1600.00", **platelets)]), key="1",
              headers=AH_HOSPITAL).get_json()
    assert (d["waived_yuan"], d["patient_pays_yuan"]) == ("1400.00", "200.00")       # the dose's price, 1,400
    assert d["lines"][0]["reason"] == "above_region_price"
    d = _post(client, deduction_body(nid, [line(amount="1600.00", insurance_paid_yuan="300.00", **platelets)]),
              key="2", headers=AH_HOSPITAL).get_json()
    assert (d["waived_yuan"], d["patient_pays_yuan"]) == ("1100.00", "200.00")       # min(1600, 1400) − 300
    at_price = _post(client, deduction_body(nid, [line(amount="1400.00", **platelets)]), key="3",
                     headers=AH_HOSPITAL)
    assert at_price.get_json()["lines"][0].get("reason") == "quota_exhausted"       # 2,500 of 2,800 used: 300 left


def test_a_region_without_a_sourced_price_waives_the_line_as_billed(client, ledger):
    nid, _ = _donor(ledger, volume_ml=400)            # SH: 2,000 ml within 5 years
    d = _post(client, deduction_body(nid, [line(amount="1600.00", component="platelets", volume_ml=250,
                                                 units=None, doses=1)])).get_json()
    assert d["waived_yuan"] == "1600.00" and "reason" not in d["lines"][0]


def test_a_replay_after_a_reversal_answers_as_the_apply_did_and_gives_back_nothing_twice(client, ledger, counts):
    nid, _ = _donor(ledger)
    body = deduction_body(nid)
    first = _post(client, body, key="k").get_json()
    reversed_ = client.post(f"{URL}/{first['id']}/reverse", json={"reason": "出院结算有误"}, headers=HOSPITAL)
    assert reversed_.status_code == 200 and reversed_.get_json()["status"] == "reversed"
    before = counts()
    again = _post(client, body, key="k")
    assert again.status_code == 201 and again.get_json() == first      # the first answer, not today's state
    assert counts() == before and before["used_ml"] == 0
    assert client.get(f"{URL}/{first['id']}", headers=HOSPITAL).get_json()["status"] == "reversed"


def test_a_key_recorded_with_its_whole_answer_before_0007_still_replays(client, ledger, session_factory):
    from sqlalchemy import text

    nid, _ = _donor(ledger)
    body = deduction_body(nid)
    first = _post(client, body, key="old").get_json()
    with session_factory() as session, session.begin():   # as 0006 stored it: the response, no deduction id
        session.execute(text("UPDATE idempotency_keys SET deduction_id = NULL, response = :r WHERE key = 'old'"),
                        {"r": json.dumps(first, ensure_ascii=False)})
    assert _post(client, body, key="old").get_json() == first


def test_an_idempotency_key_reused_with_another_body_is_409_and_changes_nothing(client, ledger, counts):
    nid, _ = _donor(ledger)
    body = deduction_body(nid)
    _post(client, body, key="k")
    before = counts()
    resp = _post(client, {**body, "patient_name": "别人"}, key="k")
    assert resp.status_code == 409 and resp.get_json()["code"] == "idempotency_key_reused"
    assert counts() == before


def test_the_same_key_at_another_hospital_is_another_request(client, ledger):
    nid, _ = _donor(ledger)
    assert _post(client, deduction_body(nid), key="k").status_code == 201
    assert _post(client, deduction_body(nid), key="k", headers=OTHER_HOSPITAL).status_code == 201


def test_a_deduction_without_idempotency_key_is_428_and_changes_nothing(client, ledger, counts):
    nid, _ = _donor(ledger)
    before = counts()
    resp = client.post(URL, json=deduction_body(nid), headers=HOSPITAL)
    assert resp.status_code == 428 and resp.get_json()["code"] == "idempotency_key_required"
    assert counts() == before


def test_preview_stores_nothing(client, ledger, counts):
    nid, _ = _donor(ledger)
    before = counts()
    resp = client.post(URL + "/preview", json=deduction_body(nid), headers=HOSPITAL)
    assert resp.status_code == 200
    assert resp.get_json()["waived_yuan"] == "440.00" and resp.get_json()["status"] == "preview"
    assert counts() == before


def test_a_blood_line_is_waived_once_then_already_waived(client, ledger):
    nid, _ = _donor(ledger, volume_ml=400)
    lines = [line(unit_id="U-1", amount="220.00", units=1)]
    first = _post(client, deduction_body(nid, lines), key="1").get_json()
    second = _post(client, deduction_body(nid, lines), key="2").get_json()
    assert first["waived_yuan"] == "220.00"
    assert second["waived_yuan"] == "0.00" and second["lines"][0]["reason"] == "already_waived"


def test_a_din_typed_with_its_check_character_is_the_same_blood_line(client, ledger):
    nid, _ = _donor(ledger, volume_ml=400)
    first = _post(client, deduction_body(nid, [line(din="w12345678901a", component="plasma", volume_ml=100,
                                                    amount="50.00")]), key="1").get_json()
    second = _post(client, deduction_body(nid, [line(din="W12345678901A7", component="plasma", volume_ml=100,
                                                     amount="50.00")]), key="2").get_json()
    assert first["waived_yuan"] == "50.00" and first["lines"][0]["din"] == "W12345678901A"
    assert second["lines"][0]["reason"] == "already_waived"


def test_reverse_gives_the_quota_back_and_the_line_can_be_deducted_again(client, ledger, counts, session_factory):
    nid, _ = _donor(ledger)                              # 1000 ml
    lines = [line(unit_id="U-9", amount="1100.00", units=5)]
    first = _post(client, deduction_body(nid, lines), key="1").get_json()
    assert counts()["used_ml"] == 1000
    resp = client.post(f"{URL}/{first['id']}/reverse", json={"reason": "出院结算作废"}, headers=HOSPITAL)
    assert resp.status_code == 200 and resp.get_json()["status"] == "reversed"
    assert counts()["used_ml"] == 0 and counts()["waived_lines"] == 0
    again = _post(client, deduction_body(nid, lines), key="2").get_json()
    assert again["waived_yuan"] == "1100.00" and counts()["used_ml"] == 1000
    twice = client.post(f"{URL}/{first['id']}/reverse", json={"reason": "x"}, headers=HOSPITAL)
    assert twice.status_code == 409 and twice.get_json()["code"] == "already_reversed"
    assert counts()["used_ml"] == 1000
    types = [e["type"] for e in envelopes(session_factory)]
    assert types.count("DirectDeductionReversed") == 1


def test_another_hospital_cannot_reverse_or_read_a_deduction(client, ledger, counts):
    nid, _ = _donor(ledger)
    d = _post(client, deduction_body(nid)).get_json()
    before = counts()
    resp = client.post(f"{URL}/{d['id']}/reverse", json={"reason": "x"}, headers=OTHER_HOSPITAL)
    assert resp.status_code == 404 and counts() == before
    assert client.get(f"{URL}/{d['id']}", headers=OTHER_HOSPITAL).status_code == 404
    assert client.get(f"{URL}/{d['id']}", headers=HOSPITAL).status_code == 200


def test_a_relative_is_paid_from_the_family_pool_with_the_hospitals_attestation(client, ledger):
    donor_nid, donor_id = _donor(ledger)               # SH family: 1× 200 ml within 5 years
    spouse = person(female=True)
    body = deduction_body(spouse, [line(amount="440.00", units=2)], donor_national_id=donor_nid,
                          relation="spouse", relation_attested=True, proof_ref="HIS-PROOF-77")
    # Shanghai's family waiver is for relatives who cannot donate and have no employer paying: unattested, nothing
    refused = _post(client, body, key="no-conditions").get_json()
    assert refused["waived_yuan"] == "0.00" and refused["lines"][0]["reason"] == "relative_conditions_not_attested"
    assert refused["relative_conditions_attested"] is False
    d = _post(client, {**body, "admission_no": body["admission_no"] + "-2", "relative_conditions_attested": True}
              ).get_json()
    assert d["waived_yuan"] == "220.00" and d["pools_used"][0]["kind"] == "family"
    assert d["lines"][0]["waived_ml"] == 200 and d["relative_conditions_attested"] is True


def test_a_region_that_does_not_require_the_relatives_conditions_pays_without_them(client, ledger):
    donor_nid, _ = _donor(ledger, region="ZJ")        # ZJ family: spouse 2x within 5 years, no such condition
    body = deduction_body(person(female=True), [line(amount="440.00", units=2)], donor_national_id=donor_nid,
                          relation="spouse", relation_attested=True, proof_ref="HIS-PROOF-78")
    d = _post(client, body).get_json()
    assert d["waived_yuan"] == "440.00" and d["relative_conditions_attested"] is False


def test_the_donor_whose_family_pool_paid_is_told_of_the_deduction_and_of_its_reversal(client, ledger, session_factory):
    donor_nid, donor_id = _donor(ledger)
    own = _post(client, deduction_body(donor_nid, [line(amount="220.00", units=1)]), key="self").get_json()
    parent = person(birth="19550101")
    body = deduction_body(parent, [line(amount="440.00", units=2)], donor_national_id=donor_nid,
                          relation="parent", relation_attested=True, proof_ref="HIS-PROOF-78",
                          relative_conditions_attested=True)
    d = _post(client, body, key="parent").get_json()
    assert own["pools_used"][0]["kind"] == "self" and d["pools_used"][0]["kind"] == "family"
    for deduction in (d, own):
        resp = client.post(f"{URL}/{deduction['id']}/reverse", json={"reason": "出院结算作废"}, headers=HOSPITAL)
        assert resp.status_code == 200, resp.get_json()

    told = [e for e in envelopes(session_factory) if e["type"] == "FamilyPoolUsed"]
    assert [(e["subject"], e["data"]["deduction_id"], e["data"]["change"]) for e in told] == \
        [(donor_id, d["id"], "used"), (donor_id, d["id"], "returned")]       # the donor's own discharge: nothing
    for event, change in zip(told, ("used", "returned")):                   # "returned": from the stored deduction
        assert event["data"] | {"occurred_at": None} == {
            "donor_id": donor_id, "deduction_id": d["id"], "hospital_id": "H1", "relation": "parent",
            "relation_attested": True, "change": change, "ml": 200, "yuan": "220.00", "occurred_at": None}
    assert donor_nid not in json.dumps(told) and parent not in json.dumps(told)


def test_a_relative_without_binding_or_attestation_is_refused(client, ledger, counts):
    donor_nid, _ = _donor(ledger)
    before = counts()
    resp = _post(client, deduction_body(person(), donor_national_id=donor_nid, relation="child"))
    assert resp.status_code == 422 and resp.get_json()["code"] == "relation_not_verified"
    assert counts() == before


def test_a_relation_outside_the_policy_waives_nothing(client, ledger):
    donor_nid, _ = _donor(ledger)
    body = deduction_body(person(), donor_national_id=donor_nid, relation="sibling", relation_attested=True,
                          proof_ref="P-1")
    d = _post(client, body).get_json()
    assert d["waived_yuan"] == "0.00" and d["lines"][0]["reason"] == "relation_out_of_scope"


def test_a_unit_inventory_reported_for_another_patient_or_hospital_is_refused(client, ledger, counts):
    nid, _ = _donor(ledger)
    ledger.transfusion(unit_id="U-A", din="W000012345678", patient_national_id=person())
    ledger.transfusion(unit_id="U-B", din="W000012345679", patient_national_id=nid, hospital_id="H2")
    ledger.transfusion(unit_id="U-C", din="W000012345670", patient_national_id=nid)
    before = counts()
    for cited in ({"unit_id": "U-A"}, {"unit_id": "U-B"}, {"din": "W000012345678"}):
        resp = _post(client, deduction_body(nid, [line(**cited)]), key=str(cited))
        assert resp.status_code == 422 and resp.get_json()["code"] == "unit_mismatch", cited
    assert counts() == before
    assert _post(client, deduction_body(nid, [line(unit_id="U-C")]), key="ok").status_code == 201
    assert _post(client, deduction_body(nid, [line()]), key="no-unit").status_code == 201


def test_refused_requests_change_nothing(client, ledger, counts):
    nid, _ = _donor(ledger)
    good = deduction_body(nid)
    cases = [
        (dict(json=good), 401, None),
        (dict(json=good, headers={**auth("donor", donor_id="d"), "Idempotency-Key": "x"}), 403, None),
        (dict(json=good, headers={**auth("hospital", region="SH"), "Idempotency-Key": "x"}), 403, "missing_site"),
        (dict(json={"patient_name": "x"}, headers={**HOSPITAL, "Idempotency-Key": "x"}), 422, None),
        (dict(json=deduction_body(nid, [line()] * 201), headers={**HOSPITAL, "Idempotency-Key": "x"}), 422, None),
        (dict(json=deduction_body(nid, [line(amount="-1.00")]), headers={**HOSPITAL, "Idempotency-Key": "x"}), 422,
         None),
        (dict(json=deduction_body(nid, [line(days_ago=-1)]), headers={**HOSPITAL, "Idempotency-Key": "x"}), 422, None),
        (dict(json=deduction_body(nid[:17] + ("0" if nid[17] != "0" else "1")),
              headers={**HOSPITAL, "Idempotency-Key": "x"}), 422, "invalid_national_id"),
        (dict(json=deduction_body(nid, [line(unit_id="U"), line(unit_id="U")]),
              headers={**HOSPITAL, "Idempotency-Key": "x"}), 422, "duplicate_line"),
        (dict(json=deduction_body(nid, relation="spouse"), headers={**HOSPITAL, "Idempotency-Key": "x"}), 422, None),
        (dict(json=deduction_body(nid, relation="spouse", donor_national_id=nid, relation_attested=True,
                                  proof_ref="P"), headers={**HOSPITAL, "Idempotency-Key": "x"}), 422, "relation_invalid"),
        (dict(json=deduction_body(nid, donor_national_id=person()), headers={**HOSPITAL, "Idempotency-Key": "x"}),
         422, "patient_not_donor"),
        (dict(data="{oops", headers={**HOSPITAL, "Idempotency-Key": "x", "Content-Type": "application/json"}), 400,
         None),
    ]
    before = counts()
    for kwargs, status, code in cases:
        resp = client.post(URL, **kwargs)
        assert resp.status_code == status, (kwargs.get("json"), resp.get_json())
        assert resp.mimetype == "application/problem+json"
        if code:
            assert resp.get_json()["code"] == code
    assert counts() == before
