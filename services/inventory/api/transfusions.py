"""/api/v1/transfusions: transfusions at hospitals. Parse, call one use case, dump; access rules in authz.py."""
from __future__ import annotations

from flask.views import MethodView

from servicekit.auth import current_principal

from ..schemas import TransfusionCreateSchema, TransfusionSchema
from ..services import transfusions
from .common import blp, deps, now


@blp.route("/transfusions")
class Transfusions(MethodView):
    @blp.arguments(TransfusionCreateSchema())
    @blp.response(201, TransfusionSchema)
    def post(self, payload):
        """Record that a unit issued to this hospital was transfused"""
        d = deps()
        return transfusions.record_transfusion(d.uow(), d.vault, hospital_id=current_principal().site_id,
                                               now=now(), **payload)
