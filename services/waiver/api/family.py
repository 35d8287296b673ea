"""Family bindings: donors name relatives, reviewers of the donor's region verify them."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint


from ..schemas.family import FamilyBindingSchema, FamilyCreateSchema, FamilyQueryArgsSchema, FamilyVerifySchema
from ..services import family
from .common import deps, donor, now, reviewer

blp = Blueprint("waiver_family", __name__, url_prefix="/api/v1", description="亲属绑定")


@blp.route("/me/family")
class MyFamily(MethodView):
    @blp.arguments(FamilyCreateSchema())
    @blp.response(201, FamilyBindingSchema)
    def post(self, payload):
        """Bind a relative"""
        d = deps()
        return family.bind_relative(d.uow(), d.vault, donor_id=donor().donor_id, now=now(), **payload)
    @blp.response(200, FamilyBindingSchema(many=True))
    def get(self):
        """List my bound relatives"""
        return family.list_family(deps().uow(), donor_id=donor().donor_id)


@blp.route("/waiver/family")
class FamilyReview(MethodView):
    @blp.arguments(FamilyQueryArgsSchema(), location="query")
    @blp.response(200, FamilyBindingSchema(many=True))
    def get(self, args):
        """List family bindings of my region"""
        return family.bindings_for_review(deps().uow(), region=reviewer().region, status=args.get("status"))


@blp.route("/waiver/family/<string:binding_id>/verify")
class VerifyFamily(MethodView):
    @blp.arguments(FamilyVerifySchema())
    @blp.response(200, FamilyBindingSchema)
    def post(self, payload, binding_id):
        """Verify or reject a family binding"""
        principal = reviewer()
        return family.verify_binding(deps().uow(), binding_id=binding_id, reviewer=principal.sub,
                                     region=principal.region, now=now(), approved=payload["approved"],
                                     reason=payload.get("reason"))
