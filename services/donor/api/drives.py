"""Group donation (团体献血): a station's organisations, drives and rosters, and the year's figures."""
from __future__ import annotations

from datetime import datetime, timezone

from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..model import shanghai_day
from ..schemas import (DriveCreateSchema, DriveQueryArgsSchema, DriveSchema, GroupYearSchema, OrganisationCreateSchema,
                       OrganisationSchema, RosterSchema, YearArgsSchema)
from ..services import drives
from .common import deps

blp = Blueprint("group_drives", __name__, url_prefix="/api/v1", description="团体献血")


def _now():
    return datetime.now(timezone.utc)


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.arguments(OrganisationCreateSchema())
    @blp.response(201, OrganisationSchema)
    def post(self, payload):
        """Register an organisation that donates as a group (employer, university, army unit ...)"""
        return drives.create_organisation(deps().uow(), current_principal(), now=_now(), **payload)

    @blp.response(200, OrganisationSchema(many=True))
    def get(self):
        """My region's organisations"""
        return drives.organisations(deps().uow(), current_principal())


@blp.route("/drives")
class Drives(MethodView):
    @blp.arguments(DriveCreateSchema())
    @blp.response(201, DriveSchema)
    def post(self, payload):
        """Plan a group drive: its day, point or vehicle, target and roster"""
        return drives.create_drive(deps().uow(), current_principal(), now=_now(), **payload)

    @blp.arguments(DriveQueryArgsSchema(), location="query")
    @blp.response(200, DriveSchema(many=True))
    def get(self, args):
        """My region's drives from a day on"""
        return drives.drives(deps().uow(), current_principal(),
                             since=args.get("since") or shanghai_day(_now()))


@blp.route("/drives/<string:drive_id>")
class DriveById(MethodView):
    @blp.response(200, DriveSchema)
    def get(self, drive_id):
        """One of my station's drives, with its roster and how many gave"""
        return drives.get_drive(deps().uow(), current_principal(), drive_id=drive_id)


@blp.route("/drives/<string:drive_id>/roster")
class Roster(MethodView):
    @blp.arguments(RosterSchema())
    @blp.response(200, DriveSchema)
    def post(self, payload, drive_id):
        """Add registered donors to a drive's roster (once each)"""
        return drives.enrol(deps().uow(), current_principal(), drive_id=drive_id, donor_ids=payload["donor_ids"],
                            now=_now())


@blp.route("/group-donation/stats")
class GroupStats(MethodView):
    @blp.arguments(YearArgsSchema(), location="query")
    @blp.response(200, GroupYearSchema)
    def get(self, args):
        """A year's group donation per organisation, and group beside street donation (双轨)"""
        return drives.year_figures(deps().uow(), current_principal(), year=args["year"])
