"""/api/v1/donors/{id}/post-donation-reports: a donor's report of illness after giving (access: authz.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas import PostDonationReportCreateSchema, PostDonationReportSchema
from ..services import post_donation
from .common import deps

blp = Blueprint("post_donation", __name__, url_prefix="/api/v1", description="献血后回告（回溯召回的起点）")


@blp.route("/donors/<string:donor_id>/post-donation-reports")
class PostDonationReports(MethodView):
    @blp.arguments(PostDonationReportCreateSchema())
    @blp.response(201, PostDonationReportSchema)
    def post(self, payload, donor_id):
        """Record that the donor reported illness after giving: the inventory recalls their earlier blood"""
        return post_donation.report(deps().uow(), current_principal(), donor_id=donor_id,
                                    now=datetime.now(timezone.utc), **payload)
