"""What every inventory view shares: the blueprint (one, so the OpenAPI tag stays "inventory"), the app's
dependencies (servicekit.web.create_app) and the clock."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from flask_smorest import Blueprint

blp = Blueprint("inventory", __name__, url_prefix="/api/v1", description="站点、血液库存、订单、输血、调拨与调配")


def deps():
    return current_app.extensions["inventory"]


def now() -> datetime:
    return datetime.now(timezone.utc)
