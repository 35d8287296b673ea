"""Walk every route of every service's OpenAPI with every role: allowed roles get past authorisation,
others get 403 (401 without a token), and the matrix covers every route (deny by default otherwise).

Ownership is walked too: a donor token for another donor gets 404 on routes marked own_donor; stations
and hospitals of other sites are covered by each service's own tests (their checks need stored rows).
"""
import importlib
import re

import pytest

from servicekit.auth import ROLES
from servicekit.authz import OWN_DONOR
from tests.helpers import JWT_SECRET, PII_KEY, auth

SERVICES = ["donor", "inventory", "waiver"]
METHODS = ("get", "post", "put", "patch", "delete")


def _app(databases, service):
    create_app = importlib.import_module(f"{service}.app").create_app
    return create_app(database_url=databases.new(service, "sqlite"), jwt_secret=JWT_SECRET, pii_key=PII_KEY)


def _operations(client):
    spec = client.get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method in METHODS:
            if method in item:
                yield method, path


def _concrete(path):
    return re.sub(r"\{[^}]+\}", "walk-id", path)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_is_in_the_matrix_and_roles_are_enforced(databases, service):
    matrix = importlib.import_module(f"{service}.authz").MATRIX
    client = _app(databases, service).test_client()
    operations = list(_operations(client))
    assert operations, "the service publishes no routes?"
    missing = [(m, p) for m, p in operations if matrix.rule_for(m, p) is None]
    assert not missing, f"routes without an authorisation rule: {missing}"
    for method, path in operations:
        rule = matrix.rule_for(method, path)
        url = _concrete(path)
        anonymous = getattr(client, method)(url, json={})
        if rule.public:
            assert anonymous.status_code not in (401, 403), (method, path)
            continue
        assert anonymous.status_code == 401, (method, path, anonymous.status_code)
        for role in ROLES:
            claims = {"site_id": "walk-site", "region": "SH", "donor_id": "walk-id" if role == "donor" else None}
            resp = getattr(client, method)(url, json={}, headers=auth(role, **{k: v for k, v in claims.items() if v}))
            body = resp.get_json(silent=True) or {}
            if role in rule.roles:
                assert body.get("code") not in ("forbidden_role", "not_in_authorization_matrix"), (method, path, role, body)
            else:
                assert resp.status_code == 403 and body.get("code") == "forbidden_role", (method, path, role, resp.status_code)


@pytest.mark.parametrize("service", SERVICES)
def test_a_donor_never_reaches_another_donors_resources(databases, service):
    matrix = importlib.import_module(f"{service}.authz").MATRIX
    client = _app(databases, service).test_client()
    for method, path in _operations(client):
        rule = matrix.rule_for(method, path)
        if "donor" in rule.roles and OWN_DONOR in rule.ownership and "{donor_id}" in path:
            resp = getattr(client, method)(path.replace("{donor_id}", "someone-else"), json={},
                                           headers=auth("donor", donor_id="me"))
            assert resp.status_code in (403, 404), (method, path, resp.status_code)
