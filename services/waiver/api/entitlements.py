"""Policies in force and entitlement pools."""
from __future__ import annotations

from datetime import datetime, time

from flask.views import MethodView
from flask_smorest import Blueprint


from ..policy import SHANGHAI
from ..schemas.entitlements import (EntitlementQueryArgsSchema, MyEntitlementsSchema, PatientEntitlementsSchema,
                                    PolicyQueryArgsSchema, PolicySchema)
from ..services import entitlements
from .common import deps, donor, now

blp = Blueprint("waiver_entitlements", __name__, url_prefix="/api/v1", description="减免政策与额度")


@blp.route("/waiver/policies")
class Policies(MethodView):
    @blp.arguments(PolicyQueryArgsSchema(), location="query")
    @blp.response(200, PolicySchema(many=True))
    def get(self, args):
        """List the waiver policy in force in each region"""
        at = datetime.combine(args["at"], time(12), SHANGHAI) if args.get("at") else now()
        return entitlements.policies_in_force(deps().uow(), now=at)


@blp.route("/me/entitlements")
class MyEntitlements(MethodView):
    @blp.response(200, MyEntitlementsSchema)
    def get(self):
        """Show my waiver pools"""
        return entitlements.my_entitlements(deps().uow(), donor_id=donor().donor_id, now=now())


@blp.route("/waiver/entitlements")
class PatientEntitlements(MethodView):
    @blp.arguments(EntitlementQueryArgsSchema(), location="query")
    @blp.response(200, PatientEntitlementsSchema)
    def get(self, args):
        """Look up a patient's waiver entitlements"""
        d = deps()
        return entitlements.patient_entitlements(d.uow(), d.vault, now=now(), **args)
