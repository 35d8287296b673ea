"""The donor page (H5): what the mini-program's web-view opens, served like the staff console under its own headers.

A donor logs in with phone + SMS code (POST /api/v1/auth/donor/token) and the page calls the public API through the
same origin with that Bearer token. It shares console-api.js and console-dom.js with the console (served again under
/donor/assets/ so their relative imports stay on this page's paths and headers); only the names below are served.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, send_from_directory

from .console import STATIC_DIR

PAGE = "donor.html"
ASSETS = {                      # URL name → content type; nothing else under static/ is reachable here
    "donor.css": "text/css",
    "donor.js": "text/javascript",
    "donor-api.js": "text/javascript",
    "donor-claims.js": "text/javascript",
    "donor-photo.js": "text/javascript",
    "console-api.js": "text/javascript",
    "console-dom.js": "text/javascript",
}
ASSET_PREFIX = "/donor/assets/"

# As the console's, less its frame-src (the donor page frames nothing). img-src blob: is the preview of a photo
# just taken, before it is uploaded.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    # The photos come from <input type="file" capture>: the phone's own camera app takes them and hands the page
    # a file, which no Permissions-Policy governs. The page itself never opens the camera (no getUserMedia), so
    # camera stays denied like the rest.
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

bp = Blueprint("donor_page", __name__)


@bp.after_request
def _secure(response):
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.get("/donor/")
def donor_slash():
    return redirect("/donor", code=302)


@bp.get("/donor")
def donor():
    response = send_from_directory(STATIC_DIR, PAGE, mimetype="text/html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get(ASSET_PREFIX + "<name>")
def asset(name: str):
    mimetype = ASSETS.get(name)
    if mimetype is None:
        abort(404)
    # Revalidated on every load, as the console's: no yesterday's module against today's page.
    response = send_from_directory(STATIC_DIR, name, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
