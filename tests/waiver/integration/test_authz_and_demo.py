"""Every route is in the authorisation matrix; the demo loader is idempotent."""
from servicekit.authz import openapi_path
from tests.helpers import auth
from waiver import demo
from waiver.authz import MATRIX
from waiver.config import Config
from waiver.policy_data import DEFAULTS


def test_every_route_is_declared_in_the_matrix(app):
    routes = {(m, openapi_path(r.rule)) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}
              if r.rule.startswith("/api/")}
    assert routes and routes == set(MATRIX.rules)


def test_roles_outside_the_matrix_are_refused_before_the_view(client, counts):
    before = counts()
    for method, path in MATRIX.rules:
        rule = MATRIX.rules[(method, path)]
        if rule.public:
            continue
        url = path.replace("{binding_id}", "x").replace("{deduction_id}", "x").replace("{claim_id}", "x")
        for role in {"admin", "station", "hospital", "reviewer", "donor"} - set(rule.roles):
            resp = client.open(url, method=method, headers=auth(role, site_id="H1", region="SH", donor_id="d"),
                               json={})
            assert resp.status_code == 403, (method, path, role, resp.status_code)
        assert client.open(url, method=method, json={}).status_code == 401, (method, path)
    assert counts() == before


def test_demo_seeds_policies_once(waiver_db):
    config = Config(database_url=waiver_db)
    assert demo.load(config) == {"policies_added": len(DEFAULTS)}
    assert demo.load(config) == {"policies_added": 0}
