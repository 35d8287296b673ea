"""Staff tokens and users, as in docs/api.md: a site user's region is its site's."""
import pytest
from sqlalchemy import func

from gateway import accounts
from gateway.orm import his_clients, users
from hemolink.access import ROLES
from servicekit.auth import verify_token
from servicekit.broker import free_port
from servicekit.testing import row_counts
from tests.helpers import TEST_KEYS, auth


@pytest.fixture
def app_settings(upstream):
    """A gateway whose inventory upstream answers site lookups (conftest.SITES)."""
    return dict(donor_url=upstream.url, inventory_url=upstream.url, waiver_url=upstream.url,
                hemolink_admin_password="s3cret-admin", kafka_bootstrap_servers=f"127.0.0.1:{free_port()}")


def _login(client, username, password):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def _user_count(session_factory):
    return row_counts(session_factory, [users])["users"]


def test_admin_exists_from_first_start_with_the_configured_password(client):
    resp = _login(client, "admin", "s3cret-admin")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["token_type"] == "Bearer" and body["role"] == "admin" and body["expires_in"] > 0
    assert verify_token(TEST_KEYS, body["access_token"], ROLES).role == "admin"


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


def test_a_site_users_region_is_taken_from_its_site_when_left_out(client):
    resp = client.post("/api/v1/users", json={"username": "js.station", "password": "password1", "role": "station",
                                              "site_id": "JS-S01"}, headers=auth("admin"))
    assert resp.status_code == 201 and resp.get_json()["region"] == "JS"
    his = client.post("/api/v1/clients", json={"name": "瑞金医院 HIS", "site_id": "SH-H01"}, headers=auth("admin"))
    assert his.status_code == 201 and his.get_json()["region"] == "SH"


def test_a_region_that_disagrees_with_the_site_an_unknown_site_or_the_wrong_kind_is_422_and_stores_nothing(
        client, session_factory):
    admin = auth("admin")
    user = {"username": "st09", "password": "password1", "role": "station"}
    cases = [
        ({**user, "site_id": "SH-S01", "region": "JS"}, "region", "属于 SH"),
        ({**user, "site_id": "NO-SUCH"}, "site_id", "未登记"),
        ({**user, "site_id": "SH-H01"}, "site_id", "不是血站"),          # a hospital's site for a station user
        ({**user, "role": "hospital", "site_id": "SH-S01"}, "site_id", "不是医院"),
    ]
    for body, field, words in cases:
        resp = client.post("/api/v1/users", json=body, headers=admin)
        assert resp.status_code == 422 and resp.mimetype == "application/problem+json", resp.get_json()
        assert words in resp.get_json()["errors"][field][0]
    bad_his = client.post("/api/v1/clients", json={"name": "x", "site_id": "SH-H01", "region": "ZJ"}, headers=admin)
    assert bad_his.status_code == 422 and "region" in bad_his.get_json()["errors"]
    assert _user_count(session_factory) == 1
    assert row_counts(session_factory, [his_clients]) == {"his_clients": 0}


def test_the_check_reports_site_users_whose_stored_region_is_not_their_sites(session_factory):
    sites = {"SH-S01": {"id": "SH-S01", "kind": "station", "region": "SH"}}.get
    sessions = session_factory
    accounts.create_user(sessions, sites, username="good.station", password="password1", role="station",
                         site_id="SH-S01")
    with sessions.begin() as s:    # as accounts created before the gateway took the region from the site
        s.execute(users.insert().values(username="wrong.region", password_hash="x", role="station",
                                        site_id="SH-S01", region="JS", created_at=func.now()))
        s.execute(users.insert().values(username="gone.site", password_hash="x", role="hospital",
                                        site_id="SH-H99", region="SH", created_at=func.now()))
    assert accounts.region_problems(sessions, sites) == [
        "user gone.site: 站点 SH-H99 不存在 (SH-H99)",
        "user wrong.region: region JS, but site SH-S01 is in SH"]


def test_refused_user_creations_store_nothing(client, session_factory):
    body = {"username": "rev1", "password": "password1", "role": "reviewer", "region": "SH"}
    cases = [
        ({}, body, 401),
        (auth("station", site_id="S1"), body, 403),
        (auth("admin"), {**body, "role": "wizard"}, 422),
        (auth("admin"), {**body, "password": "short"}, 422),
        (auth("admin"), {"username": "st02", "password": "password1", "role": "station"}, 422),  # no site
        (auth("admin"), {"username": "rev2", "password": "password1", "role": "reviewer"}, 422),  # no region
        (auth("admin"), {**body, "username": "x" * 200}, 422),
    ]
    for headers, payload, status in cases:
        resp = client.post("/api/v1/users", json=payload, headers=headers)
        assert resp.status_code == status, resp.get_json()
        assert resp.mimetype == "application/problem+json"
    assert _user_count(session_factory) == 1  # only the bootstrapped admin
