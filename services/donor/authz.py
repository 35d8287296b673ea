"""Who may call what on the donor service (enforced before every view; deny by default)."""
from servicekit.authz import PUBLIC, Matrix, PathOwner, allow

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
    ("GET", "/api/v1/me/appointments"): allow("donor"),
    ("POST", "/api/v1/me/appointments"): allow("donor"),
    ("POST", "/api/v1/me/appointments/{appointment_id}/cancel"): allow("donor"),   # another's: 404
    # Where to donate is public: the mini-program shows it before anyone signs in.
    ("GET", "/api/v1/donation-points"): allow(PUBLIC),
    ("GET", "/api/v1/donation-points/{point_id}"): allow(PUBLIC),
    ("GET", "/api/v1/prescreening"): allow(PUBLIC),
    ("POST", "/api/v1/donation-points"): allow("station"),
    ("POST", "/api/v1/donation-points/{point_id}/stops"): allow("station"),           # own points: 404 else
    ("GET", "/api/v1/donation-points/{point_id}/day-sheet"): allow("station"),        # own points: 404 else
    ("POST", "/api/v1/donation-points/{point_id}/appointments/{appointment_id}/no-show"): allow("station"),  # own: 404
    ("GET", "/api/v1/call-ups"): allow("station", "reviewer"),                         # their region's
    ("PUT", "/api/v1/donors/{donor_id}/rare-profile"): allow("station"),
    ("GET", "/api/v1/rare-donors"): allow("station"),                                  # their region's
    ("POST", "/api/v1/emergency-teams"): allow("station"),
    ("GET", "/api/v1/emergency-teams"): allow("station"),                              # their region's
    ("POST", "/api/v1/emergency-teams/{team_id}/members"): allow("station"),           # own team: 404 else
    ("POST", "/api/v1/rare-call-ups"): allow("station"),
    ("GET", "/api/v1/rare-call-ups"): allow("station"),                                # every region is told
    ("POST", "/api/v1/organisations"): allow("station"),
    ("GET", "/api/v1/organisations"): allow("station"),                                # their region's
    ("POST", "/api/v1/drives"): allow("station"),
    ("GET", "/api/v1/drives"): allow("station"),                                       # their region's
    ("GET", "/api/v1/drives/{drive_id}"): allow("station"),                            # own drives: 404 else
    ("POST", "/api/v1/drives/{drive_id}/roster"): allow("station"),                    # own drives: 404 else
    ("GET", "/api/v1/group-donation/stats"): allow("station", "reviewer"),             # their region's
    # #22: any station records a donor's report of illness after giving (donors give in several regions).
    ("POST", "/api/v1/donors/{donor_id}/post-donation-reports"): allow("station"),
})
