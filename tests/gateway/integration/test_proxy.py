"""Forwarding: paths, headers, request ids, upstream failures, body limits."""
from tests.helpers import auth, token


def test_request_is_forwarded_with_path_query_body_and_auth(client, upstream):
    headers = auth("station", site_id="S1")
    resp = client.post("/api/v1/donors/x?a=1&b=2", data=b'{"k": 1}', headers={**headers, "Content-Type": "application/json"})
    assert resp.status_code == 200
    seen = upstream.requests[-1]
    assert (seen["method"], seen["path"], seen["query"], seen["body"]) == ("POST", "/api/v1/donors/x", "a=1&b=2", b'{"k": 1}')
    assert seen["headers"]["Authorization"] == headers["Authorization"]
    assert seen["headers"]["Content-Type"] == "application/json"


def test_request_id_is_generated_forwarded_and_echoed(client, upstream):
    resp = client.get("/api/v1/donors", headers=auth("station"))
    rid = resp.headers["X-Request-ID"]
    assert len(rid) == 36 and upstream.requests[-1]["headers"]["X-Request-Id"] == rid
    resp = client.get("/api/v1/donors", headers={**auth("station"), "X-Request-ID": "given-123"})
    assert resp.headers["X-Request-ID"] == "given-123"
    assert upstream.requests[-1]["headers"]["X-Request-Id"] == "given-123"


def test_upstream_errors_pass_through_unchanged(client):
    resp = client.get("/api/v1/donors/conflict", headers=auth("station"))
    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "donor_exists" and resp.get_json()["existing_id"] == "1"


def test_upstream_down_is_502_problem(client):
    resp = client.get("/api/v1/units", headers=auth("station"))
    assert resp.status_code == 502 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "upstream_unavailable"


def test_upstream_too_slow_is_504_problem(client):
    resp = client.get("/api/v1/donors/slow", headers=auth("station"))
    assert resp.status_code == 504 and resp.get_json()["code"] == "upstream_timeout"


def test_an_invalid_token_is_refused_at_the_gateway_before_reaching_the_service(client, upstream):
    before = len(upstream.requests)
    resp = client.get("/api/v1/donors", headers={"Authorization": "Bearer not-a-jwt"})
    assert resp.status_code == 401 and resp.get_json()["code"] == "invalid_token"
    forged = token("admin").rsplit(".", 1)[0] + ".forgedsignature"
    assert client.get("/api/v1/donors", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert len(upstream.requests) == before


def test_an_oversized_body_is_413_and_never_forwarded(client, upstream):
    before = len(upstream.requests)
    resp = client.post("/api/v1/donors", data=b"x" * 2048, headers={**auth("station"), "Content-Type": "application/json"})
    assert resp.status_code == 413 and resp.get_json()["code"] == "payload_too_large"
    assert len(upstream.requests) == before


def test_unknown_paths_and_wrong_methods_are_problems(client):
    resp = client.get("/api/v1/nowhere")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    resp = client.delete("/api/v1/auth/token")
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
