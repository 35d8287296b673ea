"""Who may call what (servicekit.authz): enforced before any view runs, deny by default.

Ownership hidden in stored rows is checked by the use cases: a claim's owner or region, a deduction's
hospital, a binding's region (404 for anyone else, so existence does not leak).
"""
from hemolink.access import OWN_REGION, OWN_RESOURCE, OWN_SITE
from servicekit.authz import PUBLIC, Matrix, allow

W = "/api/v1/waiver"

MATRIX = Matrix({
    ("GET", f"{W}/policies"): allow(PUBLIC),
    ("GET", "/api/v1/me/entitlements"): allow("donor", owner=OWN_RESOURCE),
    ("GET", f"{W}/entitlements"): allow("hospital", "reviewer"),
    ("POST", "/api/v1/me/family"): allow("donor", owner=OWN_RESOURCE),
    ("GET", "/api/v1/me/family"): allow("donor", owner=OWN_RESOURCE),
    ("GET", f"{W}/family"): allow("reviewer", owner=OWN_REGION),
    ("POST", f"{W}/family/{{binding_id}}/verify"): allow("reviewer", owner=OWN_REGION),
    ("POST", f"{W}/direct-deductions/preview"): allow("hospital", owner=OWN_SITE),
    ("POST", f"{W}/direct-deductions"): allow("hospital", owner=OWN_SITE),
    ("GET", f"{W}/direct-deductions/{{deduction_id}}"): allow("hospital", "reviewer", owner=(OWN_SITE, OWN_REGION)),
    ("POST", f"{W}/direct-deductions/{{deduction_id}}/reverse"): allow("hospital", owner=OWN_SITE),
    ("POST", f"{W}/claims"): allow("donor", "reviewer", owner=(OWN_RESOURCE, OWN_REGION)),
    ("GET", f"{W}/claims"): allow("reviewer", owner=OWN_REGION),
    ("GET", "/api/v1/me/claims"): allow("donor", owner=OWN_RESOURCE),
    ("GET", f"{W}/claims/{{claim_id}}"): allow("donor", "reviewer", owner=(OWN_RESOURCE, OWN_REGION)),
    ("POST", f"{W}/claims/{{claim_id}}/documents"): allow("donor", "reviewer", owner=(OWN_RESOURCE, OWN_REGION)),
    ("GET", f"{W}/claims/{{claim_id}}/documents/{{document_id}}"): allow("donor", "reviewer",
                                                                       owner=(OWN_RESOURCE, OWN_REGION)),
    ("POST", f"{W}/claims/{{claim_id}}/submit"): allow("donor", "reviewer", owner=(OWN_RESOURCE, OWN_REGION)),
    ("POST", f"{W}/claims/{{claim_id}}/approve"): allow("reviewer", owner=OWN_REGION),
    ("POST", f"{W}/claims/{{claim_id}}/reject"): allow("reviewer", owner=OWN_REGION),
    ("POST", f"{W}/claims/{{claim_id}}/pay"): allow("reviewer", owner=OWN_REGION),
    ("GET", f"{W}/settlements"): allow("hospital", "reviewer", "admin", owner=(OWN_SITE, OWN_REGION)),
    ("GET", f"{W}/stats"): allow("reviewer", "admin", owner=OWN_REGION),
    ("GET", f"{W}/stats/monthly"): allow("reviewer", "admin", owner=OWN_REGION),
})
