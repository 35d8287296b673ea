"""Transfusions: only a unit issued to this hospital; the patient is a blind index, never the raw ID."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from inventory.orm import transfusions
from inventory.orm import units as units_table
from servicekit.pii import PiiVault
from tests.helpers import PII_KEY, auth, make_national_id

from .conftest import HOSPITAL1, HOSPITAL2, STATION1

pytestmark = pytest.mark.usefixtures("network")
PATIENT = make_national_id(birth="19600101", seq=5)


def _issue(client, hospital, abo="O"):
    body = client.post("/api/v1/orders", headers=hospital, json={
        "lines": [{"component": "red_cells", "abo": abo, "rhd": "pos", "units": 1}], "priority": "urgent"}).get_json()
    [unit] = body["allocations"]
    return unit


def _body(unit_id, **over):
    return {"unit_id": unit_id, "patient_national_id": PATIENT, "patient_name": "病人甲",
            "transfused_at": (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(), **over}


def test_a_hospital_records_a_transfusion_of_its_unit_and_the_donor_can_be_told(client, donate, events,
                                                                                  session_factory):
    created = donate(donor_id="donor-42")
    unit = _issue(client, HOSPITAL1)
    assert unit["id"] == next(u.id for u in created if u.component == "red_cells")
    resp = client.post("/api/v1/transfusions", json=_body(unit["id"]), headers=HOSPITAL1)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["unit"]["status"] == "transfused" and body["patient_masked"] == PATIENT[:3] + "*" * 11 + PATIENT[-4:]
    [event] = events("UnitTransfused")
    data = event["data"]
    assert (data["unit_id"], data["donor_id"], data["hospital_id"], data["hospital_name"], data["region"]) == \
        (unit["id"], "donor-42", "SH-H1", "SH-H1 站点", "SH")
    assert (data["component"], data["units"], data["volume_ml"], data["din"]) == ("red_cells", 1.0, 150, unit["din"])
    assert data["patient_blind"] == PiiVault(PII_KEY).blind_index(PATIENT)
    with session_factory() as s:
        stored = s.execute(select(transfusions)).one()
    assert stored.patient_blind == data["patient_blind"] and PATIENT not in str(tuple(stored))
    assert PATIENT not in resp.get_data(as_text=True) and PATIENT not in str(events())
    assert "病人甲" not in resp.get_data(as_text=True) and "病人甲" not in str(events())
    history = client.get(f"/api/v1/units/{unit['id']}", headers=HOSPITAL1).get_json()["history"]
    assert [h["kind"] for h in history] == ["created", "released", "issued", "transfused"]
    again = client.post("/api/v1/transfusions", json=_body(unit["id"]), headers=HOSPITAL1)
    assert again.status_code == 409 and again.get_json()["code"] == "unit_not_issued"


def test_another_hospitals_unit_or_a_unit_on_the_shelf_is_refused_and_nothing_changes(client, red_cells, state):
    red_cells(1, site_id="SH-S2")
    [shelf] = red_cells(1)
    theirs = _issue(client, HOSPITAL2)
    before = state()
    cases = [
        (HOSPITAL1, _body(theirs["id"]), 403, "not_your_unit"),
        (HOSPITAL1, _body(shelf), 403, "not_your_unit"),
        (HOSPITAL1, _body("no-such-unit"), 404, "unit_not_found"),
        (STATION1, _body(theirs["id"]), 403, "forbidden_role"),
        (auth("reviewer", region="SH"), _body(theirs["id"]), 403, "forbidden_role"),
        (HOSPITAL2, _body(theirs["id"], transfused_at=(datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()),
         422, "validation_failed"),
        (HOSPITAL2, _body(theirs["id"], transfused_at="2026-01-01T00:00:00"), 422, "validation_failed"),   # no offset
        (HOSPITAL2, {k: v for k, v in _body(theirs["id"]).items() if k != "patient_national_id"}, 422,
         "validation_failed"),
        (HOSPITAL2, _body(theirs["id"], patient_name="x" * 101), 422, "validation_failed"),
    ]
    for headers, body, status, code in cases:
        resp = client.post("/api/v1/transfusions", json=body, headers=headers)
        assert (resp.status_code, resp.get_json()["code"]) == (status, code), body
        assert PATIENT not in resp.get_data(as_text=True)
    assert state() == before
    assert client.post("/api/v1/transfusions", json=_body(theirs["id"]), headers=HOSPITAL2).status_code == 201


def _age(session_factory, unit_id, *, expired_ago: timedelta, issued_ago: timedelta | None = None):
    """Move a unit's expiry (and issue time) into the past, as if time had run on since it was issued."""
    now = datetime.now(timezone.utc)
    values = {"expires_at": now - expired_ago}
    if issued_ago is not None:
        values["issued_at"] = now - issued_ago
    with session_factory() as s, s.begin():
        s.execute(update(units_table).where(units_table.c.id == unit_id).values(**values))


def test_a_unit_transfused_after_it_expired_is_refused_and_nothing_changes(client, red_cells, state, events,
                                                                           session_factory):
    red_cells(1)
    unit = _issue(client, HOSPITAL1)
    _age(session_factory, unit["id"], expired_ago=timedelta(minutes=30))
    before = state()
    resp = client.post("/api/v1/transfusions", json=_body(unit["id"]), headers=HOSPITAL1)
    assert resp.status_code == 409, resp.get_json()
    body = resp.get_json()
    assert resp.content_type.startswith("application/problem+json")
    assert (body["code"], body["title"]) == ("unit_expired", "血液已过期") and body["expires_at"]
    assert PATIENT not in resp.get_data(as_text=True)
    assert state() == before and events("UnitTransfused") == []
    with session_factory() as s:
        assert s.execute(select(transfusions)).all() == []
    assert client.get(f"/api/v1/units/{unit['id']}", headers=HOSPITAL1).get_json()["status"] == "issued"


def test_a_transfusion_given_before_expiry_may_be_recorded_after_it(client, red_cells, session_factory):
    red_cells(1)
    unit = _issue(client, HOSPITAL1)
    _age(session_factory, unit["id"], expired_ago=timedelta(minutes=30), issued_ago=timedelta(hours=3))
    given = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    resp = client.post("/api/v1/transfusions", json=_body(unit["id"], transfused_at=given), headers=HOSPITAL1)
    assert resp.status_code == 201, resp.get_json()


def test_a_recorded_transfusion_answers_with_the_record_and_the_bag(client, donate):
    donate()
    unit = _issue(client, HOSPITAL1)
    given = datetime.now(timezone.utc) - timedelta(minutes=2)     # after the issue, less its 5 min clock skew
    body = client.post("/api/v1/transfusions", json=_body(unit["id"], transfused_at=given.isoformat()),
                       headers=HOSPITAL1).get_json()
    assert (body["unit_id"], body["hospital_id"], body["unit"]["id"]) == (unit["id"], "SH-H1", unit["id"])
    assert datetime.fromisoformat(body["transfused_at"]) == given
    recorded = datetime.fromisoformat(body["recorded_at"])
    assert recorded.utcoffset() == timedelta(0) and given < recorded <= datetime.now(timezone.utc)
    [moved] = [h for h in client.get(f"/api/v1/units/{unit['id']}", headers=HOSPITAL1).get_json()["history"]
               if h["kind"] == "transfused"]
    assert moved == {"kind": "transfused", "status": "transfused", "at": body["recorded_at"], "from_site": "SH-H1",
                     "to_site": None, "ref": body["id"], "note": None}
