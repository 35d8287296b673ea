"""Every donor endpoint: wrong role → 403, another donor's id → 404, and nothing stored either way."""
import pytest

from tests.helpers import auth, make_national_id

from .conftest import station

WHOLE = {"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 70}
ROLES = {
    "admin": lambda mine, other: auth("admin"),
    "station": lambda mine, other: station(),
    "hospital": lambda mine, other: auth("hospital", site_id="SH-H01", region="SH"),
    "reviewer": lambda mine, other: auth("reviewer", region="SH"),
    "donor": lambda mine, other: auth("donor", donor_id=mine.id),
    "other_donor": lambda mine, other: auth("donor", donor_id=other.id),
}
# (method, path, body, roles allowed) per docs/api.md; "donor" means the donor named in the path.
ENDPOINTS = [
    ("POST", "/api/v1/donors", lambda: {"name": "甲", "national_id": make_national_id(seq=400), "phone": "13900009999",
                                        "abo": "O", "rhd": "pos"}, {"station"}),
    ("GET", "/api/v1/donors?national_id={nid}", None, {"station", "reviewer"}),
    ("GET", "/api/v1/donors/{id}", None, {"station", "reviewer", "donor"}),
    ("POST", "/api/v1/donors/{id}/donations", lambda: WHOLE, {"station"}),
    ("GET", "/api/v1/donors/{id}/donations", None, {"station", "reviewer", "donor"}),
    ("GET", "/api/v1/donors/{id}/eligibility", None, {"station", "donor"}),
    ("GET", "/api/v1/donors/{id}/awards", None, {"station", "donor"}),
    ("GET", "/api/v1/me", None, {"donor", "other_donor"}),
    ("GET", "/api/v1/me/notifications", None, {"donor", "other_donor"}),
]


@pytest.mark.parametrize("method,path,body,allowed", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_refused_callers_get_403_or_404_and_change_nothing(client, new_donor, state, method, path, body, allowed):
    mine, other = new_donor(), new_donor()
    url = path.format(id=mine.id, nid=mine.national_id_masked)
    before = state()
    for role, headers in ROLES.items():
        if role in allowed:
            continue
        resp = client.open(url, method=method, json=body() if body else None, headers=headers(mine, other))
        expected = 404 if role == "other_donor" and "donor" in allowed else 403   # existence must not leak
        assert resp.status_code == expected, (role, resp.get_json())
        assert resp.mimetype == "application/problem+json"
    assert client.open(url, method=method, json=body() if body else None).status_code == 401
    assert state() == before


def test_a_donor_token_without_a_donor_id_sees_no_profile(client):
    assert client.get("/api/v1/me", headers=auth("donor")).status_code == 404
    assert client.get("/api/v1/me/notifications", headers=auth("donor")).status_code == 404
