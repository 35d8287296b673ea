"""Who may call what, transcribed by hand from the "who" column of docs/api.md.

This table is deliberately independent of the services' own matrices (services/*/authz.py): the
authorisation walk compares what the services *do* with what the contract *says*, so a wrong matrix
entry fails the walk instead of defining what it expects. Do not generate it from the matrices.

Reading docs/api.md: "staff" = admin, station, hospital, reviewer; "anyone" = public (no token needed);
"the donor" / "owner" / "own" = a role allowed only on its own things, which `own` records per role
(the ownership walk in test_ownership_walk.py tries each of them with someone else's).

Routes the services publish beyond docs/api.md are marked `# added:` with why their roles were chosen;
roles or ownership that docs/api.md does not spell out are marked `# judged:`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ADMIN, STATION, HOSPITAL, REVIEWER, DONOR = "admin", "station", "hospital", "reviewer", "donor"
# Internal role: the gateway signs it for its own calls to services and never issues it to people.
# docs/api.md does not list it; a service token is walked like any other role and is allowed only where
# the gateway needs it.
SERVICE = "service"
ROLES = (ADMIN, STATION, HOSPITAL, REVIEWER, DONOR, SERVICE)     # every role a token may carry
STAFF = (ADMIN, STATION, HOSPITAL, REVIEWER)

# What "own" means for a role on a route.
OWN_DONOR = "own donor"          # the donor named by the path, or the token's donor on /me routes
OWN_STATION = "own station"      # the station's own site (the unit it holds, the transfer's from/to site ...)
OWN_HOSPITAL = "own hospital"    # the hospital's own site (units issued to it, its deductions, its settlement)
OWN_REGION = "own region"        # the reviewer's (or station's) region


@dataclass(frozen=True)
class Access:
    roles: frozenset[str]
    public: bool = False
    own: dict[str, str] = field(default_factory=dict)   # role → ownership rule narrowing that role

    def allows(self, role: str) -> bool:
        return self.public or role in self.roles


def anyone() -> Access:
    return Access(frozenset(ROLES), public=True)


def only(*roles: str, **own: str) -> Access:
    unknown = set(own) - set(roles)
    assert not unknown, f"ownership for roles that are not allowed: {unknown}"
    return Access(frozenset(roles), own=dict(own))


def template(path: str) -> str:
    """Path parameters' names are not part of the contract: `/donors/{id}` == `/donors/{donor_id}`."""
    return re.sub(r"\{[^}]+\}", "{}", path)


