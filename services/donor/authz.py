"""Who may call what on the donor service (enforced before every view; deny by default)."""
from servicekit.authz import OWN_DONOR, Matrix, allow

MATRIX = Matrix({
    ("POST", "/api/v1/donors"): allow("station"),
    ("GET", "/api/v1/donors"): allow("station", "reviewer", "service"),
    ("GET", "/api/v1/donors/{donor_id}"): allow("station", "reviewer", "donor", owner=OWN_DONOR),
    ("POST", "/api/v1/donors/{donor_id}/donations"): allow("station"),
    ("GET", "/api/v1/donors/{donor_id}/donations"): allow("station", "reviewer", "donor", owner=OWN_DONOR),
    ("GET", "/api/v1/donors/{donor_id}/eligibility"): allow("station", "donor", owner=OWN_DONOR),
    ("GET", "/api/v1/donors/{donor_id}/awards"): allow("station", "donor", owner=OWN_DONOR),
    ("GET", "/api/v1/me"): allow("donor"),
    ("GET", "/api/v1/me/notifications"): allow("donor"),
})
