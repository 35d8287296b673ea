"""Donor login by one-time code, and HIS machine clients (client credentials)."""
from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.audit import claim_actor
from servicekit.auth import require_role

from . import clients, otp
from .schemas import (ClientCreateSchema, ClientCreatedSchema, ClientSchema, ClientTokenRequestSchema, DonorTokenRequestSchema,
                      DonorTokenSchema, OtpRequestSchema, OtpSentSchema, TokenSchema)

blp = Blueprint("login", __name__, url_prefix="/api/v1", description="献血者验证码登录、医院系统客户端")


def _deps():
    return current_app.extensions["gateway"]


@blp.route("/auth/donor/otp")
class DonorOtp(MethodView):
    @blp.arguments(OtpRequestSchema())
    @blp.response(202, OtpSentSchema)
    def post(self, payload):
        """Send a one-time login code to a donor's phone"""
        deps = _deps()
        deps.otp_limits.admit(request.remote_addr or "", deps.vault.blind_index(payload["phone"]))
        code = otp.send_code(deps.session_factory, deps.vault, deps.sms, **payload)
        return {"sent": True, **({"dev_code": code} if deps.config.hemolink_dev_otp else {})}


@blp.route("/auth/donor/token")
class DonorToken(MethodView):
    @blp.arguments(DonorTokenRequestSchema())
    @blp.response(200, DonorTokenSchema)
    def post(self, payload):
        """Exchange a one-time code for a donor token"""
        deps = _deps()
        # Refusals stay anonymous in the audit: the only name they carry is a phone number.
        with deps.auth_throttle.donor(request.remote_addr or ""):
            token = otp.exchange_code(deps.session_factory, deps.vault, deps.donors, deps.token_keys,
                                      deps.config.donor_token_ttl_s, **payload)
        claim_actor(token["donor_id"], role="donor")
        return token


@blp.route("/auth/client-token")
class ClientToken(MethodView):
    @blp.arguments(ClientTokenRequestSchema())
    @blp.response(200, TokenSchema)
    def post(self, creds):
        """Issue a hospital-system token from client credentials"""
        deps = _deps()
        claim_actor(creds["client_id"])   # a refused attempt is audited against the client it named
        with deps.auth_throttle.client(request.remote_addr or "", creds["client_id"]):
            token = clients.issue_client_token(deps.session_factory, deps.token_keys,
                                               deps.config.client_token_ttl_s, **creds)
        claim_actor(creds["client_id"], role="hospital", site_id=token["site_id"], region=token["region"])
        return token


@blp.route("/clients")
class Clients(MethodView):
    @require_role("admin")
    @blp.arguments(ClientCreateSchema())
    @blp.response(201, ClientCreatedSchema)
    def post(self, payload):
        """Register a hospital system (the secret is shown only in this response)"""
        deps = _deps()
        return clients.create_client(deps.session_factory, deps.sites.get, **payload)

    @require_role("admin")
    @blp.response(200, ClientSchema(many=True))
    def get(self):
        """List hospital systems"""
        return clients.list_clients(_deps().session_factory)


@blp.route("/clients/<string:client_id>/revoke")
class ClientRevoke(MethodView):
    @require_role("admin")
    @blp.response(200, ClientSchema)
    def post(self, client_id):
        """Revoke a hospital system's credentials and tokens"""
        return clients.revoke_client(_deps().session_factory, client_id)
