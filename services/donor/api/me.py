"""/api/v1/me: the signed-in donor's own profile and notifications."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from servicekit.auth import current_principal

from ..schemas import MeSchema, NotificationSchema
from ..services import donors, notifications
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

