"""Direct deduction at discharge (hospital information systems)."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas.common import ReasonSchema
from ..schemas.deductions import DeductionCreateSchema, DeductionSchema
from ..services import deductions
from .common import deps, hospital_site, now

blp = Blueprint("waiver_deductions", __name__, url_prefix="/api/v1/waiver/direct-deductions",
                description="医院直免")


@blp.route("/preview")
class Preview(MethodView):
    @blp.arguments(DeductionCreateSchema())
    @blp.response(200, DeductionSchema)
    def post(self, payload):
        """Preview a direct deduction (nothing is stored)"""
        principal, d = hospital_site(), deps()
        return deductions.preview_deduction(d.uow(), d.vault, hospital_id=principal.site_id,
                                            hospital_region=principal.region, body=payload, now=now())


@blp.route("")
class Deductions(MethodView):
    @blp.arguments(DeductionCreateSchema())
    @blp.response(201, DeductionSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": True, "schema": {"type": "string"}}])
    def post(self, payload):
        """Apply a direct deduction (Idempotency-Key required)"""
        principal, d = hospital_site(), deps()
        return deductions.apply_deduction(d.uow(), d.vault, hospital_id=principal.site_id,
                                          hospital_region=principal.region, key=_idempotency_key(), body=payload,
                                          secret=d.config.pii_key, now=now())


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    return key[:200] or None


@blp.route("/<string:deduction_id>")
class DeductionById(MethodView):
    @blp.response(200, DeductionSchema)
    def get(self, deduction_id):
        """Get a direct deduction"""
        principal = current_principal()
        return deductions.get_deduction(deps().uow(), deduction_id=deduction_id,
                                        hospital_id=hospital_site().site_id if principal.role == "hospital" else None,
                                        region=principal.region if principal.role == "reviewer" else None)


@blp.route("/<string:deduction_id>/reverse")
class Reverse(MethodView):
    @blp.arguments(ReasonSchema())
    @blp.response(200, DeductionSchema)
    def post(self, payload, deduction_id):
        """Reverse a direct deduction (the quota is given back)"""
        return deductions.reverse_deduction(deps().uow(), hospital_id=hospital_site().site_id,
                                            deduction_id=deduction_id, reason=payload["reason"], now=now())
