"""Who may call what on the donor service (enforced before every view; deny by default)."""
from servicekit.authz import Matrix, PathOwner, allow

from .errors import DonorNotFound

# A donor only their own record: another donor's id answers the same 404 as an unknown one (nothing leaks).
OWN_DONOR = PathOwner("own_donor", role="donor", param="donor_id",
                      refusal=lambda: DonorNotFound())

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
