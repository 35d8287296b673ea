"""The authorisation matrix: deny by default, roles, path ownership."""
import pytest
from flask import Flask

from hemolink.access import ROLES
from servicekit.authz import PUBLIC, Matrix, PathOwner, allow, install_authz, openapi_path
from servicekit.errors import NotFound, register_error_handlers
from tests.helpers import TEST_KEYS, auth

OWN_DONOR = PathOwner("own_donor", role="donor", param="donor_id", refusal=lambda: NotFound("no such donor"))

MATRIX = Matrix({
    ("GET", "/policies"): allow(PUBLIC),
    ("POST", "/donors"): allow("station"),
    ("GET", "/donors/{donor_id}"): allow("station", "reviewer", "donor", owner=OWN_DONOR),
})


@pytest.fixture
def client():
    app = Flask(__name__)
    app.config["JWT_KEYS"] = TEST_KEYS
    app.config["JWT_ROLES"] = ROLES
    register_error_handlers(app)
    install_authz(app, MATRIX)
    app.add_url_rule("/policies", "p", lambda: {"ok": 1})
    app.add_url_rule("/donors", "d", lambda: {"ok": 1}, methods=["POST"])
    app.add_url_rule("/donors/<string:donor_id>", "g", lambda donor_id: {"ok": donor_id})
    app.add_url_rule("/forgotten", "f", lambda: {"ok": 1})
    app.add_url_rule("/healthz", "h", lambda: {"ok": 1})
    return app.test_client()


def test_flask_rules_become_openapi_paths():
    assert openapi_path("/api/v1/donors/<string:donor_id>/x/<int:n>") == "/api/v1/donors/{donor_id}/x/{n}"


def test_public_and_infrastructure_routes_need_no_token(client):
    assert client.get("/policies").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_route_missing_from_the_matrix_is_denied_even_to_admin(client):
    resp = client.get("/forgotten", headers=auth("admin"))
    assert resp.status_code == 403 and resp.get_json()["code"] == "not_in_authorization_matrix"


def test_roles_are_enforced_with_401_without_a_token(client):
    assert client.post("/donors").status_code == 401
    assert client.post("/donors", headers=auth("hospital")).status_code == 403
    assert client.post("/donors", headers=auth("station")).status_code == 200


def test_a_donor_reaches_only_their_own_record(client):
    assert client.get("/donors/d-1", headers=auth("donor", donor_id="d-1")).status_code == 200
    assert client.get("/donors/d-2", headers=auth("donor", donor_id="d-1")).status_code == 404
    assert client.get("/donors/d-2", headers=auth("reviewer", region="SH")).status_code == 200
