"""Donor one-time-code login, HIS client credentials, revocation and rate limits."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gateway import otp
from gateway.app import create_app
from gateway.orm import donor_otps, his_clients
from hemolink.access import ROLES
from servicekit.auth import verify_token
from servicekit.broker import free_port
from servicekit.config import DEV_PII_KEY
from servicekit.db import make_engine, make_session_factory
from tests.helpers import PII_KEY, SIGNER, TEST_KEYS, auth, gateway_keys, keyring_file

PHONE = "13912345678"


class FakeDirectory:
    def __init__(self):
        self.donors = {PHONE: {"id": "donor-1", "region": "SH"}}

    def find_by_phone(self, phone):
        return self.donors.get(phone)


def _app(gateway_db, upstream, **overrides):
    settings = dict(database_url=gateway_db, **gateway_keys(), pii_key=PII_KEY, donor_url=upstream.url,
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
    assert verify_token(TEST_KEYS, body["access_token"], ROLES).donor_id == "donor-1"
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
    code = otp.send_code(sf, vault, type("S", (), {"send_code": lambda *a: None})(), phone=PHONE, now=sent_at)
    with pytest.raises(Exception) as err:
        otp.exchange_code(sf, vault, FakeDirectory(), SIGNER, 60, phone=PHONE, code=code)
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


def test_parallel_wrong_guesses_spend_one_attempt_each_and_stop_at_five(gateway_db):
    """Twenty guesses at once: each takes an attempt before its code is checked, so at most five are
    checked; the rest are refused as locked, and the phone is locked afterwards."""
    import threading

    from servicekit.pii import PiiVault

    sf, vault = make_session_factory(make_engine(gateway_db)), PiiVault(PII_KEY)
    code = otp.send_code(sf, vault, type("S", (), {"send_code": lambda *a: None})(), phone=PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    start, answers = threading.Barrier(20), []

    def guess():
        start.wait()
        try:
            otp.exchange_code(sf, vault, FakeDirectory(), SIGNER, 60, phone=PHONE, code=wrong)
        except Exception as exc:          # every guess is refused; which way is what we count
            answers.append(getattr(exc, "code", repr(exc)))

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count("invalid_code") == 5 and answers.count("phone_locked") == 15, answers
    row = _otp_row(gateway_db)
    assert row.attempts == 5 and row.locked_until is not None


def test_a_new_code_does_not_reset_the_wrong_attempts_but_an_elapsed_lock_does(gateway_db):
    from servicekit.pii import PiiVault

    sf, vault = make_session_factory(make_engine(gateway_db)), PiiVault(PII_KEY)
    sms = type("S", (), {"send_code": lambda *a: None})()
    code = otp.send_code(sf, vault, sms, phone=PHONE)
    for _ in range(4):
        with pytest.raises(Exception):
            otp.exchange_code(sf, vault, FakeDirectory(), SIGNER, 60, phone=PHONE, code="000000" if code != "000000" else "111111")
    code = otp.send_code(sf, vault, sms, phone=PHONE)          # a fresh code, same phone
    with pytest.raises(Exception) as fifth:
        otp.exchange_code(sf, vault, FakeDirectory(), SIGNER, 60, phone=PHONE, code=f"{(int(code) + 1) % 10**6:06d}")
    assert fifth.value.code == "invalid_code" and _otp_row(gateway_db).locked_until is not None   # the fifth locks
    later = datetime.now(timezone.utc) + timedelta(minutes=15, seconds=1)
    code = otp.send_code(sf, vault, sms, phone=PHONE, now=later)     # the lock has run its course
    assert _otp_row(gateway_db).attempts == 0
    token = otp.exchange_code(sf, vault, FakeDirectory(), SIGNER, 60, phone=PHONE, code=code, now=later)
    assert token["donor_id"] == "donor-1" and _otp_row(gateway_db) is None               # used up


def test_sending_codes_is_rate_limited_per_phone_with_retry_after(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_otp_per_phone="2/minute").test_client()
    statuses = [client.post("/api/v1/auth/donor/otp", json={"phone": PHONE}).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    resp = client.post("/api/v1/auth/donor/otp", json={"phone": PHONE})
    assert resp.get_json()["code"] == "rate_limited" and int(resp.headers["Retry-After"]) >= 1


def _assert_rate_limited(resp):
    """The one shape of a 429, on the gateway's own endpoints and on proxied paths alike."""
    assert resp.status_code == 429 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert (body["code"], body["title"], body["status"]) == ("rate_limited", "请求过于频繁", 429)
    assert int(resp.headers["Retry-After"]) >= 1
    return int(resp.headers["Retry-After"])


def test_proxied_requests_are_rate_limited_per_token(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_per_token="3/minute").test_client()
    headers = auth("station", site_id="S1")
    responses = [client.get("/api/v1/donors", headers=headers) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    _assert_rate_limited(responses[-1])
    assert client.get("/api/v1/donors", headers=auth("station", sub="other", site_id="S1")).status_code == 200


def test_proxied_requests_are_rate_limited_per_ip_with_or_without_a_token(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_per_ip="3/minute").test_client()
    before = len(upstream.requests)
    tokens = [auth("station", sub=f"s{i}", site_id="S1") for i in range(3)] + [{}]
    responses = [client.get("/api/v1/donors", headers=h) for h in tokens]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]   # new tokens do not buy a new budget
    _assert_rate_limited(responses[-1])
    assert len(upstream.requests) == before + 3                           # the refused one never left
    other_host = client.get("/api/v1/donors", headers=auth("station"), environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other_host.status_code == 200


def _staff_login(client, username, password, ip="127.0.0.1"):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_past_the_per_username_limit_even_the_right_password_waits_for_the_window(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_login_per_username="3 per 2 seconds").test_client()
    hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]          # spread over hosts: per IP is not the limit
    assert [_staff_login(client, "admin", "guess", ip).status_code for ip in hosts[:3]] == [401, 401, 401]
    retry_after = _assert_rate_limited(_staff_login(client, "admin", "s3cret-admin", hosts[3]))
    assert retry_after <= 2
    assert _staff_login(client, "ghost", "guess").status_code == 401    # other usernames keep their budget
    time.sleep(retry_after + 0.1)
    assert _staff_login(client, "admin", "s3cret-admin").status_code == 200


