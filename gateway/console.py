"""The staff web console: one HTML page plus local JS/CSS, served under a strict Content-Security-Policy.

The page calls the public API through the same origin with the Bearer token it got from
POST /api/v1/auth/token; nothing here reads a token or a database. Assets live flat in gateway/static/
(the package data the distribution ships) and only the names below are served.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, request, send_from_directory

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = "console.html"
ASSETS = {                      # URL name → content type; nothing else under static/ is reachable here
    "console.css": "text/css",
    "console-api.js": "text/javascript",
    "console-chart.js": "text/javascript",      # #20 SVG charts
    "console-trends.js": "text/javascript",     # #20 statistics trends and the stock history
    "console-discharge.js": "text/javascript",
    "console-donation.js": "text/javascript",
    "console-drives.js": "text/javascript",
    "console-dom.js": "text/javascript",
    "console-family.js": "text/javascript",
    "console-hospital.js": "text/javascript",
    "console-inventory.js": "text/javascript",
    "console-coldchain.js": "text/javascript",
    "console-map.js": "text/javascript",
    "console-rare.js": "text/javascript",
    "console-safety.js": "text/javascript",     # #22 recalls and clinical approvals
    "console-stock.js": "text/javascript",
    "console-waiver.js": "text/javascript",
    "console-claim-entry.js": "text/javascript",   # #20 mail and on-site claims entered by reviewers
    "console.js": "text/javascript",
}
ASSET_PREFIX = "/console/assets/"

# No inline script or style, nothing from another origin, no framing, no plugins, forms stay on the page.
CSP_DIRECTIVES = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",      # blob: a claim document fetched with the token, shown inline
    "frame-src blob:",                 # the same for a PDF document
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(CSP_DIRECTIVES)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

bp = Blueprint("console", __name__)


@bp.before_app_request
def _no_bare_static():
    """Flask serves static/ at /static/ by itself; the console's files are only reachable with their headers."""
    if request.endpoint == "static":
        abort(404)


def serve_page(blueprint: Blueprint, *, url: str, page: str, assets: dict[str, str], asset_prefix: str,
               headers: dict[str, str]) -> None:
    """A page and its allow-listed assets on `blueprint`, every answer under `headers`, `url/` sent to `url`. All are
    revalidated on every load (304 when unchanged): after an upgrade no browser runs yesterday's modules against
    today's page or API."""
    def _fresh(name: str, mimetype: str):
        response = send_from_directory(STATIC_DIR, name, mimetype=mimetype, max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @blueprint.after_request
    def _secure(response):
        response.headers.update(headers)
        return response

    @blueprint.get(url + "/")
    def slash():
        return redirect(url, code=302)

    @blueprint.get(url)
    def show():
        return _fresh(page, "text/html")

    @blueprint.get(asset_prefix + "<name>")
    def asset(name: str):
        mimetype = assets.get(name)
        if mimetype is None:
            abort(404)
        return _fresh(name, mimetype)


@bp.get("/")
def root():
    return redirect("/console", code=302)


serve_page(bp, url="/console", page=PAGE, assets=ASSETS, asset_prefix=ASSET_PREFIX, headers=SECURITY_HEADERS)