EXPECTED: dict[str, dict[tuple[str, str], Access]] = {
    "donor": {
        ("POST", "/api/v1/donors"): only(STATION),
        # judged: + service — the gateway's donor login looks the phone up here with a 60 s service token
        ("GET", "/api/v1/donors"): only(STATION, REVIEWER, SERVICE),
        ("GET", "/api/v1/donors/{donor_id}"): only(STATION, REVIEWER, DONOR, donor=OWN_DONOR),
        ("POST", "/api/v1/donors/{donor_id}/donations"): only(STATION),
        ("GET", "/api/v1/donors/{donor_id}/donations"): only(STATION, REVIEWER, DONOR, donor=OWN_DONOR),
        ("GET", "/api/v1/donors/{donor_id}/eligibility"): only(STATION, DONOR, donor=OWN_DONOR),
        ("GET", "/api/v1/donors/{donor_id}/awards"): only(STATION, DONOR, donor=OWN_DONOR),
        ("GET", "/api/v1/me"): only(DONOR, donor=OWN_DONOR),
        ("GET", "/api/v1/me/notifications"): only(DONOR, donor=OWN_DONOR),
        # added (#21, docs/api-notes.md): a donor books, lists and cancels their own appointments
        ("GET", "/api/v1/me/appointments"): only(DONOR, donor=OWN_DONOR),
        ("POST", "/api/v1/me/appointments"): only(DONOR, donor=OWN_DONOR),
        ("POST", "/api/v1/me/appointments/{appointment_id}/cancel"): only(DONOR, donor=OWN_DONOR),
        # added: where and when to donate is public (the mini-program shows it before sign-in), as the questionnaire
        ("GET", "/api/v1/donation-points"): anyone(),
        ("GET", "/api/v1/donation-points/{point_id}"): anyone(),
        ("GET", "/api/v1/prescreening"): anyone(),
        # added: a station registers the points it runs, schedules its vehicles and reads its day sheets
        ("POST", "/api/v1/donation-points"): only(STATION),
        ("POST", "/api/v1/donation-points/{point_id}/stops"): only(STATION, station=OWN_STATION),
        ("GET", "/api/v1/donation-points/{point_id}/day-sheet"): only(STATION, station=OWN_STATION),
        # added (#21): the station records, at its own point's day sheet, a donor who did not come
        ("POST", "/api/v1/donation-points/{point_id}/appointments/{appointment_id}/no-show"): only(
            STATION, station=OWN_STATION),
        # added: what a region's shortage call-ups achieved, for its stations and waiver office
        ("GET", "/api/v1/call-ups"): only(STATION, REVIEWER, station=OWN_REGION, reviewer=OWN_REGION),
        # added (#21): a station records rare phenotypes (any station: donors give in several regions), keeps
        # its region's registry and emergency teams, and calls every region's rare donors; every station sees calls
        ("PUT", "/api/v1/donors/{donor_id}/rare-profile"): only(STATION),
        ("GET", "/api/v1/rare-donors"): only(STATION, station=OWN_REGION),
        ("POST", "/api/v1/emergency-teams"): only(STATION),
        ("GET", "/api/v1/emergency-teams"): only(STATION, station=OWN_REGION),
        ("POST", "/api/v1/emergency-teams/{team_id}/members"): only(STATION, station=OWN_STATION),
        ("POST", "/api/v1/rare-call-ups"): only(STATION),
        ("GET", "/api/v1/rare-call-ups"): only(STATION),
        # added (#21): group donation — a station's organisations, drives and rosters; the year's figures
        ("POST", "/api/v1/organisations"): only(STATION),
        ("GET", "/api/v1/organisations"): only(STATION, station=OWN_REGION),
        ("POST", "/api/v1/drives"): only(STATION),
        ("GET", "/api/v1/drives"): only(STATION, station=OWN_REGION),
        ("GET", "/api/v1/drives/{drive_id}"): only(STATION, station=OWN_STATION),
        ("POST", "/api/v1/drives/{drive_id}/roster"): only(STATION, station=OWN_STATION),
        ("GET", "/api/v1/group-donation/stats"): only(STATION, REVIEWER, station=OWN_REGION, reviewer=OWN_REGION),
        # added (#22): any station records a donor's report of illness after giving (donors give in several regions)
        ("POST", "/api/v1/donors/{donor_id}/post-donation-reports"): only(STATION),
    },
    "inventory": {
        ("POST", "/api/v1/sites"): only(ADMIN),
        ("GET", "/api/v1/sites"): only(*STAFF),
        # added: one site, as the list shows it to staff; + service — the gateway reads a new site user's region
        ("GET", "/api/v1/sites/{site_id}"): only(*STAFF, SERVICE),
        # added: reading the baseline demand is planning data like stock and days of supply, which all staff read
        ("GET", "/api/v1/sites/{site_id}/demand"): only(*STAFF),
        # "station of that site"; the service also lets the station supplying a hospital set that hospital's demand
        ("PUT", "/api/v1/sites/{site_id}/demand"): only(ADMIN, STATION, station=OWN_STATION),
        # judged: hospital=own — docs/api.md says staff; the service narrows hospitals to units at or issued to them
        ("GET", "/api/v1/units"): only(*STAFF, hospital=OWN_HOSPITAL),
        ("GET", "/api/v1/units/{unit_id}"): only(*STAFF, hospital=OWN_HOSPITAL),
        # judged: station=own — a station discards / releases only what it holds or collected (docs/api.md: "someone
        # else's resource 403")
        ("POST", "/api/v1/units/{unit_id}/discard"): only(STATION, station=OWN_STATION),
        # added: washing / refreezing, like a discard, only by the station holding the bag
        ("POST", "/api/v1/units/{unit_id}/process"): only(STATION, station=OWN_STATION),
        ("POST", "/api/v1/donations/{din}/test-result"): only(STATION, station=OWN_STATION),
        ("GET", "/api/v1/stock"): only(*STAFF),
        # added: the thresholds behind the levels that GET /stock shows every staff role
        ("GET", "/api/v1/stock/policy"): only(*STAFF),
        ("GET", "/api/v1/stock/history"): only(*STAFF),                # #20, as docs/api.md says: as /stock
        ("GET", "/api/v1/stock/levels-history"): only(*STAFF),
        # added: collections expected from appointments and drives plan a station's stock (stations, the region's
        # dispatch); hospitals order stock and have no use for the donors' bookings
        ("GET", "/api/v1/stock/expected-collections"): only(STATION, ADMIN),
        ("POST", "/api/v1/orders"): only(HOSPITAL),            # the order is always the token's own site's
        ("POST", "/api/v1/transfusions"): only(HOSPITAL, hospital=OWN_HOSPITAL),   # unit issued to this hospital
        # judged: station=own — a station requests transfers from or to itself only
        ("POST", "/api/v1/transfers"): only(STATION, station=OWN_STATION),
        ("GET", "/api/v1/transfers"): only(*STAFF),
        ("POST", "/api/v1/transfers/{transfer_id}/dispatch"): only(STATION, station=OWN_STATION),   # from_site
        ("POST", "/api/v1/transfers/{transfer_id}/receive"): only(STATION, station=OWN_STATION),    # to_site
        ("POST", "/api/v1/transfers/{transfer_id}/cancel"): only(STATION, station=OWN_STATION),     # either station
        # judged: station=own region — a station plans for its region; admin for any or all
        ("POST", "/api/v1/rebalancing/plans"): only(STATION, ADMIN, station=OWN_REGION),
        # added: a plan is derived from stock, sites and transfers that every staff role already reads
        ("GET", "/api/v1/rebalancing/plans/{plan_id}"): only(*STAFF),
        # "admin (the region's dispatch); a station only for a plan whose moves all leave its own site"
        ("POST", "/api/v1/rebalancing/plans/{plan_id}/approve"): only(STATION, ADMIN, station=OWN_STATION),
        # added (#22, docs/api-notes.md "Cold chain"): a station's stores, readings (its sensor gateway posts with a
        # station account of the site), excursions and their decision; admin registers stores and reads them all
        ("POST", "/api/v1/cold-chain/locations"): only(ADMIN, STATION, station=OWN_STATION),
        ("GET", "/api/v1/cold-chain/locations"): only(ADMIN, STATION),
        ("POST", "/api/v1/cold-chain/locations/{location_id}/units"): only(STATION, station=OWN_STATION),
        ("POST", "/api/v1/cold-chain/readings"): only(STATION, station=OWN_STATION),
        ("GET", "/api/v1/cold-chain/excursions"): only(ADMIN, STATION, station=OWN_STATION),
        ("GET", "/api/v1/cold-chain/excursions/{excursion_id}"): only(ADMIN, STATION, station=OWN_STATION),
        ("POST", "/api/v1/cold-chain/excursions/{excursion_id}/decision"): only(STATION, station=OWN_STATION),
        ("GET", "/api/v1/cold-chain/stats"): only(ADMIN, STATION, station=OWN_STATION),
        # added (#22): reserves for major events, set by a station for its own site (or admin), read as stock is
        ("POST", "/api/v1/reserves"): only(ADMIN, STATION, station=OWN_STATION),
        ("GET", "/api/v1/reserves"): only(*STAFF),
        ("DELETE", "/api/v1/reserves/{reserve_id}"): only(ADMIN, STATION, station=OWN_STATION),
        # added (#22): lookback recalls — stations and admin follow every recall (a donor's blood crosses regions);
        # a hospital sees only recalls that reached it, only its own lines, and answers those
        ("GET", "/api/v1/recalls"): only(ADMIN, STATION, HOSPITAL, hospital=OWN_HOSPITAL),
        ("GET", "/api/v1/recalls/stats"): only(ADMIN, STATION),
        ("GET", "/api/v1/recalls/{recall_id}"): only(ADMIN, STATION, HOSPITAL, hospital=OWN_HOSPITAL),
        ("POST", "/api/v1/recalls/{recall_id}/lines/{line_id}/answer"): only(HOSPITAL, hospital=OWN_HOSPITAL),
        # added (#22): tiered clinical approval — a hospital its own orders; admin reads every hospital's owed list
        ("GET", "/api/v1/clinical-approvals"): only(ADMIN, HOSPITAL, hospital=OWN_HOSPITAL),
        ("POST", "/api/v1/orders/{order_id}/approval"): only(HOSPITAL, hospital=OWN_HOSPITAL),
    },
    "waiver": {
        ("GET", "/api/v1/waiver/policies"): anyone(),
        ("GET", "/api/v1/me/entitlements"): only(DONOR, donor=OWN_DONOR),
        ("GET", "/api/v1/waiver/entitlements"): only(HOSPITAL, REVIEWER),
        ("POST", "/api/v1/me/family"): only(DONOR, donor=OWN_DONOR),
        ("GET", "/api/v1/me/family"): only(DONOR, donor=OWN_DONOR),
        # added: the reviewers' queue for the reviewer-only verify below; bindings name relatives, so own region
        ("GET", "/api/v1/waiver/family"): only(REVIEWER, reviewer=OWN_REGION),
        # judged: reviewer=own region — reviewers of the donor's region verify (a binding is someone else's otherwise)
        ("POST", "/api/v1/waiver/family/{binding_id}/verify"): only(REVIEWER, reviewer=OWN_REGION),
        ("POST", "/api/v1/waiver/direct-deductions/preview"): only(HOSPITAL),     # always as the token's site
        ("POST", "/api/v1/waiver/direct-deductions"): only(HOSPITAL),             # always as the token's site
        # added: the hospital that applied it reads it back; reviewers of its region audit it (admin has settlements)
        ("GET", "/api/v1/waiver/direct-deductions/{deduction_id}"): only(HOSPITAL, REVIEWER, hospital=OWN_HOSPITAL,
                                                                         reviewer=OWN_REGION),
        # judged: hospital=own — the hospital that applied the deduction reverses it
        ("POST", "/api/v1/waiver/direct-deductions/{deduction_id}/reverse"): only(HOSPITAL, hospital=OWN_HOSPITAL),
        # donor: channel mini_program for their own pools; reviewer: mail / on_site, the claim lands in their region
        ("POST", "/api/v1/waiver/claims"): only(DONOR, REVIEWER, donor=OWN_DONOR, reviewer=OWN_REGION),
        ("POST", "/api/v1/waiver/claims/{claim_id}/documents"): only(DONOR, REVIEWER, donor=OWN_DONOR,
                                                                     reviewer=OWN_REGION),
        # added: a claim's documents opened again, by whoever may see the claim (the owner, its regions' reviewers)
        ("GET", "/api/v1/waiver/claims/{claim_id}/documents/{document_id}"): only(DONOR, REVIEWER, donor=OWN_DONOR,
                                                                                  reviewer=OWN_REGION),
        ("POST", "/api/v1/waiver/claims/{claim_id}/submit"): only(DONOR, REVIEWER, donor=OWN_DONOR,
                                                                  reviewer=OWN_REGION),
        ("POST", "/api/v1/waiver/claims/{claim_id}/approve"): only(REVIEWER, reviewer=OWN_REGION),
        ("POST", "/api/v1/waiver/claims/{claim_id}/reject"): only(REVIEWER, reviewer=OWN_REGION),
        ("POST", "/api/v1/waiver/claims/{claim_id}/pay"): only(REVIEWER, reviewer=OWN_REGION),
        ("GET", "/api/v1/waiver/claims"): only(REVIEWER, reviewer=OWN_REGION),            # "(their region)"
        # judged: donor only — docs/api.md's row "GET /me/claims, GET /waiver/claims/{id} | owner, reviewer" names two
        # routes; a reviewer has no "my claims" (they read claims through /waiver/claims and /waiver/claims/{id})
        ("GET", "/api/v1/me/claims"): only(DONOR, donor=OWN_DONOR),
        ("GET", "/api/v1/waiver/claims/{claim_id}"): only(DONOR, REVIEWER, donor=OWN_DONOR, reviewer=OWN_REGION),
        # judged: reviewer=own region — the service shows a reviewer only deductions of hospitals in their region
        ("GET", "/api/v1/waiver/settlements"): only(HOSPITAL, REVIEWER, ADMIN, hospital=OWN_HOSPITAL,
                                                    reviewer=OWN_REGION),
        ("GET", "/api/v1/waiver/stats"): only(REVIEWER, ADMIN, reviewer=OWN_REGION),
        ("GET", "/api/v1/waiver/stats/monthly"): only(REVIEWER, ADMIN, reviewer=OWN_REGION),
    },
}

# Not here: the gateway's own routes of docs/api.md (health, auth/token, users, donor OTP and token). They are not
# in any service's OpenAPI; tests/gateway covers them (e.g. test_accounts: only admin creates users).
