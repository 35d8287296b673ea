"""/api/v1/rebalancing/plans: rebalancing plans. Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import PlanCreateSchema, PlanSchema
from ..services import plans
from .common import blp, deps, now


@blp.route("/rebalancing/plans")
class Plans(MethodView):
    @blp.arguments(PlanCreateSchema())
    @blp.response(201, PlanSchema)
    def post(self, payload):
        """Propose moves that bring stations to target days of supply"""
        return plans.create_plan(deps().uow(), current_principal(), now=now(), **payload)


@blp.route("/rebalancing/plans/<string:plan_id>")
class PlanById(MethodView):
    @blp.response(200, PlanSchema)
    def get(self, plan_id):
        """A rebalancing plan"""
        return plans.get_plan(deps().uow(), plan_id)


@blp.route("/rebalancing/plans/<string:plan_id>/approve")
class PlanApprove(MethodView):
    @blp.response(200, PlanSchema)
    def post(self, plan_id):
        """Approve a plan: one requested transfer per move"""
        return plans.approve_plan(deps().uow(), current_principal(), plan_id=plan_id, now=now())