def test_successful_logins_do_not_spend_the_per_username_budget(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_login_per_username="2/minute").test_client()
    assert [_staff_login(client, "admin", "s3cret-admin").status_code for _ in range(4)] == [200] * 4
    assert [_staff_login(client, "admin", "guess").status_code for _ in range(2)] == [401, 401]
    _assert_rate_limited(_staff_login(client, "admin", "s3cret-admin"))


def test_staff_logins_are_limited_per_ip_across_usernames(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_auth_per_ip="3/minute").test_client()
    assert [_staff_login(client, f"user{i}", "guess").status_code for i in range(3)] == [401, 401, 401]
    _assert_rate_limited(_staff_login(client, "admin", "s3cret-admin"))
    assert _staff_login(client, "admin", "s3cret-admin", ip="10.0.0.9").status_code == 200


def test_client_tokens_are_limited_per_client_id(gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_client_token_per_client="2/minute").test_client()

    def attempt(client_id, ip):
        return client.post("/api/v1/auth/client-token", json={"client_id": client_id, "client_secret": "guess"},
                           environ_base={"REMOTE_ADDR": ip})

    assert [attempt("his_1", ip).status_code for ip in ("10.0.0.1", "10.0.0.2")] == [401, 401]
    _assert_rate_limited(attempt("his_1", "10.0.0.3"))
    assert attempt("his_2", "10.0.0.3").status_code == 401


@pytest.mark.parametrize("path,body", [
    ("/api/v1/auth/token", {"username": "admin", "password": "guess"}),
    ("/api/v1/auth/client-token", {"client_id": "his_x", "client_secret": "guess"}),
    ("/api/v1/auth/donor/token", {"phone": PHONE, "code": "000000"}),
])
def test_each_credential_endpoint_is_limited_per_ip(gateway_db, upstream, path, body):
    client = _app(gateway_db, upstream, rate_limit_auth_per_ip="2/minute", rate_limit_donor_token_per_ip="2/minute",
                  rate_limit_login_per_username="100/minute",
                  rate_limit_client_token_per_client="100/minute").test_client()
    assert [client.post(path, json=body).status_code for _ in range(2)] == [401, 401]
    _assert_rate_limited(client.post(path, json=body))
    assert client.post(path, json=body, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 401


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
    principal = verify_token(TEST_KEYS, token.get_json()["access_token"], ROLES)
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


STRONG_PRODUCTION = dict(environment="production", jwt_signing_keys_file=keyring_file(), pii_key="p" * 40,
                         hemolink_admin_password="a-strong-admin-pass", hemolink_dev_otp=False,
                         sms_gateway_url="https://sms.example.cn/v1/send", sms_gateway_token="sms-token",
                         rate_limit_storage_uri="redis://127.0.0.1:6379/0", trusted_proxies=1)


def test_a_valid_production_configuration_starts(gateway_db):
    app = create_app(database_url=gateway_db, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", **STRONG_PRODUCTION)
    assert type(app.flask_app.extensions["gateway"].sms).__name__ == "HttpSmsSender"


@pytest.mark.parametrize("flip,reason", [
    ({"hemolink_dev_otp": True}, "HEMOLINK_DEV_OTP"),
    ({"jwt_signing_keys_file": "/nonexistent/keys.json"}, "JWT_SIGNING_KEYS_FILE"),
    ({"pii_key": DEV_PII_KEY}, "development default secret"),
    ({"hemolink_admin_password": "admin"}, "HEMOLINK_ADMIN_PASSWORD"),
    ({"hemolink_admin_password": "elevenchars"}, "HEMOLINK_ADMIN_PASSWORD"),
    ({"hemolink_admin_password": ""}, "HEMOLINK_ADMIN_PASSWORD"),
    ({"pii_key": "p" * 31}, "PII_KEY"),
    ({"pii_key": "CHANGE_ME_AT_LEAST_32_CHARACTERS"}, "CHANGE_ME"),
    ({"sms_gateway_url": ""}, "SMS_GATEWAY_URL"),
    ({"sms_gateway_url": "sms.example.cn/v1/send"}, "SMS_GATEWAY_URL"),
    ({"rate_limit_storage_uri": "memory://"}, "RATE_LIMIT_STORAGE_URI must be a redis://"),
    ({"trusted_proxies": 0}, "TRUSTED_PROXIES"),
])
def test_production_refuses_dev_otp_and_default_secrets(gateway_db, flip, reason):
    """Each case flips exactly one setting of the configuration the test above shows to start."""
    with pytest.raises(RuntimeError, match=reason):
        create_app(database_url=gateway_db, kafka_bootstrap_servers=f"127.0.0.1:{free_port()}",
                   **{**STRONG_PRODUCTION, **flip})
