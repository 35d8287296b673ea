"""/api/v1/me: the signed-in donor's own profile, notifications and appointments."""
from __future__ import annotations

from datetime import datetime, timezone

from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas import AppointmentCreateSchema, AppointmentSchema, MeSchema, NotificationSchema
from ..services import appointments, donors, notifications
from .common import deps as _deps

me = Blueprint("me", __name__, url_prefix="/api/v1/me", description="献血者本人")


@me.route("")
class Me(MethodView):
    @me.response(200, MeSchema)
    def get(self):
        """The signed-in donor's profile and donation totals"""
        return donors.my_profile(_deps().uow(), current_principal().donor_id)


@me.route("/notifications")
class MyNotifications(MethodView):
    @me.response(200, NotificationSchema(many=True))
    def get(self):
        """The signed-in donor's notifications, newest first"""
        return notifications.list_notifications(_deps().uow(), current_principal().donor_id)


@me.route("/appointments")
class MyAppointments(MethodView):
    @me.arguments(AppointmentCreateSchema())
    @me.response(201, AppointmentSchema)
    def post(self, payload):
        """Book a slot at a donation point (pre-screening answers and my next eligible date are checked)"""
        d = _deps()
        return appointments.book(d.uow(), d.notifier, donor_id=current_principal().donor_id,
                                 now=datetime.now(timezone.utc), **payload)

    @me.response(200, AppointmentSchema(many=True))
    def get(self):
        """My appointments, latest slot first"""
        return appointments.my_appointments(_deps().uow(), donor_id=current_principal().donor_id)


@me.route("/appointments/<string:appointment_id>/cancel")
class CancelAppointment(MethodView):
    @me.response(200, AppointmentSchema)
    def post(self, appointment_id):
        """Cancel my appointment (before it starts); the place is given back"""
        return appointments.cancel(_deps().uow(), donor_id=current_principal().donor_id,
                                   appointment_id=appointment_id, now=datetime.now(timezone.utc))
