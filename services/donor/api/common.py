"""What every donor view reaches for: the app's dependencies (servicekit.web.create_app)."""
from __future__ import annotations

from flask import current_app


def deps():
    return current_app.extensions["donor"]
