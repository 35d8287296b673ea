"""Staff tokens and users, as in api.md."""
from sqlalchemy import func, select

from gateway.orm import users
from hemolink.access import ROLES
from servicekit.auth import verify_token
from servicekit.db import make_engine, make_session_factory
from tests.helpers import JWT_SECRET, auth


def _login(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def _user_count(url):
    with make_session_factory(make_engine(url))() as s:
        return s.execute(select(func.count()).select_from(users)).scalar_one()


def test_admin_exists_from_first_start_with_the_configured_password(client):
    resp = _login(client, "admin", "s3cret-admin")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["token_type"] == "Bearer" and body["role"] == "admin" and body["expires_in"] > 0
    assert verify_token(JWT_SECRET, body["access_token"], ROLES).role == "admin"


def test_wrong_password_and_unknown_user_are_the_same_401(client):
    for username, password in (("admin", "nope"), ("ghost", "whatever")):
        resp = _login(client, username, password)
        assert resp.status_code == 401 and resp.get_json()["code"] == "invalid_credentials"


def test_admin_creates_a_station_user_who_can_log_in_with_site_and_region(client):
    admin = {"Authorization": f"Bearer {_login(client, 'admin', 's3cret-admin').get_json()['access_token']}"}
    resp = client.post("/api/v1/users", json={"username": "st01", "password": "password1", "role": "station",
                                              "site_id": "SH-S01", "region": "SH"}, headers=admin)
    assert resp.status_code == 201
    assert resp.get_json() == {"username": "st01", "role": "station", "site_id": "SH-S01", "region": "SH"}
    body = _login(client, "st01", "password1").get_json()
    assert (body["role"], body["site_id"], body["region"]) == ("station", "SH-S01", "SH")
    dup = client.post("/api/v1/users", json={"username": "st01", "password": "password2", "role": "reviewer",
                                             "region": "SH"}, headers=admin)
    assert dup.status_code == 409 and dup.get_json()["code"] == "user_exists"


def test_refused_user_creations_store_nothing(client, gateway_db):
    body = {"username": "rev1", "password": "password1", "role": "reviewer", "region": "SH"}
    cases = [
        ({}, body, 401),
        (auth("station", site_id="S1"), body, 403),
        (auth("admin"), {**body, "role": "wizard"}, 422),
        (auth("admin"), {**body, "password": "short"}, 422),
        (auth("admin"), {"username": "st02", "password": "password1", "role": "station"}, 422),  # no site/region
        (auth("admin"), {**body, "username": "x" * 200}, 422),
    ]
    for headers, payload, status in cases:
        resp = client.post("/api/v1/users", json=payload, headers=headers)
        assert resp.status_code == status, resp.get_json()
        assert resp.mimetype == "application/problem+json"
    assert _user_count(gateway_db) == 1  # only the bootstrapped admin


def test_health_reports_each_component(client):
    body = client.get("/api/v1/health").get_json()
    assert set(body["components"]) == {"gateway", "donor", "inventory", "waiver", "broker"}
    assert body["components"]["inventory"] == "down" and body["components"]["broker"] == "down"
    assert body["status"] == "degraded"
