"""Walk every route of every service's OpenAPI with every role and without a token, against the table
transcribed from docs/api.md (expected_access.py) — never against the service's own matrix, so a wrong matrix
entry (or a view's own role check that disagrees with it) fails here.

- the expected table lists exactly the /api/v1 operations each service publishes (no route unjudged, none stale);
- an allowed role gets past authorisation (no 401, no 403 forbidden_role / not_in_authorization_matrix);
- any other role gets 403 forbidden_role; no token gets 401 (public routes: neither).

Ownership (the right role, someone else's resource) is walked in test_ownership_walk.py.
"""
import importlib
import re

import pytest

from servicekit.authz import PUBLIC
from tests.helpers import SERVICE_KEYS, PII_KEY, auth
from tests.security.expected_access import EXPECTED, ROLES, template

SERVICES = tuple(EXPECTED)
METHODS = ("get", "post", "put", "patch", "delete")
REFUSED_BY_ROLE = ("forbidden_role", "not_in_authorization_matrix")
# What a walking token carries: a site, a region, a donor id that matches the `walk-id` in every path.
CLAIMS = {"site_id": "walk-site", "region": "SH"}


@pytest.fixture(scope="module")
def clients(databases):
    """One app per service on its own SQLite database, built as the services build themselves."""
    built = {}

    def client(service):
        if service not in built:
            create_app = importlib.import_module(f"{service}.app").create_app
            app = create_app(database_url=databases.new(service, "sqlite"), **SERVICE_KEYS, pii_key=PII_KEY)
            built[service] = app.test_client()
        return built[service]
    return client


def published(client) -> set[tuple[str, str]]:
    spec = client.get("/openapi.json").get_json()
    return {(method.upper(), template(path)) for path, item in spec["paths"].items() if path.startswith("/api/v1/")
            for method in METHODS if method in item}


@pytest.mark.parametrize("service", SERVICES)
def test_the_expected_table_lists_exactly_the_published_routes(clients, service):
    routes = published(clients(service))
    expected = {(method, template(path)) for method, path in EXPECTED[service]}
    assert routes, "the service publishes no routes?"
    assert sorted(routes - expected) == [], "published but not in expected_access.py: decide who may call them"
    assert sorted(expected - routes) == [], "in expected_access.py but no longer published: stale entries"


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_matrix_says_what_api_md_says(service):
    """The same comparison as the walk below, on the data, for a readable list of every disagreement."""
    rules = importlib.import_module(f"{service}.authz").MATRIX.rules
    matrix = {(m, template(p)): rule for (m, p), rule in rules.items()}
    disagreements = []
    for (method, path), access in EXPECTED[service].items():
        rule = matrix.get((method, template(path)))
        declared = None if rule is None else ({PUBLIC} if rule.public else set(rule.roles))
        wanted = {PUBLIC} if access.public else set(access.roles)
        if declared != wanted:
            disagreements.append(f"{method} {path}: matrix {sorted(declared or [])} ≠ docs/api.md {sorted(wanted)}")
    assert disagreements == []


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "walk-id", path)


def _headers(role):
    if role is None:
        return {}
    return auth(role, **CLAIMS, **({"donor_id": "walk-id"} if role == "donor" else {}))


WALK = [(service, method, path, role) for service, routes in EXPECTED.items() for method, path in routes
        for role in (*ROLES, None)]


@pytest.mark.parametrize("service,method,path,role", WALK,
                         ids=[f"{s} {m} {p} as {r or 'anonymous'}" for s, m, p, r in WALK])
def test_each_role_gets_exactly_what_api_md_allows(clients, service, method, path, role):
    access = EXPECTED[service][(method, path)]
    resp = clients(service).open(_concrete(path), method=method, json={}, headers=_headers(role))
    body = resp.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    seen = (resp.status_code, code)
    if access.public:
        assert resp.status_code not in (401, 403), f"public route refused: {seen}"
    elif role is None:
        assert resp.status_code == 401, f"no token must be 401, got {seen}"
    elif access.allows(role):
        assert resp.status_code != 401 and not (resp.status_code == 403 and code in REFUSED_BY_ROLE), \
            f"docs/api.md allows {role}, the service refused: {seen}"
    else:
        assert seen == (403, "forbidden_role"), f"docs/api.md refuses {role}, the service answered {seen}"
