"""Behind a reverse proxy and a carrier's NAT: who the client is, X-Forwarded-For onwards, login-code budgets."""
import time

from sqlalchemy import func, select

from gateway.app import create_app
from gateway.config import Config
from gateway.orm import donor_otps
from servicekit.broker import free_port
from servicekit.db import make_engine, make_session_factory
from tests.helpers import PII_KEY, auth, gateway_keys

PROXY = "10.0.0.2"          # the load balancer the gateway sees as its peer
NAT = "100.64.7.1"          # one carrier-grade NAT address in front of many phones


class Directory:
    """Every phone is a donor (the donor service's lookup, which these tests are not about)."""

    def find_by_phone(self, phone):
        return {"id": f"donor-{phone}", "region": "SH"}


class CountingSender:
    def __init__(self):
        self.sent = []

    def send_code(self, phone, code):
        self.sent.append(phone)


def _app(gateway_db, upstream, **overrides):
    settings = dict(database_url=gateway_db, **gateway_keys(), pii_key=PII_KEY, donor_url=upstream.url,
                    inventory_url=upstream.url, waiver_url=upstream.url, hemolink_admin_password="s3cret-admin",
                    kafka_bootstrap_servers=f"127.0.0.1:{free_port()}", hemolink_dev_otp=True, trusted_proxies=1)
    app = create_app(**{**settings, **overrides})
    deps = app.flask_app.extensions["gateway"]
    deps.donors, deps.sms = Directory(), CountingSender()
    return app


def _via_proxy(client_ip, forwarded=None):
    """What the proxy sends: the chain it received (if any) with the client's address appended."""
    chain = f"{forwarded}, {client_ip}" if forwarded else client_ip
    return dict(headers={"X-Forwarded-For": chain}, environ_base={"REMOTE_ADDR": PROXY})


def _phone(i):
    return f"139{i:08d}"


def _codes_stored(gateway_db):
    with make_session_factory(make_engine(gateway_db))() as s:
        return s.execute(select(func.count()).select_from(donor_otps)).scalar_one()


def test_many_donors_behind_one_carrier_nat_address_all_log_in_with_the_default_limits(gateway_db, upstream):
    """The defaults: 200 codes an hour may be asked from one address (per IP is high); 60 donors all get in."""
    app = _app(gateway_db, upstream)
    client = app.test_client()
    for i in range(60):
        sent = client.post("/api/v1/auth/donor/otp", json={"phone": _phone(i)}, **_via_proxy(NAT))
        assert sent.status_code == 202, sent.get_json()
        token = client.post("/api/v1/auth/donor/token", json={"phone": _phone(i), "code": sent.get_json()["dev_code"]},
                            **_via_proxy(NAT))
        assert token.status_code == 200 and token.get_json()["donor_id"] == f"donor-{_phone(i)}"
    assert len(app.flask_app.extensions["gateway"].sms.sent) == 60


def test_the_per_phone_limit_stays_strict_behind_the_nat_while_the_per_ip_limit_still_bounds_one_address(
        gateway_db, upstream):
    client = _app(gateway_db, upstream, rate_limit_otp_per_ip="5/hour").test_client()
    assert client.post("/api/v1/auth/donor/otp", json={"phone": _phone(0)}, **_via_proxy(NAT)).status_code == 202
    again = client.post("/api/v1/auth/donor/otp", json={"phone": _phone(0)}, **_via_proxy(NAT))
    assert again.status_code == 429 and again.get_json()["code"] == "rate_limited"       # 1 per phone per minute
    statuses = [client.post("/api/v1/auth/donor/otp", json={"phone": _phone(i)}, **_via_proxy(NAT)).status_code
                for i in range(1, 6)]
    assert statuses == [202, 202, 202, 429, 429]             # the refused repeat counted too: 5 requests an hour
    other = client.post("/api/v1/auth/donor/otp", json={"phone": _phone(9)}, **_via_proxy("100.64.7.2"))
    assert other.status_code == 202                          # another address is another budget


