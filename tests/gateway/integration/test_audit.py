"""The gateway's audit trail: users, HIS clients and every token attempt, with who and how it ended, no secrets."""
from sqlalchemy import select

from gateway.app import create_app
from servicekit.audit import audit_log
from servicekit.broker import free_port
from servicekit.db import make_engine, make_session_factory
from tests.helpers import PII_KEY, gateway_keys

PHONE = "13912345678"
ADMIN_PASSWORD = "s3cret-admin"
NEW_PASSWORD = "station-pass-77"


class FakeDirectory:
    def find_by_phone(self, phone):
        return {"id": "donor-1", "region": "SH"} if phone == PHONE else None


def _client(gateway_db, upstream, **overrides):
    app = create_app(database_url=gateway_db, **gateway_keys(), pii_key=PII_KEY, donor_url=upstream.url,
                     inventory_url=upstream.url, waiver_url=upstream.url, hemolink_admin_password=ADMIN_PASSWORD,
                     kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", hemolink_dev_otp=True, **overrides)
    app.flask_app.extensions["gateway"].donors = FakeDirectory()
    return app.test_client()


def _rows(gateway_db):
    with make_session_factory(make_engine(gateway_db))() as s:
        return {r.request_id: r for r in s.execute(select(audit_log).order_by(audit_log.c.id))}


def _post(client, path, rid, body=None, headers=None):
    return client.post(path, json=body, headers={**(headers or {}), "X-Request-ID": rid})


def test_user_creation_and_logins_are_audited_with_who_and_outcome(gateway_db, upstream):
    client = _client(gateway_db, upstream)
    login = _post(client, "/api/v1/auth/token", "rq-login", {"username": "admin", "password": ADMIN_PASSWORD})
    admin = {"Authorization": "Bearer " + login.get_json()["access_token"]}
    created = _post(client, "/api/v1/users", "rq-create", {"username": "st01", "password": NEW_PASSWORD,
                                                          "role": "station", "site_id": "SH-S01", "region": "SH"}, admin)
    assert created.status_code == 201
    assert _post(client, "/api/v1/auth/token", "rq-wrong", {"username": "st01", "password": "not-it"}).status_code == 401
    assert _post(client, "/api/v1/users", "rq-anon", {"username": "x01", "password": NEW_PASSWORD,
                                                      "role": "admin"}).status_code == 401
    client.get("/api/v1/health", headers={"X-Request-ID": "rq-read"})

    rows = _rows(gateway_db)
    assert "rq-read" not in rows                                                      # reads are not audited
    who = {rid: (r.actor, r.role, r.action, r.status, r.outcome, r.service) for rid, r in rows.items()}
    assert who["rq-login"] == ("admin", "admin", "POST /api/v1/auth/token", 200, "succeeded", "gateway")
    assert who["rq-create"] == ("admin", "admin", "POST /api/v1/users", 201, "succeeded", "gateway")
    assert rows["rq-create"].target == "username=st01"                                # what was created
    assert who["rq-wrong"] == ("st01", None, "POST /api/v1/auth/token", 401, "refused", "gateway")  # tried, unproven
    assert who["rq-anon"] == (None, None, "POST /api/v1/users", 401, "refused", "gateway")
    _assert_no_secrets(rows, ADMIN_PASSWORD, NEW_PASSWORD, "not-it", login.get_json()["access_token"])


def test_his_clients_and_client_tokens_are_audited(gateway_db, upstream):
    client = _client(gateway_db, upstream)
    admin = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
        "username": "admin", "password": ADMIN_PASSWORD}).get_json()["access_token"]}
    his = _post(client, "/api/v1/clients", "rq-his", {"name": "瑞金医院 HIS", "site_id": "SH-H01", "region": "SH"},
                admin).get_json()
    creds = {"client_id": his["client_id"], "client_secret": his["client_secret"]}
    assert _post(client, "/api/v1/auth/client-token", "rq-ctok", creds).status_code == 200
    assert _post(client, "/api/v1/auth/client-token", "rq-cbad", {**creds, "client_secret": "guess"}).status_code == 401
    assert _post(client, f"/api/v1/clients/{his['client_id']}/revoke", "rq-revoke", headers=admin).status_code == 200

    rows = _rows(gateway_db)
    assert (rows["rq-his"].actor, rows["rq-his"].role, rows["rq-his"].outcome) == ("admin", "admin", "succeeded")
    ctok = rows["rq-ctok"]
    assert (ctok.actor, ctok.role, ctok.site_id, ctok.region, ctok.outcome) == \
        (his["client_id"], "hospital", "SH-H01", "SH", "succeeded")
    assert (rows["rq-cbad"].actor, rows["rq-cbad"].role, rows["rq-cbad"].outcome) == (his["client_id"], None, "refused")
    revoke = rows["rq-revoke"]
    assert (revoke.action, revoke.target, revoke.outcome) == \
        ("POST /api/v1/clients/<string:client_id>/revoke", f"client_id={his['client_id']}", "succeeded")
    _assert_no_secrets(rows, his["client_secret"], ADMIN_PASSWORD)


def test_donor_logins_are_audited_without_the_phone_number(gateway_db, upstream):
    client = _client(gateway_db, upstream, rate_limit_otp_per_phone="100/minute")
    code = _post(client, "/api/v1/auth/donor/otp", "rq-otp", {"phone": PHONE}).get_json()["dev_code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert _post(client, "/api/v1/auth/donor/token", "rq-dbad", {"phone": PHONE, "code": wrong}).status_code == 401
    assert _post(client, "/api/v1/auth/donor/token", "rq-dok", {"phone": PHONE, "code": code}).status_code == 200

    rows = _rows(gateway_db)
    assert (rows["rq-otp"].actor, rows["rq-otp"].status) == (None, 202)
    assert (rows["rq-dbad"].actor, rows["rq-dbad"].role, rows["rq-dbad"].outcome) == (None, None, "refused")
    assert (rows["rq-dok"].actor, rows["rq-dok"].role, rows["rq-dok"].outcome) == ("donor-1", "donor", "succeeded")
    _assert_no_secrets(rows, PHONE, PHONE[-8:], code)


def test_rate_limited_login_attempts_are_audited_as_refused(gateway_db, upstream):
    client = _client(gateway_db, upstream, rate_limit_login_per_username="1/minute")
    _post(client, "/api/v1/auth/token", "rq-1", {"username": "admin", "password": "guess"})
    assert _post(client, "/api/v1/auth/token", "rq-2", {"username": "admin", "password": ADMIN_PASSWORD}).status_code == 429
    row = _rows(gateway_db)["rq-2"]
    assert (row.actor, row.role, row.status, row.outcome) == ("admin", None, 429, "refused")


def _assert_no_secrets(rows, *secrets):
    everything = " ".join(str(v) for r in rows.values() for v in r)
    for secret in secrets:
        assert secret not in everything
