"""Rare donors: a donor's rare profile, the registry, emergency teams and urgent calls for a rare type."""
from __future__ import annotations

from datetime import datetime, timezone

from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas import (RareCallUpCreateSchema, RareCallUpSchema, RareDonorProfileSchema, RareDonorSchema,
                       RareProfileSchema, RareQueryArgsSchema, TeamCreateSchema, TeamMemberSchema, TeamSchema)
from ..services import rare
from .common import deps

blp = Blueprint("rare_donors", __name__, url_prefix="/api/v1", description="稀有血型献血者与应急献血队伍")


def _now():
    return datetime.now(timezone.utc)


@blp.route("/donors/<string:donor_id>/rare-profile")
class RareProfile(MethodView):
    @blp.arguments(RareProfileSchema())
    @blp.response(200, RareDonorProfileSchema)
    def put(self, payload, donor_id):
        """Record a donor's rare phenotypes and whether they agree to be called"""
        return rare.set_rare_profile(deps().uow(), donor_id=donor_id, now=_now(), **payload)


@blp.route("/rare-donors")
class RareDonors(MethodView):
    @blp.arguments(RareQueryArgsSchema(), location="query")
    @blp.response(200, RareDonorSchema(many=True))
    def get(self, args):
        """My region's donors of rare types"""
        return rare.registry(deps().uow(), current_principal(), phenotype=args.get("phenotype"))


@blp.route("/emergency-teams")
class Teams(MethodView):
    @blp.arguments(TeamCreateSchema())
    @blp.response(201, TeamSchema)
    def post(self, payload):
        """Form an emergency donor team of my station"""
        return rare.create_team(deps().uow(), current_principal(), name=payload["name"], now=_now())

    @blp.response(200, TeamSchema(many=True))
    def get(self):
        """My region's emergency donor teams"""
        return rare.teams(deps().uow(), current_principal())


@blp.route("/emergency-teams/<string:team_id>/members")
class TeamMembers(MethodView):
    @blp.arguments(TeamMemberSchema())
    @blp.response(200, TeamSchema)
    def post(self, payload, team_id):
        """Add a donor of the region to my station's team"""
        return rare.add_member(deps().uow(), current_principal(), team_id=team_id, donor_id=payload["donor_id"],
                               now=_now())


@blp.route("/rare-call-ups")
class RareCallUps(MethodView):
    @blp.arguments(RareCallUpCreateSchema())
    @blp.response(201, RareCallUpSchema)
    def post(self, payload):
        """Call the donors of a rare type in every region (consenting or in a team, able to give today)"""
        d = deps()
        return rare.call_for_rare_blood(d.uow(), d.notifier, current_principal(), now=_now(), **payload)

    @blp.response(200, RareCallUpSchema(many=True))
    def get(self):
        """Urgent rare-type calls of every region, and whom each reached per region"""
        return rare.rare_call_ups(deps().uow())
