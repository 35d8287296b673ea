"""Family bindings: donors bind relatives (ID encrypted, masked in responses); reviewers of the region verify."""
from sqlalchemy import select

from tests.helpers import auth
from tests.waiver.builders import person
from waiver import orm

FAMILY = "/api/v1/me/family"
REVIEWER = auth("reviewer", sub="rev-1", region="SH")


def _me(ledger, region="SH"):
    nid = person()
    donor_id = ledger.donor(nid, region=region)
    return nid, auth("donor", donor_id=donor_id)


def test_a_donor_binds_a_relative_who_is_stored_encrypted_and_shown_masked(client, ledger, session_factory):
    _, me = _me(ledger)
    relative = person(female=True)
    resp = client.post(FAMILY, json={"name": "李梅", "national_id": relative, "relation": "spouse"}, headers=me)
    assert resp.status_code == 201 and resp.get_json()["status"] == "pending"
    listed = client.get(FAMILY, headers=me).get_json()
    assert [(b["name"], b["relation"], b["status"]) for b in listed] == [("李梅", "spouse", "pending")]
    assert listed[0]["national_id_masked"] == relative[:3] + "*" * 11 + relative[-4:]
    assert relative not in resp.get_data(as_text=True) + client.get(FAMILY, headers=me).get_data(as_text=True)
    with session_factory() as s:
        row = s.execute(select(orm.family_bindings)).one()
    assert relative not in str(tuple(row)) and len(row.relative_blind) == 64


def test_binding_the_same_relative_twice_or_oneself_is_refused(client, ledger, counts):
    nid, me = _me(ledger)
    relative = person()
    client.post(FAMILY, json={"name": "父亲", "national_id": relative, "relation": "parent"}, headers=me)
    before = counts()
    dup = client.post(FAMILY, json={"name": "父亲", "national_id": relative, "relation": "child"}, headers=me)
    assert dup.status_code == 409 and dup.get_json()["code"] == "family_binding_exists"
    self_ = client.post(FAMILY, json={"name": "我", "national_id": nid, "relation": "spouse"}, headers=me)
    assert self_.status_code == 422 and self_.get_json()["code"] == "cannot_bind_self"
    for body in ({"name": "x", "national_id": relative, "relation": "self"},
                 {"name": "x", "national_id": "123", "relation": "spouse"},
                 {"name": "", "national_id": person(), "relation": "spouse"},
                 {"national_id": person(), "relation": "spouse"}):
        assert client.post(FAMILY, json=body, headers=me).status_code == 422, body
    assert client.post(FAMILY, json={"name": "x", "national_id": person(), "relation": "spouse"},
                       headers=REVIEWER).status_code == 403
    assert counts() == before


def test_a_donor_the_ledger_does_not_know_yet_is_told_so(client):
    resp = client.post(FAMILY, json={"name": "x", "national_id": person(), "relation": "spouse"},
                       headers=auth("donor", donor_id="not-yet-synced"))
    assert resp.status_code == 422 and resp.get_json()["code"] == "donor_not_found"


def test_a_donor_sees_only_their_own_family(client, ledger):
    _, me = _me(ledger)
    _, other = _me(ledger)
    client.post(FAMILY, json={"name": "配偶", "national_id": person(), "relation": "spouse"}, headers=me)
    assert client.get(FAMILY, headers=other).get_json() == []


def test_a_reviewer_of_the_donors_region_verifies_or_rejects(client, ledger, session_factory):
    _, me = _me(ledger)
    a = client.post(FAMILY, json={"name": "甲", "national_id": person(), "relation": "spouse"}, headers=me).get_json()
    b = client.post(FAMILY, json={"name": "乙", "national_id": person(), "relation": "child"}, headers=me).get_json()
    pending = client.get("/api/v1/waiver/family?status=pending", headers=REVIEWER).get_json()
    assert {p["id"] for p in pending} == {a["id"], b["id"]}
    other_region = auth("reviewer", region="JS")
    assert client.post(f"/api/v1/waiver/family/{a['id']}/verify", json={"approved": True},
                       headers=other_region).status_code == 404
    assert client.get("/api/v1/waiver/family", headers=other_region).get_json() == []
    ok = client.post(f"/api/v1/waiver/family/{a['id']}/verify", json={"approved": True}, headers=REVIEWER)
    assert ok.status_code == 200 and ok.get_json()["status"] == "verified"
    no_reason = client.post(f"/api/v1/waiver/family/{b['id']}/verify", json={"approved": False}, headers=REVIEWER)
    assert no_reason.status_code == 422
    rejected = client.post(f"/api/v1/waiver/family/{b['id']}/verify", json={"approved": False, "reason": "关系不符"},
                           headers=REVIEWER).get_json()
    assert rejected["status"] == "rejected" and rejected["reason"] == "关系不符"
    again = client.post(f"/api/v1/waiver/family/{a['id']}/verify", json={"approved": False, "reason": "x"},
                        headers=REVIEWER)
    assert again.status_code == 409 and again.get_json()["code"] == "binding_already_decided"
    assert client.post(f"/api/v1/waiver/family/{a['id']}/verify", json={"approved": True},
                       headers=me).status_code == 403
    assert client.post("/api/v1/waiver/family/nope/verify", json={"approved": True}, headers=REVIEWER).status_code == 404
