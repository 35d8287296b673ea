"""Who may call what on the inventory service (enforced before every view; deny by default).

Ownership that only stored rows show (the unit's site, the transfer's stations, the unit's hospital, the
plan's region) is checked by the use case and answers 403 with nothing changed.
"""
from hemolink.access import OWN_REGION, OWN_RESOURCE, OWN_SITE, STAFF
from servicekit.authz import Matrix, allow

MATRIX = Matrix({
    ("POST", "/api/v1/sites"): allow("admin"),
    ("GET", "/api/v1/sites"): allow(*STAFF),
    # `service`: the gateway, reading a new site user's region from the site.
    ("GET", "/api/v1/sites/{site_id}"): allow(*STAFF, "service"),
    ("GET", "/api/v1/sites/{site_id}/demand"): allow(*STAFF),
    ("PUT", "/api/v1/sites/{site_id}/demand"): allow("admin", "station", owner=OWN_SITE),
    ("GET", "/api/v1/units"): allow(*STAFF),
    ("GET", "/api/v1/units/{unit_id}"): allow(*STAFF),
    ("POST", "/api/v1/units/{unit_id}/discard"): allow("station", owner=OWN_SITE),
    ("POST", "/api/v1/units/{unit_id}/process"): allow("station", owner=OWN_SITE),
    ("POST", "/api/v1/donations/{din}/test-result"): allow("station", owner=OWN_SITE),
    ("GET", "/api/v1/stock"): allow(*STAFF),
    ("GET", "/api/v1/stock/policy"): allow(*STAFF),
    # #20: the daily snapshots of the stock view, read as the stock view is.
    ("GET", "/api/v1/stock/history"): allow(*STAFF),
    ("GET", "/api/v1/stock/levels-history"): allow(*STAFF),
    # Planning collections and stock is the stations' and the region's dispatch's work; hospitals order stock.
    ("GET", "/api/v1/stock/expected-collections"): allow("station", "admin"),
    ("POST", "/api/v1/orders"): allow("hospital"),
    ("POST", "/api/v1/transfusions"): allow("hospital", owner=OWN_RESOURCE),
    ("POST", "/api/v1/transfers"): allow("station", owner=OWN_SITE),
    ("GET", "/api/v1/transfers"): allow(*STAFF),
    ("POST", "/api/v1/transfers/{transfer_id}/dispatch"): allow("station", owner=OWN_SITE),
    ("POST", "/api/v1/transfers/{transfer_id}/receive"): allow("station", owner=OWN_SITE),
    ("POST", "/api/v1/transfers/{transfer_id}/cancel"): allow("station", owner=OWN_SITE),
    ("POST", "/api/v1/rebalancing/plans"): allow("station", "admin", owner=OWN_REGION),
    ("GET", "/api/v1/rebalancing/plans/{plan_id}"): allow(*STAFF),
    # admin: the region's dispatch; a station only a plan of its region whose every move leaves its own site.
    ("POST", "/api/v1/rebalancing/plans/{plan_id}/approve"): allow("station", "admin", owner=(OWN_REGION, OWN_RESOURCE)),
    # Cold chain (#22): a station's stores and readings (its sensor gateway posts with a station account of the
    # site), its excursions and their decision; admin registers stores and reads every site's.
    ("POST", "/api/v1/cold-chain/locations"): allow("admin", "station", owner=OWN_SITE),
    ("GET", "/api/v1/cold-chain/locations"): allow("admin", "station"),
    ("POST", "/api/v1/cold-chain/locations/{location_id}/units"): allow("station", owner=OWN_SITE),
    ("POST", "/api/v1/cold-chain/readings"): allow("station", owner=OWN_SITE),
    ("GET", "/api/v1/cold-chain/excursions"): allow("admin", "station", owner=OWN_SITE),
    ("GET", "/api/v1/cold-chain/excursions/{excursion_id}"): allow("admin", "station", owner=OWN_SITE),
    ("POST", "/api/v1/cold-chain/excursions/{excursion_id}/decision"): allow("station", owner=OWN_SITE),
    ("GET", "/api/v1/cold-chain/stats"): allow("admin", "station", owner=OWN_SITE),
    # Reserves for major events (#22): set by a station for its own site or by admin; read as stock is.
    ("POST", "/api/v1/reserves"): allow("admin", "station", owner=OWN_SITE),
    ("GET", "/api/v1/reserves"): allow(*STAFF),
    ("DELETE", "/api/v1/reserves/{reserve_id}"): allow("admin", "station", owner=OWN_SITE),
    # #22 lookback and recall: stations and admin follow every recall (a donor's blood crosses regions); a hospital
    # sees only recalls that reached it, its own lines, and answers them.
    ("GET", "/api/v1/recalls"): allow("admin", "station", "hospital", owner=OWN_RESOURCE),
    ("GET", "/api/v1/recalls/stats"): allow("admin", "station"),
    ("GET", "/api/v1/recalls/{recall_id}"): allow("admin", "station", "hospital", owner=OWN_RESOURCE),
    ("POST", "/api/v1/recalls/{recall_id}/lines/{line_id}/answer"): allow("hospital", owner=OWN_RESOURCE),
    # #22 tiered clinical approval: a hospital its own orders; admin the report of emergencies owing approval.
    ("GET", "/api/v1/clinical-approvals"): allow("admin", "hospital", owner=OWN_SITE),
    ("POST", "/api/v1/orders/{order_id}/approval"): allow("hospital", owner=OWN_SITE),
})
