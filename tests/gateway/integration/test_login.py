"""Donor one-time-code login, HIS client credentials, revocation and rate limits."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gateway import otp
from gateway.app import create_app
from gateway.orm import donor_otps, his_clients
from servicekit.auth import verify_token
from servicekit.broker import free_port
from servicekit.config import DEV_JWT_SECRET, DEV_PII_KEY
from servicekit.db import make_engine, make_session_factory
from tests.helpers import JWT_SECRET, PII_KEY, auth

PHONE = "13912345678"


class FakeDirectory:
    def __init__(self):
        self.donors = {PHONE: {"id": "donor-1", "region": "SH"}}

    def find_by_phone(self, phone):
        return self.donors.get(phone)


def _app(gateway_db, upstream, **overrides):
    settings = dict(database_url=gateway_db, jwt_secret=JWT_SECRET, pii_key=PII_KEY, donor_url=upstream.url,
                    inventory_url=upstream.url, waiver_url=upstream.url, hemolink_admin_password="s3cret-admin",
                    kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", hemolink_dev_otp=True,
                    rate_limit_otp_per_phone="100/minute")
    settings.update(overrides)
    app = create_app(**settings)
    app.flask_app.extensions["gateway"].donors = FakeDirectory()
    return app


@pytest.fixture
def login_client(gateway_db, upstream):
    return _app(gateway_db, upstream).test_client()


def _otp_row(gateway_db):
    with make_session_factory(make_engine(gateway_db))() as s:
        return s.execute(select(donor_otps)).first()


def test_a_donor_logs_in_with_the_code_sent_to_their_phone(login_client, gateway_db, caplog):
    resp = login_client.post("/api/v1/auth/donor/otp", json={"phone": PHONE})
    assert resp.status_code == 202 and resp.get_json()["sent"] is True
    code = resp.get_json()["dev_code"]
    row = _otp_row(gateway_db)
    assert code not in row.code_hash and PHONE not in row.phone_blind  # stored hashed, by blind index
    resp = login_client.post("/api/v1/auth/donor/token", json={"phone": PHONE, "code": code})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["role"] == "donor" and body["donor_id"] == "donor-1"
    assert verify_token(JWT_SECRET, body["access_token"]).donor_id == "donor-1"
    again = login_client.post("/api/v1/auth/donor/token", json={"phone": PHONE, "code": code})
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_code"   # used up
    assert PHONE not in caplog.text


def test_dev_code_is_only_returned_in_dev_otp_mode(gateway_db, upstream):
    client = _app(gateway_db, upstream, hemolink_dev_otp=False).test_client()
    resp = client.post("/api/v1/auth/donor/otp", json={"phone": PHONE})
    assert resp.status_code == 202 and resp.get_json() == {"sent": True}


def test_an_sms_provider_failure_is_a_502_problem(gateway_db, upstream):
    client = _app(gateway_db, upstream, hemolink_dev_otp=False,
                  sms_gateway_url=f"http://127.0.0.1:{free_port()}/sms", sms_connect_timeout_s=0.5).test_client()
    resp = client.post("/api/v1/auth/donor/otp", json={"phone": PHONE})
    assert resp.status_code == 502 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "sms_unavailable" and PHONE not in resp.get_data(as_text=True)


def test_unknown_phone_gets_the_same_invalid_code_answer(login_client):
    code = login_client.post("/api/v1/auth/donor/otp", json={"phone": "13000000000"}).get_json()["dev_code"]
    resp = login_client.post("/api/v1/auth/donor/token", json={"phone": "13000000000", "code": code})
    assert resp.status_code == 401 and resp.get_json()["code"] == "invalid_code"


def test_an_expired_code_is_refused(gateway_db):
    sf = make_session_factory(make_engine(gateway_db))
    from servicekit.pii import PiiVault

    vault = PiiVault(PII_KEY)
    sent_at = datetime.now(timezone.utc) - timedelta(minutes=5, seconds=1)
    code = otp.send_code(sf, vault, type("S", (), {"send_code": lambda *a: None})(), JWT_SECRET, phone=PHONE, now=sent_at)
    with pytest.raises(Exception) as err:
        otp.exchange_code(sf, vault, FakeDirectory(), JWT_SECRET, 60, phone=PHONE, code=code)
    assert getattr(err.value, "code", None) == "invalid_code"


def test_five_wrong_codes_lock_the_phone_for_15_minutes(login_client, gateway_db):
    code = login_client.post("/api/v1/auth/donor/otp", json={"phone": PHONE}).get_json()["dev_code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert login_client.post("/api/v1/auth/donor/token", json={"phone": PHONE, "code": wrong}).status_code == 401
    locked = login_client.post("/api/v1/auth/donor/token", json={"phone": PHONE, "code": code})
    assert locked.status_code == 429 and locked.get_json()["code"] == "phone_locked"   # even the right code
    row = _otp_row(gateway_db)
    until = row.locked_until if row.locked_until.tzinfo else row.locked_until.replace(tzinfo=timezone.utc)
    assert timedelta(minutes=14) < until - datetime.now(timezone.utc) <= timedelta(minutes=15)


def test_sending_codes_is_rate_limited_per_phone_with_retry_after(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_otp_per_phone="2/minute").test_client()
    statuses = [client.post("/api/v1/auth/donor/otp", json={"phone": PHONE}).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    resp = client.post("/api/v1/auth/donor/otp", json={"phone": PHONE})
    assert resp.get_json()["code"] == "rate_limited" and int(resp.headers["Retry-After"]) >= 1


def test_proxied_requests_are_rate_limited_per_token(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_per_token="3/minute").test_client()
    headers = auth("station", site_id="S1")
    statuses = [client.get("/api/v1/donors", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/api/v1/donors", headers=auth("station", sub="other", site_id="S1")).status_code == 200


def test_his_client_gets_hospital_tokens_until_revoked(gateway_db, upstream):
    client = _app(gateway_db, upstream).test_client()
    admin = {"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
        "username": "admin", "password": "s3cret-admin"}).get_json()["access_token"]}
    created = client.post("/api/v1/clients", json={"name": "瑞金医院 HIS", "site_id": "SH-H01", "region": "SH"},
                          headers=admin).get_json()
    secret = created["client_secret"]
    with make_session_factory(make_engine(gateway_db))() as s:
        assert secret not in s.execute(select(his_clients.c.secret_hash)).scalar_one()   # stored hashed
    listed = client.get("/api/v1/clients", headers=admin).get_json()
    assert "client_secret" not in listed[0]                                             # shown once
    token = client.post("/api/v1/auth/client-token", json={"client_id": created["client_id"], "client_secret": secret})
    assert token.status_code == 200
    principal = verify_token(JWT_SECRET, token.get_json()["access_token"])
    assert (principal.role, principal.site_id, principal.client_id) == ("hospital", "SH-H01", created["client_id"])
    bearer = {"Authorization": "Bearer " + token.get_json()["access_token"]}
    assert client.get("/api/v1/waiver/x", headers=bearer).status_code == 200
    assert client.post(f"/api/v1/clients/{created['client_id']}/revoke", headers=admin).status_code == 200
    client.application.proxy.revocations._loaded_at = 0   # skip the 2 s cache in the test
    refused = client.get("/api/v1/waiver/x", headers=bearer)
    assert refused.status_code == 401 and refused.get_json()["code"] == "client_revoked"
    again = client.post("/api/v1/auth/client-token", json={"client_id": created["client_id"], "client_secret": secret})
    assert again.status_code == 401 and again.get_json()["code"] == "invalid_client"


def test_wrong_client_secret_and_non_admin_client_creation_are_refused(gateway_db, upstream):
    client = _app(gateway_db, upstream).test_client()
    assert client.post("/api/v1/auth/client-token", json={"client_id": "his_x", "client_secret": "nope"}).status_code == 401
    resp = client.post("/api/v1/clients", json={"name": "x", "site_id": "S", "region": "SH"},
                       headers=auth("hospital", site_id="S"))
    assert resp.status_code == 403
    with make_session_factory(make_engine(gateway_db))() as s:
        assert s.execute(select(his_clients)).first() is None


STRONG_PRODUCTION = dict(environment="production", jwt_secret="j" * 32, pii_key="p" * 40,
                         hemolink_admin_password="a-strong-admin-pass", hemolink_dev_otp=False,
                         sms_gateway_url="https://sms.example.cn/v1/send", sms_gateway_token="sms-token")


def test_a_valid_production_configuration_starts(gateway_db):
    app = create_app(database_url=gateway_db, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", **STRONG_PRODUCTION)
    assert type(app.flask_app.extensions["gateway"].sms).__name__ == "HttpSmsSender"


@pytest.mark.parametrize("flip,reason", [
    ({"hemolink_dev_otp": True}, "HEMOLINK_DEV_OTP"),
    ({"jwt_secret": DEV_JWT_SECRET}, "development default secret"),
    ({"pii_key": DEV_PII_KEY}, "development default secret"),
    ({"hemolink_admin_password": "admin"}, "HEMOLINK_ADMIN_PASSWORD"),
    ({"hemolink_admin_password": "elevenchars"}, "HEMOLINK_ADMIN_PASSWORD"),
    ({"hemolink_admin_password": ""}, "HEMOLINK_ADMIN_PASSWORD"),
    ({"jwt_secret": "j" * 31}, "JWT_SECRET"),
    ({"jwt_secret": "CHANGE_ME_AT_LEAST_32_CHARACTERS"}, "CHANGE_ME"),
    ({"sms_gateway_url": ""}, "SMS_GATEWAY_URL"),
    ({"sms_gateway_url": "sms.example.cn/v1/send"}, "SMS_GATEWAY_URL"),
])
def test_production_refuses_dev_otp_and_default_secrets(gateway_db, flip, reason):
    """Each case flips exactly one setting of the configuration the test above shows to start."""
    with pytest.raises(RuntimeError, match=reason):
        create_app(database_url=gateway_db, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
                   **{**STRONG_PRODUCTION, **flip})
