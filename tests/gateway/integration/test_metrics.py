"""The gateway's /metrics move with its traffic: latency by route and status, limiter refusals."""
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import auth


def _samples(client):
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    return [s for family in text_string_to_metric_families(resp.get_data(as_text=True)) for s in family.samples]


def _value(samples, name, **labels):
    return sum(s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))


def test_proxied_and_own_requests_are_counted_by_route_and_status_never_by_raw_path(client, upstream):
    before = _samples(client)
    for donor in ("d-1", "d-2", "d-3"):
        assert client.get(f"/api/v1/donors/{donor}", headers=auth("station")).status_code == 200
    assert client.get("/healthz").status_code == 200
    after = _samples(client)
    proxied = dict(service="gateway", route="/api/v1/donors", method="GET", status="200")
    name = "hemolink_http_request_duration_seconds_count"
    assert _value(after, name, **proxied) - _value(before, name, **proxied) == 3
    own = dict(service="gateway", route="/healthz", method="GET", status="200")
    assert _value(after, name, **own) - _value(before, name, **own) == 1
    assert not [s for s in after if "d-1" in s.labels.get("route", "")]      # one series per route, not per donor
    bucket = [s for s in after if s.name == "hemolink_http_request_duration_seconds_bucket"
              and s.labels["le"] == "+Inf" and all(s.labels.get(k) == v for k, v in proxied.items())]
    assert len(bucket) == 1 and bucket[0].value >= 3      # other tests in this process may add POSTs and 4xxs


def test_each_refusal_of_a_rate_limit_is_counted_by_the_limit_that_refused(gateway_db, upstream):
    from tests.gateway.integration.test_login import _app

    client = _app(gateway_db, upstream, rate_limit_otp_per_phone="1/minute").test_client()
    name = "hemolink_rate_limit_refusals_total"
    before = _value(_samples(client), name, limit="otp-phone")
    statuses = [client.post("/api/v1/auth/donor/otp", json={"phone": "13700000001"}).status_code for _ in range(3)]
    assert statuses == [202, 429, 429]
    assert _value(_samples(client), name, limit="otp-phone") - before == 2
