"""The gateway's own endpoints: tokens, users, health."""
from __future__ import annotations

import json
from pathlib import Path

from flask import current_app, jsonify, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.audit import claim_actor
from servicekit.auth import require_role
from servicekit.errors import NotFound

from . import accounts, health
from .schemas import TokenRequestSchema, TokenSchema, UserCreateSchema, UserSchema

blp = Blueprint("gateway", __name__, url_prefix="/api/v1", description="网关：登录、用户、健康检查")


def _deps():
    return current_app.extensions["gateway"]


@blp.route("/auth/token")
class StaffToken(MethodView):
    @blp.arguments(TokenRequestSchema())
    @blp.response(200, TokenSchema)
    def post(self, creds):
        """Issue a staff token"""
        deps = _deps()
        claim_actor(creds["username"])   # a refused attempt is audited against the account it tried
        with deps.auth_throttle.staff(request.remote_addr or "", creds["username"]):
            token = accounts.issue_staff_token(deps.session_factory, deps.token_keys,
                                               deps.config.token_ttl_s, **creds)
        claim_actor(creds["username"], role=token["role"], site_id=token["site_id"], region=token["region"])
        return token


@blp.route("/users")
class Users(MethodView):
    @require_role("admin")
    @blp.arguments(UserCreateSchema())
    @blp.response(201, UserSchema)
    def post(self, payload):
        """Create a staff user"""
        deps = _deps()
        return accounts.create_user(deps.session_factory, deps.sites.get, **payload)


@blp.route("/.well-known/jwks.json")
class Jwks(MethodView):
    @blp.response(200)
    def get(self):
        """The public keys that verify the gateway's tokens (RFC 7517 JWK Set; the services fetch it)"""
        response = jsonify(_deps().token_keys.jwks())
        response.headers["Cache-Control"] = "public, max-age=300"
        return response


@blp.route("/health")
class Health(MethodView):
    @blp.response(200)
    def get(self):
        """Health of every component"""
        deps = _deps()
        return health.aggregate(deps.config.upstreams(), deps.config.kafka_bootstrap_servers, deps.proxy.http)


# The simulation report's plots (inventory.simulate writes them): only these names, nothing else of the folder.
SIMULATION_IMAGES = {"days_of_supply.png": "全年各血型可供天数", "outdates_by_month.png": "每月过期报废量"}


def _simulation_dir() -> Path:
    return Path(_deps().config.simulation_dir)


@blp.route("/simulation/report")
class SimulationReport(MethodView):
    @require_role("admin", "station")
    @blp.response(200)
    def get(self):
        """The latest simulation report: its goals, figures per scenario and the plots there are"""
        folder = _simulation_dir()
        try:
            report = json.loads((folder / "report.json").read_text())
        except (OSError, ValueError):
            # No run yet is an answer, not an error: the 调剂 tab says so (and a browser logs no refused fetch).
            return {"available": False, "meta": {}, "goals": [], "images": []}
        images = [{"name": name, "title": title, "href": f"/api/v1/simulation/images/{name}"}
                  for name, title in SIMULATION_IMAGES.items() if (folder / name).is_file()]
        return {"available": True, "meta": report.get("meta", {}), "goals": report.get("goals", []), "images": images}


@blp.route("/simulation/images/<name>")
class SimulationImage(MethodView):
    @require_role("admin", "station")
    def get(self, name):
        """One plot of the latest simulation report (PNG)"""
        path = _simulation_dir() / name
        if name not in SIMULATION_IMAGES or not path.is_file():
            raise NotFound("没有这张图", code="simulation_image_not_found")
        response = send_file(path.resolve(), mimetype="image/png", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return response
