"""Donation points and their slots (public reads for the mini-program), a station's points, stops and day sheet."""
from __future__ import annotations

from datetime import datetime, timezone

from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..model import shanghai_day
from ..prescreen import QUESTIONS
from ..schemas import (AppointmentSchema, CallUpReportSchema, DayArgsSchema, ExpectedDonorSchema, PointCreateSchema, PointDaySchema, PointQueryArgsSchema,
                       PointSchema, QuestionSchema, StopCreateSchema, StopSchema)
from ..services import appointments, points
from .common import deps

blp = Blueprint("donation_points", __name__, url_prefix="/api/v1", description="献血点与预约")


def _today():
    return shanghai_day(datetime.now(timezone.utc))


@blp.route("/donation-points")
class DonationPoints(MethodView):
    @blp.arguments(PointQueryArgsSchema(), location="query")
    @blp.response(200, PointDaySchema(many=True))
    def get(self, args):
        """Donation points open on a day, nearest first, with the places left in each slot"""
        near = tuple(float(x) for x in args["near"].split(",")) if args.get("near") else None
        return points.points_open(deps().uow(), day=args.get("date") or _today(), near=near,
                                  kind=args.get("kind"))

    @blp.arguments(PointCreateSchema())
    @blp.response(201, PointSchema)
    def post(self, payload):
        """Register a donation point run by my station"""
        return points.register_point(deps().uow(), current_principal(), body=payload, now=datetime.now(timezone.utc))


@blp.route("/donation-points/<string:point_id>")
class DonationPointById(MethodView):
    @blp.arguments(DayArgsSchema(), location="query")
    @blp.response(200, PointDaySchema)
    def get(self, args, point_id):
        """A donation point on a day, with the places left in each slot"""
        return points.point_day(deps().uow(), point_id=point_id, day=args.get("date") or _today())


@blp.route("/donation-points/<string:point_id>/stops")
class Stops(MethodView):
    @blp.arguments(StopCreateSchema())
    @blp.response(201, StopSchema)
    def post(self, payload, point_id):
        """Schedule a collection vehicle's stop for a day"""
        return points.add_stop(deps().uow(), current_principal(), point_id=point_id, body=payload)


@blp.route("/donation-points/<string:point_id>/day-sheet")
class DaySheet(MethodView):
    @blp.arguments(DayArgsSchema(), location="query")
    @blp.response(200, ExpectedDonorSchema(many=True))
    def get(self, args, point_id):
        """The donors expected at my station's point on a day"""
        return appointments.day_sheet(deps().uow(), current_principal(), point_id=point_id,
                                      day=args.get("date") or _today())


@blp.route("/donation-points/<string:point_id>/appointments/<string:appointment_id>/no-show")
class NoShow(MethodView):
    @blp.response(200, AppointmentSchema)
    def post(self, point_id, appointment_id):
        """Record that a donor on my point's day sheet did not come (once the slot has started)"""
        return appointments.record_no_show(deps().uow(), current_principal(), point_id=point_id,
                                           appointment_id=appointment_id, now=datetime.now(timezone.utc))


@blp.route("/prescreening")
class Prescreening(MethodView):
    @blp.response(200, QuestionSchema(many=True))
    def get(self):
        """The questions a donor answers when booking (the answer that refuses a booking is `defers_if`)"""
        return list(QUESTIONS)


@blp.route("/call-ups")
class CallUps(MethodView):
    @blp.response(200, CallUpReportSchema(many=True))
    def get(self):
        """My region's latest shortage call-ups: invited → booked → donated"""
        return appointments.call_up_reports(deps().uow(), current_principal())
