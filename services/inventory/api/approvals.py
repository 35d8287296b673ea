"""/api/v1/clinical-approvals and /api/v1/orders/{id}/approval: tiered clinical approval (access: authz.py)."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import ApprovalQueryArgsSchema, ClinicalApprovalSchema, OrderApprovalSchema
from ..services import approvals
from .common import blp, deps, now


@blp.route("/clinical-approvals")
class ClinicalApprovals(MethodView):
    @blp.arguments(ApprovalQueryArgsSchema(), location="query")
    @blp.response(200, OrderApprovalSchema(many=True))
    def get(self, args):
        """Orders' clinical approvals, latest first; `status=owed`: the emergencies still awaiting theirs"""
        return approvals.list_approvals(deps().uow(), current_principal(), **args)


@blp.route("/orders/<string:order_id>/approval")
class OrderApproval(MethodView):
    @blp.arguments(ClinicalApprovalSchema())
    @blp.response(200, OrderApprovalSchema)
    def post(self, payload, order_id):
        """Approve, after the fact, an emergency order that went ahead owing its approval"""
        return approvals.approve_after(deps().uow(), current_principal(), order_id=order_id, now=now(), **payload)
