"""/api/v1/donors: donor records, their donations, eligibility and awards. Parse, call one use case, dump."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas import (AwardSummarySchema, DonationCreateSchema, DonationSchema, DonorCreateSchema,
                       DonorQueryArgsSchema, DonorSchema, EligibilityArgsSchema, EligibilitySchema)
from ..services import donations, donors
from .common import deps as _deps

blp = Blueprint("donors", __name__, url_prefix="/api/v1/donors", description="献血者档案与献血记录")


@blp.route("")
class Donors(MethodView):
    @blp.arguments(DonorCreateSchema())
    @blp.response(201, DonorSchema)
    def post(self, payload):
        """Register a donor"""
        deps, principal = _deps(), current_principal()
        return donors.register_donor(deps.uow(), deps.vault, region=principal.region or deps.config.default_region,
                                       site_id=principal.site_id, **payload)

    @blp.arguments(DonorQueryArgsSchema(), location="query")
    @blp.response(200, DonorSchema(many=True))
    def get(self, args):
        """Find donors by national ID (or by phone, for the gateway's donor login)"""
        deps = _deps()
        return donors.find_donors(deps.uow(), deps.vault, **args)


@blp.route("/<string:donor_id>")
class DonorById(MethodView):
    @blp.response(200, DonorSchema)
    def get(self, donor_id):
        """Get a donor"""
        return donors.get_donor(_deps().uow(), donor_id)


@blp.route("/<string:donor_id>/donations")
class Donations(MethodView):
    @blp.arguments(DonationCreateSchema())
    @blp.response(201, DonationSchema)
    def post(self, payload, donor_id):
        """Record a donation (eligibility checked, DIN assigned)"""
        deps, principal = _deps(), current_principal()
        return donations.record_donation(deps.uow(), deps.notifier, donor_id=donor_id, site_id=principal.site_id,
                                         region=principal.region or deps.config.default_region,
                                         facility_ids=deps.config.facility_ids(), **payload)

    @blp.response(200, DonationSchema(many=True))
    def get(self, donor_id):
        """List a donor's donations, newest first"""
        return donations.list_donations(_deps().uow(), donor_id)


@blp.route("/<string:donor_id>/eligibility")
class Eligibility(MethodView):
    @blp.arguments(EligibilityArgsSchema(), location="query")
    @blp.response(200, EligibilitySchema)
    def get(self, args, donor_id):
        """Whether a donor may donate today, and if not, why and from when"""
        principal = current_principal()
        station_region = principal.region if principal.role == "station" else None
        return donations.check_eligibility(_deps().uow(), donor_id, args["kind"], region=station_region)


@blp.route("/<string:donor_id>/awards")
class Awards(MethodView):
    @blp.response(200, AwardSummarySchema)
    def get(self, donor_id):
        """A donor's awards and the next one"""
        return donations.award_summary(_deps().uow(), donor_id)