def test_past_the_sms_ceiling_no_code_is_sent_and_the_refusal_says_when_to_retry(gateway_db, upstream):
    app = _app(gateway_db, upstream, rate_limit_sms_ceiling="3/minute")
    client = app.test_client()
    hosts = [f"100.64.8.{i}" for i in range(5)]              # different phones and addresses: only the ceiling binds
    statuses = [client.post("/api/v1/auth/donor/otp", json={"phone": _phone(i)}, **_via_proxy(hosts[i])).status_code
                for i in range(3)]
    assert statuses == [202, 202, 202]
    refused = client.post("/api/v1/auth/donor/otp", json={"phone": _phone(3)}, **_via_proxy(hosts[3]))
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert body["code"] == "sms_budget_exhausted" and body["title"] == "短信验证码发送量已达上限"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and refused.headers["Retry-After"] in body["detail"]
    assert app.flask_app.extensions["gateway"].sms.sent == [_phone(i) for i in range(3)]   # nothing sent
    assert _codes_stored(gateway_db) == 3                                                 # nothing stored


def test_a_ceiling_refusal_leaves_the_phone_its_own_budget(gateway_db, upstream):
    """Refused by the ceiling, the phone's one-per-minute was not spent: once the ceiling allows, it gets its code."""
    app = _app(gateway_db, upstream, rate_limit_sms_ceiling="1 per 2 seconds")
    client = app.test_client()
    assert client.post("/api/v1/auth/donor/otp", json={"phone": _phone(0)}, **_via_proxy(NAT)).status_code == 202
    refused = client.post("/api/v1/auth/donor/otp", json={"phone": _phone(1)}, **_via_proxy(NAT))
    assert refused.get_json()["code"] == "sms_budget_exhausted"
    time.sleep(int(refused.headers["Retry-After"]) + 0.1)
    assert client.post("/api/v1/auth/donor/otp", json={"phone": _phone(1)}, **_via_proxy(NAT)).status_code == 202


def test_x_forwarded_for_reaches_the_service_appended_to_not_replaced(gateway_db, upstream):
    client = _app(gateway_db, upstream).test_client()
    resp = client.get("/api/v1/donors", headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.5", **auth("station")},
                      environ_base={"REMOTE_ADDR": PROXY})
    assert resp.status_code == 200
    assert upstream.requests[-1]["headers"]["X-Forwarded-For"] == f"198.51.100.9, 203.0.113.5, {PROXY}"


def test_without_a_proxy_in_front_the_peer_starts_the_header(gateway_db, upstream):
    client = _app(gateway_db, upstream, trusted_proxies=0).test_client()
    client.get("/api/v1/donors", headers=auth("station"), environ_base={"REMOTE_ADDR": "192.0.2.4"})
    assert upstream.requests[-1]["headers"]["X-Forwarded-For"] == "192.0.2.4"


def test_addresses_a_client_put_before_the_trusted_hops_do_not_make_it_someone_else(gateway_db, upstream):
    """A client forging X-Forwarded-For to rotate its address: behind one trusted proxy only the entry that proxy
    appended counts, so every forged value still lands on the same per-IP budget."""
    client = _app(gateway_db, upstream, rate_limit_otp_per_ip="2/hour").test_client()
    statuses = [client.post("/api/v1/auth/donor/otp", json={"phone": _phone(i)},
                            **_via_proxy(NAT, forwarded=f"1.2.3.{i}")).status_code for i in range(3)]
    assert statuses == [202, 202, 429]


def test_trusted_proxy_count_is_still_read_as_the_old_name_of_trusted_proxies():
    assert Config.from_env({"TRUSTED_PROXY_COUNT": "2"}).trusted_proxies == 2
    assert Config.from_env({"TRUSTED_PROXY_COUNT": "2", "TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    assert Config.from_env({}).trusted_proxies == 0


def test_production_refuses_no_trusted_proxies_under_the_old_name_too():
    config = Config.from_env({"TRUSTED_PROXY_COUNT": "0"})
    assert any("TRUSTED_PROXIES must be at least 1" in p for p in config.production_problems())
