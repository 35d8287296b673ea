"""The gateway's own endpoints: tokens, users, health."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.audit import claim_actor
from servicekit.auth import require_role

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
