"""Sites: admin registers stations and hospitals; staff list them; refusals change nothing."""
from servicekit.testing import row_counts

from inventory.orm import sites
from tests.helpers import auth

from .conftest import ADMIN, HOSPITAL1, STATION1

STATION = {"id": "SH-XH-S", "name": "徐汇区血站", "kind": "station", "region": "SH", "lat": 31.1885, "lon": 121.4365}
HOSPITAL = {"id": "SH-XH-H", "name": "徐汇区人民医院", "kind": "hospital", "region": "SH", "supplier_id": "SH-XH-S",
            "lat": 31.19, "lon": 121.44}


def _count(session_factory):
    return row_counts(session_factory, [sites])["sites"]


def test_admin_registers_a_station_and_the_hospital_it_supplies(client):
    resp = client.post("/api/v1/sites", json=STATION, headers=ADMIN)
    assert resp.status_code == 201 and resp.get_json() == {**STATION, "supplier_id": None}
    resp = client.post("/api/v1/sites", json=HOSPITAL, headers=ADMIN)
    assert resp.status_code == 201 and resp.get_json()["supplier_id"] == "SH-XH-S"
    dup = client.post("/api/v1/sites", json={**STATION, "name": "again"}, headers=ADMIN)
    assert dup.status_code == 409 and dup.get_json()["code"] == "site_exists"
    listed = client.get("/api/v1/sites", query_string={"kind": "hospital"}, headers=HOSPITAL1).get_json()
    assert [s["id"] for s in listed] == ["SH-XH-H"]
    assert client.get("/api/v1/sites", query_string={"region": "JS"}, headers=STATION1).get_json() == []


def test_bad_or_unauthorised_site_requests_change_nothing(client, session_factory):
    client.post("/api/v1/sites", json=STATION, headers=ADMIN)
    before = _count(session_factory)
    cases = [
        (STATION1, {**STATION, "id": "X1"}, 403, "forbidden_role"),
        (HOSPITAL1, {**STATION, "id": "X2"}, 403, "forbidden_role"),
        (auth("reviewer", region="SH"), {**STATION, "id": "X3"}, 403, "forbidden_role"),
        (ADMIN, {**STATION, "id": "X4", "kind": "clinic"}, 422, "validation_failed"),
        (ADMIN, {**STATION, "id": "X5", "lat": 91}, 422, "validation_failed"),
        (ADMIN, {**STATION, "id": "X6", "name": "x" * 101}, 422, "validation_failed"),
        (ADMIN, {**STATION, "id": "bad id!"}, 422, "validation_failed"),
        (ADMIN, {**STATION, "id": "X7", "region": "shanghai"}, 422, "validation_failed"),
        (ADMIN, {k: v for k, v in STATION.items() if k != "name"} | {"id": "X8"}, 422, "validation_failed"),
        (ADMIN, {**HOSPITAL, "id": "X9", "supplier_id": "NOPE"}, 422, "validation_failed"),
        (ADMIN, {**STATION, "id": "X10", "supplier_id": "SH-XH-S"}, 422, "validation_failed"),
        (ADMIN, {**STATION, "id": "X11", "extra": 1}, 422, "validation_failed"),
    ]
    for headers, body, status, code in cases:
        resp = client.post("/api/v1/sites", json=body, headers=headers)
        assert (resp.status_code, resp.get_json()["code"]) == (status, code), body
        assert resp.mimetype == "application/problem+json"
    assert client.post("/api/v1/sites", json=STATION).status_code == 401
    assert client.get("/api/v1/sites", headers=auth("donor", donor_id="d")).status_code == 403
    assert client.get("/api/v1/sites", query_string={"kind": "clinic"}, headers=ADMIN).status_code == 422
    assert _count(session_factory) == before
