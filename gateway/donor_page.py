"""The donor page (H5): what the mini-program's web-view opens, served like the staff console under its own headers.

A donor logs in with phone + SMS code (POST /api/v1/auth/donor/token) and the page calls the public API through the
same origin with that Bearer token. It shares console-api.js and console-dom.js with the console (served again under
/donor/assets/ so their relative imports stay on this page's paths and headers); only the names below are served.
"""
from __future__ import annotations

from flask import Blueprint

from .console import CSP_DIRECTIVES, SECURITY_HEADERS as CONSOLE_HEADERS, serve_page

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
CONTENT_SECURITY_POLICY = "; ".join(d for d in CSP_DIRECTIVES if not d.startswith("frame-src"))
# The photos come from <input type="file" capture>: the phone's own camera app takes them and hands the page a file,
# which no Permissions-Policy governs. The page itself never opens the camera (no getUserMedia), so camera stays
# denied like the rest, as on the console.
SECURITY_HEADERS = {**CONSOLE_HEADERS, "Content-Security-Policy": CONTENT_SECURITY_POLICY}

bp = Blueprint("donor_page", __name__)
serve_page(bp, url="/donor", page=PAGE, assets=ASSETS, asset_prefix=ASSET_PREFIX, headers=SECURITY_HEADERS)
