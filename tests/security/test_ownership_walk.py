"""The ownership walk: for every route whose expected rule (expected_access.py) narrows a role to its own
things, a caller with the right role but the wrong owner — another donor, the station or hospital of another
site, the reviewer of another region — is refused (403/404, nothing changed) or sees filtered output. Each
case also lets the right owner through, so a refusal proves ownership, not a broken set-up.

Rows are stored through the service's own API; facts that only ever arrive by event (donors and donations in
the waiver ledger, units from a recorded donation, donor notifications) go through the consumer's use cases.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import pytest

from tests.helpers import auth, make_national_id
from tests.security.expected_access import DONOR, EXPECTED, HOSPITAL, REVIEWER, STATION
from tests.security.worlds import O_POS_1U, DonorWorld, InventoryWorld, WaiverWorld

REFUSED = (403, 404)


@dataclass(frozen=True)
class Case:
    service: str
    method: str
    path: str
    role: str
    wrong_owner: str
    run: Callable

    def __str__(self):
        return f"{self.service} {self.method} {self.path} {self.role}: {self.wrong_owner}"


CASES: list[Case] = []


def case(service, method, path, role, wrong_owner):
    def register(fn):
        CASES.append(Case(service, method, path, role, wrong_owner, fn))
        return fn
    return register


def refused(world, method, url, headers, **kwargs):
    """The request is refused as not this caller's (403 or 404) and every table is as it was."""
    before = world.snapshot()
    resp = world.call(method, url, headers, **kwargs)
    assert resp.status_code in REFUSED, (method, url, resp.status_code, resp.get_json(silent=True))
    assert world.snapshot() == before, "a refused request changed stored state"
    return resp


def let_through(world, method, url, headers, **kwargs):
    """The right owner is not refused as someone else (the request may still fail for other reasons)."""
    resp = world.call(method, url, headers, **kwargs)
    assert resp.status_code not in (401, *REFUSED), (method, url, resp.status_code, resp.get_json(silent=True))
    return resp


# ---- donor service: a donor reaches only their own record ------------------------------------------------------
DONOR_READS = {
    "/api/v1/donors/{donor_id}": "",
    "/api/v1/donors/{donor_id}/donations": "",
    "/api/v1/donors/{donor_id}/eligibility": "?kind=whole_blood",
    "/api/v1/donors/{donor_id}/awards": "",
}


def _donor_read(path, query):
    def run(w: DonorWorld):
        mine, other = w.donor(), w.donor()
        refused(w, "GET", path.format(donor_id=other) + query, w.as_donor(mine))
        assert let_through(w, "GET", path.format(donor_id=mine) + query, w.as_donor(mine)).status_code == 200
    return run


for _path, _query in DONOR_READS.items():
    case("donor", "GET", _path, DONOR, "another donor's id in the path")(_donor_read(_path, _query))


@case("donor", "GET", "/api/v1/me", DONOR, "the profile is the token's donor, whoever else exists")
def _(w: DonorWorld):
    mine, other = w.donor(), w.donor()
    assert w.ok("GET", "/api/v1/me", w.as_donor(mine))["id"] == mine
    assert w.ok("GET", "/api/v1/me", w.as_donor(other))["id"] == other


@case("donor", "GET", "/api/v1/me/notifications", DONOR, "another donor's notifications are not listed")
def _(w: DonorWorld):
    mine, other = w.donor(), w.donor()
    w.notify_unit_used(other)
    assert [n["kind"] for n in w.ok("GET", "/api/v1/me/notifications", w.as_donor(other))] == ["unit_used"]
    assert w.ok("GET", "/api/v1/me/notifications", w.as_donor(mine)) == []


def _point(w: DonorWorld, kind="house", station=None) -> str:
    """A point of SH-S01 (a house open every day, or a vehicle), registered through the API."""
    body = {"name": "人民广场献血屋", "kind": kind, "address": "上海市黄浦区", "lat": 31.23, "lon": 121.47,
            "capacity": {"whole_blood": 2}}
    if kind == "house":
        body["hours"] = {str(d): [["08:00", "20:00"]] for d in range(1, 8)}
    return w.ok("POST", "/api/v1/donation-points", station or w.STATION, json=body)["id"]


def _booking(w: DonorWorld, donor_id: str, point_id: str) -> dict:
    from datetime import time, timedelta

    from donor.model import SHANGHAI, shanghai_day
    from donor.prescreen import QUESTIONS

    day = shanghai_day(datetime.now(timezone.utc)) + timedelta(days=1)
    body = {"point_id": point_id, "kind": "whole_blood", "starts_at": datetime.combine(day, time(9), SHANGHAI).isoformat(),
            "answers": {q.code: not q.defers_if for q in QUESTIONS}}
    return w.ok("POST", "/api/v1/me/appointments", w.as_donor(donor_id), json=body)


OTHER_STATION = auth("station", site_id="SH-S02", region="SH")


@case("donor", "GET", "/api/v1/me/appointments", DONOR, "another donor's appointments are not listed")
def _(w: DonorWorld):
    mine, other = w.donor(), w.donor()
    _booking(w, other, _point(w))
    assert w.ok("GET", "/api/v1/me/appointments", w.as_donor(mine)) == []
    assert len(w.ok("GET", "/api/v1/me/appointments", w.as_donor(other))) == 1


@case("donor", "POST", "/api/v1/me/appointments", DONOR, "a booking is always the token's donor's")
def _(w: DonorWorld):
    mine, other = w.donor(), w.donor()
    _booking(w, mine, _point(w))
    assert w.ok("GET", "/api/v1/me/appointments", w.as_donor(other)) == []


@case("donor", "POST", "/api/v1/me/appointments/{appointment_id}/cancel", DONOR, "another donor's appointment")
def _(w: DonorWorld):
    mine, other = w.donor(), w.donor()
    theirs = _booking(w, other, _point(w))["id"]
    refused(w, "POST", f"/api/v1/me/appointments/{theirs}/cancel", w.as_donor(mine))
    assert let_through(w, "POST", f"/api/v1/me/appointments/{theirs}/cancel", w.as_donor(other)).status_code == 200


@case("donor", "POST", "/api/v1/donation-points/{point_id}/stops", STATION, "the station of another site")
def _(w: DonorWorld):
    vehicle = _point(w, kind="vehicle")
    stop = {"day": "2030-01-02", "address": "复旦大学", "lat": 31.3, "lon": 121.5, "opens": "10:00", "closes": "15:00"}
    refused(w, "POST", f"/api/v1/donation-points/{vehicle}/stops", OTHER_STATION, json=stop)
    assert let_through(w, "POST", f"/api/v1/donation-points/{vehicle}/stops", w.STATION, json=stop).status_code == 201


@case("donor", "GET", "/api/v1/donation-points/{point_id}/day-sheet", STATION, "the station of another site")
def _(w: DonorWorld):
    point = _point(w)
    _booking(w, w.donor(), point)
    refused(w, "GET", f"/api/v1/donation-points/{point}/day-sheet", OTHER_STATION)
    assert let_through(w, "GET", f"/api/v1/donation-points/{point}/day-sheet", w.STATION).status_code == 200


@case("donor", "POST", "/api/v1/donation-points/{point_id}/appointments/{appointment_id}/no-show", STATION,
      "the station of another site")
def _(w: DonorWorld):
    point = _point(w)
    booked = _booking(w, w.donor(), point)["id"]
    url = f"/api/v1/donation-points/{point}/appointments/{booked}/no-show"
    refused(w, "POST", url, OTHER_STATION)
    # the owner is heard: 409, tomorrow's slot has not started yet
    assert let_through(w, "POST", url, w.STATION).status_code == 409


def _call_up(w: DonorWorld, region: str) -> None:
    from donor.notifier import Notifier
    from donor.services.notifications import call_up_for_shortage
    from donor.unit_of_work import DonorUnitOfWork

    call_up_for_shortage(DonorUnitOfWork(w.session_factory), Notifier(), region=region, site_id=f"{region}-S01",
                         component="red_cells", abo="O", rhd="pos", level="red", previous_level="green")


@case("donor", "GET", "/api/v1/call-ups", STATION, "another region's call-ups are not listed")
def _(w: DonorWorld):
    _call_up(w, "JS")
    assert w.ok("GET", "/api/v1/call-ups", w.STATION) == []
    assert len(w.ok("GET", "/api/v1/call-ups", auth("station", site_id="JS-S01", region="JS"))) == 1


@case("donor", "GET", "/api/v1/call-ups", REVIEWER, "another region's call-ups are not listed")
def _(w: DonorWorld):
    _call_up(w, "ZJ")
    assert w.ok("GET", "/api/v1/call-ups", auth("reviewer", region="SH")) == []
    assert len(w.ok("GET", "/api/v1/call-ups", auth("reviewer", region="ZJ"))) == 1


JS_STATION = auth("station", site_id="JS-S01", region="JS")


@case("donor", "GET", "/api/v1/rare-donors", STATION, "another region's rare donors are not listed")
def _(w: DonorWorld):
    theirs = w.ok("POST", "/api/v1/donors", JS_STATION, json={
        "name": "稀有", "national_id": make_national_id(birth="19910101", region="320102", seq=77),
        "phone": "13912345678", "abo": "O", "rhd": "neg"})["id"]
    assert theirs not in {r["donor_id"] for r in w.ok("GET", "/api/v1/rare-donors", w.STATION)}
    assert theirs in {r["donor_id"] for r in w.ok("GET", "/api/v1/rare-donors", JS_STATION)}


@case("donor", "GET", "/api/v1/emergency-teams", STATION, "another region's teams are not listed")
def _(w: DonorWorld):
    team = w.ok("POST", "/api/v1/emergency-teams", JS_STATION, json={"name": "南京应急献血队"})["id"]
    assert team not in {t["id"] for t in w.ok("GET", "/api/v1/emergency-teams", w.STATION)}
    assert team in {t["id"] for t in w.ok("GET", "/api/v1/emergency-teams", JS_STATION)}


@case("donor", "POST", "/api/v1/emergency-teams/{team_id}/members", STATION, "another station's team")
def _(w: DonorWorld):
    team = w.ok("POST", "/api/v1/emergency-teams", w.STATION, json={"name": "黄浦区应急献血队"})["id"]
    donor = w.donor()
    refused(w, "POST", f"/api/v1/emergency-teams/{team}/members", OTHER_STATION, json={"donor_id": donor})
    assert let_through(w, "POST", f"/api/v1/emergency-teams/{team}/members", w.STATION,
                       json={"donor_id": donor}).status_code == 200


def _drive(w: DonorWorld, station) -> str:
    org = w.ok("POST", "/api/v1/organisations", station, json={"name": "某大学", "kind": "university"})["id"]
    return w.ok("POST", "/api/v1/drives", station, json={"organisation_id": org, "day": "2030-01-02",
                                                          "target_donors": 10})["id"]


@case("donor", "GET", "/api/v1/organisations", STATION, "another region's organisations are not listed")
def _(w: DonorWorld):
    _drive(w, JS_STATION)
    assert w.ok("GET", "/api/v1/organisations", w.STATION) == []
    assert len(w.ok("GET", "/api/v1/organisations", JS_STATION)) == 1


@case("donor", "GET", "/api/v1/drives", STATION, "another region's drives are not listed")
def _(w: DonorWorld):
    _drive(w, JS_STATION)
    assert w.ok("GET", "/api/v1/drives?since=2029-01-01", w.STATION) == []
    assert len(w.ok("GET", "/api/v1/drives?since=2029-01-01", JS_STATION)) == 1


@case("donor", "GET", "/api/v1/drives/{drive_id}", STATION, "another station's drive")
def _(w: DonorWorld):
    drive = _drive(w, w.STATION)
    refused(w, "GET", f"/api/v1/drives/{drive}", OTHER_STATION)
    assert let_through(w, "GET", f"/api/v1/drives/{drive}", w.STATION).status_code == 200


@case("donor", "POST", "/api/v1/drives/{drive_id}/roster", STATION, "another station's drive")
def _(w: DonorWorld):
    drive, donor = _drive(w, w.STATION), w.donor()
    refused(w, "POST", f"/api/v1/drives/{drive}/roster", OTHER_STATION, json={"donor_ids": [donor]})
    assert let_through(w, "POST", f"/api/v1/drives/{drive}/roster", w.STATION,
                       json={"donor_ids": [donor]}).status_code == 200


@case("donor", "GET", "/api/v1/group-donation/stats", STATION, "another region's figures")
def _(w: DonorWorld):
    assert w.ok("GET", "/api/v1/group-donation/stats?year=2030", w.STATION)["region"] == "SH"
    assert w.ok("GET", "/api/v1/group-donation/stats?year=2030", JS_STATION)["region"] == "JS"


@case("donor", "GET", "/api/v1/group-donation/stats", REVIEWER, "another region's figures")
def _(w: DonorWorld):
    assert w.ok("GET", "/api/v1/group-donation/stats?year=2030", auth("reviewer", region="ZJ"))["region"] == "ZJ"


# ---- inventory service: stations and hospitals act on their own site, stations plan for their region -----------
@case("inventory", "PUT", "/api/v1/sites/{site_id}/demand", STATION, "the station of another site")
def _(w: InventoryWorld):
    body = {"lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units_per_day": 3}]}
    refused(w, "PUT", "/api/v1/sites/SH-S1/demand", w.site("SH-S2"), json=body)
    refused(w, "PUT", "/api/v1/sites/SH-H1/demand", w.site("SH-S2"), json=body)   # a hospital SH-S2 does not supply
    assert w.ok("GET", "/api/v1/sites/SH-S1/demand", w.ADMIN)["lines"] == []
    assert let_through(w, "PUT", "/api/v1/sites/SH-S1/demand", w.site("SH-S1"), json=body).status_code == 200


@case("inventory", "GET", "/api/v1/units", HOSPITAL, "units of another site are neither listed nor askable")
def _(w: InventoryWorld):
    mine = w.issued_unit("SH-H1")
    w.issued_unit("SH-H2")
    w.donation("SH-S1")
    refused(w, "GET", "/api/v1/units?site_id=SH-S1", w.site("SH-H1"))
    refused(w, "GET", "/api/v1/units?site_id=SH-H2", w.site("SH-H1"))
    assert [u["id"] for u in w.ok("GET", "/api/v1/units", w.site("SH-H1"))] == [mine]


@case("inventory", "GET", "/api/v1/units/{unit_id}", HOSPITAL, "a unit issued to another hospital")
def _(w: InventoryWorld):
    theirs, mine = w.issued_unit("SH-H2"), w.issued_unit("SH-H1")
    refused(w, "GET", f"/api/v1/units/{theirs}", w.site("SH-H1"))
    refused(w, "GET", f"/api/v1/units/{w.red_cell_unit('SH-S1')}", w.site("SH-H1"))    # still at the station
    assert let_through(w, "GET", f"/api/v1/units/{mine}", w.site("SH-H1")).status_code == 200


@case("inventory", "POST", "/api/v1/units/{unit_id}/discard", STATION, "the station of another site")
def _(w: InventoryWorld):
    unit = w.red_cell_unit("SH-S1")
    refused(w, "POST", f"/api/v1/units/{unit}/discard", w.site("SH-S2"), json={"reason": "破损"})
    assert w.unit(unit)["status"] == "available"
    assert let_through(w, "POST", f"/api/v1/units/{unit}/discard", w.site("SH-S1"),
                       json={"reason": "破损"}).get_json()["status"] == "discarded"


@case("inventory", "POST", "/api/v1/units/{unit_id}/process", STATION, "the station of another site")
def _(w: InventoryWorld):
    unit = w.red_cell_unit("SH-S1")
    refused(w, "POST", f"/api/v1/units/{unit}/process", w.site("SH-S2"), json={"into": "washed_red_cells"})
    assert w.unit(unit)["component"] == "red_cells"
    assert let_through(w, "POST", f"/api/v1/units/{unit}/process", w.site("SH-S1"),
                       json={"into": "washed_red_cells"}).get_json()["component"] == "washed_red_cells"


@case("inventory", "POST", "/api/v1/donations/{din}/test-result", STATION, "a station that did not collect it")
def _(w: InventoryWorld):
    din, unit_ids = w.donation("SH-S1", release=False)
    refused(w, "POST", f"/api/v1/donations/{din}/test-result", w.site("SH-S2"), json={"qualified": True})
    assert {w.unit(u)["status"] for u in unit_ids} == {"quarantined"}
    assert let_through(w, "POST", f"/api/v1/donations/{din}/test-result", w.site("SH-S1"),
                       json={"qualified": True}).status_code == 200


@case("inventory", "POST", "/api/v1/transfusions", HOSPITAL, "a unit issued to another hospital")
def _(w: InventoryWorld):
    unit = w.issued_unit("SH-H1")
    body = {"unit_id": unit, "patient_national_id": make_national_id(seq=7), "patient_name": "王五",
            "transfused_at": datetime.now(timezone.utc).isoformat()}
    refused(w, "POST", "/api/v1/transfusions", w.site("SH-H2"), json=body)
    assert w.unit(unit)["status"] == "issued"
    assert let_through(w, "POST", "/api/v1/transfusions", w.site("SH-H1"), json=body).status_code == 201


@case("inventory", "POST", "/api/v1/transfers", STATION, "a station that is neither from_site nor to_site")
def _(w: InventoryWorld):
    body = {"from_site": "SH-S1", "to_site": "JS-S1", "lines": O_POS_1U, "reason": "走查"}
    refused(w, "POST", "/api/v1/transfers", w.site("SH-S2"), json=body)
    assert let_through(w, "POST", "/api/v1/transfers", w.site("JS-S1"), json=body).status_code == 201


@case("inventory", "POST", "/api/v1/transfers/{transfer_id}/dispatch", STATION, "to_site or a third station")
def _(w: InventoryWorld):
    w.donation("SH-S1")
    transfer = w.transfer("SH-S1", "SH-S2")
    for other in ("SH-S2", "JS-S1"):
        refused(w, "POST", f"/api/v1/transfers/{transfer}/dispatch", w.site(other))
    assert let_through(w, "POST", f"/api/v1/transfers/{transfer}/dispatch",
                       w.site("SH-S1")).get_json()["status"] == "in_transit"


@case("inventory", "POST", "/api/v1/transfers/{transfer_id}/receive", STATION, "from_site or a third station")
def _(w: InventoryWorld):
    transfer = w.transfer("SH-S1", "SH-S2", dispatched=True)
    for other in ("SH-S1", "JS-S1"):
        refused(w, "POST", f"/api/v1/transfers/{transfer}/receive", w.site(other))
    assert let_through(w, "POST", f"/api/v1/transfers/{transfer}/receive",
                       w.site("SH-S2")).get_json()["status"] == "received"


@case("inventory", "POST", "/api/v1/transfers/{transfer_id}/cancel", STATION, "a station outside the transfer")
def _(w: InventoryWorld):
    transfer = w.transfer("SH-S1", "SH-S2")
    refused(w, "POST", f"/api/v1/transfers/{transfer}/cancel", w.site("JS-S1"))
    assert let_through(w, "POST", f"/api/v1/transfers/{transfer}/cancel",
                       w.site("SH-S2")).get_json()["status"] == "cancelled"


@case("inventory", "POST", "/api/v1/rebalancing/plans", STATION, "a station planning for another region")
def _(w: InventoryWorld):
    refused(w, "POST", "/api/v1/rebalancing/plans", w.site("SH-S1"), json={"region": "JS"})
    assert let_through(w, "POST", "/api/v1/rebalancing/plans", w.site("SH-S1"), json={}).get_json()["region"] == "SH"


@case("inventory", "POST", "/api/v1/rebalancing/plans/{plan_id}/approve", STATION,
      "a station whose site is not the one every move leaves (the receiver, another region's)")
def _(w: InventoryWorld):
    w.shortage("SH-S2", spare_site="SH-S1")
    region_plan = w.plan("SH")
    own_plan = w.plan("SH", from_site="SH-S1")
    for plan in (region_plan, own_plan):
        assert {m["from_site"] for m in w.ok("GET", f"/api/v1/rebalancing/plans/{plan}", w.ADMIN)["moves"]} == {"SH-S1"}
        refused(w, "POST", f"/api/v1/rebalancing/plans/{plan}/approve", w.site("SH-S2"))
        refused(w, "POST", f"/api/v1/rebalancing/plans/{plan}/approve", w.site("JS-S1"))
    # the two plans were computed on the same transfers: once one is approved, the other is stale (409)
    assert let_through(w, "POST", f"/api/v1/rebalancing/plans/{own_plan}/approve",
                       w.site("SH-S1")).get_json()["status"] == "approved"


# ---- inventory cold chain and reserves (#22): a station's own stores, readings, excursions, reserves ----------
def _fridge(w: InventoryWorld, site_id: str = "SH-S1") -> str:
    return w.ok("POST", "/api/v1/cold-chain/locations", w.site(site_id),
                json={"site_id": site_id, "kind": "fridge", "name": "走查冰箱"})["id"]


def _excursion(w: InventoryWorld, site_id: str = "SH-S1") -> tuple[str, list[str]]:
    """A fridge at the site holding one red-cell unit, out of range for an hour: the open excursion and its units."""
    from datetime import timedelta

    from inventory.services import cold_chain
    from inventory.unit_of_work import InventoryUnitOfWork
    from servicekit.auth import Principal

    fridge, unit = _fridge(w, site_id), w.red_cell_unit(site_id)
    now = datetime.now(timezone.utc)
    holder = Principal.from_claims({"sub": "walk", "role": "station", "site_id": site_id})
    cold_chain.place_units(InventoryUnitOfWork(w.session_factory), holder, location_id=fridge, unit_ids=[unit],
                           now=now - timedelta(hours=3))
    readings = [{"location_id": fridge, "at": (now - timedelta(hours=h)).isoformat(), "celsius": 9.0} for h in (2, 1)]
    [exc] = w.ok("POST", "/api/v1/cold-chain/readings", w.site(site_id), json={"readings": readings})["excursions"]
    return exc["id"], [unit]


@case("inventory", "POST", "/api/v1/cold-chain/locations", STATION, "the station of another site")
def _(w: InventoryWorld):
    body = {"site_id": "SH-S1", "kind": "fridge", "name": "走查冰箱"}
    refused(w, "POST", "/api/v1/cold-chain/locations", w.site("SH-S2"), json=body)
    assert let_through(w, "POST", "/api/v1/cold-chain/locations", w.site("SH-S1"), json=body).status_code == 201


@case("inventory", "POST", "/api/v1/cold-chain/locations/{location_id}/units", STATION, "the station of another site")
def _(w: InventoryWorld):
    fridge, unit = _fridge(w), w.red_cell_unit("SH-S1")
    url = f"/api/v1/cold-chain/locations/{fridge}/units"
    refused(w, "POST", url, w.site("SH-S2"), json={"unit_ids": [unit]})
    refused(w, "POST", url, w.site("SH-S1"), json={"unit_ids": [w.red_cell_unit("SH-S2")]})   # not its unit
    assert let_through(w, "POST", url, w.site("SH-S1"), json={"unit_ids": [unit]}).status_code == 200


@case("inventory", "POST", "/api/v1/cold-chain/readings", STATION, "the station of another site")
def _(w: InventoryWorld):
    fridge = _fridge(w)
    body = {"readings": [{"location_id": fridge, "at": datetime.now(timezone.utc).isoformat(), "celsius": 4.0}]}
    refused(w, "POST", "/api/v1/cold-chain/readings", w.site("SH-S2"), json=body)
    assert let_through(w, "POST", "/api/v1/cold-chain/readings", w.site("SH-S1"), json=body).get_json()["stored"] == 1


@case("inventory", "GET", "/api/v1/cold-chain/excursions", STATION, "another site's excursions")
def _(w: InventoryWorld):
    exc, _ = _excursion(w)
    refused(w, "GET", "/api/v1/cold-chain/excursions?site_id=SH-S1", w.site("SH-S2"))
    assert w.ok("GET", "/api/v1/cold-chain/excursions", w.site("SH-S2")) == []
    assert [e["id"] for e in w.ok("GET", "/api/v1/cold-chain/excursions", w.site("SH-S1"))] == [exc]


@case("inventory", "GET", "/api/v1/cold-chain/excursions/{excursion_id}", STATION, "another site's excursion")
def _(w: InventoryWorld):
    exc, _ = _excursion(w)
    refused(w, "GET", f"/api/v1/cold-chain/excursions/{exc}", w.site("SH-S2"))
    assert let_through(w, "GET", f"/api/v1/cold-chain/excursions/{exc}", w.site("SH-S1")).status_code == 200


@case("inventory", "POST", "/api/v1/cold-chain/excursions/{excursion_id}/decision", STATION,
      "the station of another site")
def _(w: InventoryWorld):
    exc, units_ = _excursion(w)
    body = {"decision": "discard", "reason": "超温"}
    refused(w, "POST", f"/api/v1/cold-chain/excursions/{exc}/decision", w.site("SH-S2"), json=body)
    assert w.unit(units_[0])["status"] == "quarantined"
    assert let_through(w, "POST", f"/api/v1/cold-chain/excursions/{exc}/decision", w.site("SH-S1"),
                       json=body).get_json()["status"] == "discarded"


@case("inventory", "GET", "/api/v1/cold-chain/stats", STATION, "another site's excursions are not counted")
def _(w: InventoryWorld):
    _excursion(w)
    query = "?since=2000-01-01T00:00:00%2B00:00&until=2100-01-01T00:00:00%2B00:00"
    assert w.ok("GET", f"/api/v1/cold-chain/stats{query}", w.site("SH-S2"))["excursions"] == 0
    assert w.ok("GET", f"/api/v1/cold-chain/stats{query}", w.site("SH-S1"))["excursions"] == 1


def _reserve_body(site_id: str) -> dict:
    return {"site_id": site_id, "component": "red_cells", "abo": "O", "rhd": "pos", "units": 10,
            "starts_on": "2026-11-05", "ends_on": "2026-11-10", "reason": "进博会"}


@case("inventory", "POST", "/api/v1/reserves", STATION, "the station of another site")
def _(w: InventoryWorld):
    refused(w, "POST", "/api/v1/reserves", w.site("SH-S2"), json=_reserve_body("SH-S1"))
    assert let_through(w, "POST", "/api/v1/reserves", w.site("SH-S1"), json=_reserve_body("SH-S1")).status_code == 201


@case("inventory", "DELETE", "/api/v1/reserves/{reserve_id}", STATION, "the station of another site")
def _(w: InventoryWorld):
    reserve = w.ok("POST", "/api/v1/reserves", w.site("SH-S1"), json=_reserve_body("SH-S1"))["id"]
    refused(w, "DELETE", f"/api/v1/reserves/{reserve}", w.site("SH-S2"))
    assert let_through(w, "DELETE", f"/api/v1/reserves/{reserve}", w.site("SH-S1")).status_code == 204
@case("inventory", "GET", "/api/v1/recalls", HOSPITAL, "recalls that did not reach it are not listed")
def _(w: InventoryWorld):
    recall = w.recall()
    assert w.ok("GET", "/api/v1/recalls", w.site("SH-H2")) == []
    [mine] = w.ok("GET", "/api/v1/recalls", w.site("SH-H1"))
    assert mine["id"] == recall and {ln["hospital_id"] for ln in mine["lines"]} == {"SH-H1"}


@case("inventory", "GET", "/api/v1/recalls/{recall_id}", HOSPITAL, "a recall that did not reach it")
def _(w: InventoryWorld):
    recall = w.recall()
    refused(w, "GET", f"/api/v1/recalls/{recall}", w.site("SH-H2"))
    assert let_through(w, "GET", f"/api/v1/recalls/{recall}", w.site("SH-H1")).status_code == 200


@case("inventory", "POST", "/api/v1/recalls/{recall_id}/lines/{line_id}/answer", HOSPITAL,
      "a line of another hospital")
def _(w: InventoryWorld):
    recall = w.recall()
    [line] = w.ok("GET", f"/api/v1/recalls/{recall}", w.ADMIN)["lines"]
    url = f"/api/v1/recalls/{recall}/lines/{line['id']}/answer"
    refused(w, "POST", url, w.site("SH-H2"), json={"answer": "returned"})
    assert let_through(w, "POST", url, w.site("SH-H1"), json={"answer": "returned"}).get_json()["status"] == "closed"


@case("inventory", "GET", "/api/v1/clinical-approvals", HOSPITAL, "another hospital's orders are not listed")
def _(w: InventoryWorld):
    order = w.owed_approval("SH-H1")
    assert w.ok("GET", "/api/v1/clinical-approvals?status=owed", w.site("SH-H2")) == []
    assert [a["order_id"] for a in w.ok("GET", "/api/v1/clinical-approvals", w.site("SH-H1"))] == [order]


@case("inventory", "POST", "/api/v1/orders/{order_id}/approval", HOSPITAL, "an order of another hospital")
def _(w: InventoryWorld):
    order = w.owed_approval("SH-H1")
    body = {"level": "department_head", "approver_name": "李主任"}
    refused(w, "POST", f"/api/v1/orders/{order}/approval", w.site("SH-H2"), json=body)
    assert let_through(w, "POST", f"/api/v1/orders/{order}/approval", w.site("SH-H1"),
                       json=body).get_json()["status"] == "approved_after"


# ---- waiver service: donors' own pools, relatives and claims; hospitals' own deductions; reviewers' region ------
@case("waiver", "GET", "/api/v1/me/entitlements", DONOR, "another donor's pools are not shown")
def _(w: WaiverWorld):
    _, _, rich = w.donor()
    _, _, poor = w.donor(donated=False)
    assert any(p["quota_ml"] or p["unlimited"] for p in w.ok("GET", "/api/v1/me/entitlements", rich)["pools"])
    assert not any(p["quota_ml"] or p["unlimited"] for p in w.ok("GET", "/api/v1/me/entitlements", poor)["pools"])


@case("waiver", "GET", "/api/v1/me/family", DONOR, "another donor's relatives are not listed")
def _(w: WaiverWorld):
    _, _, mine = w.donor()
    _, _, other = w.donor()
    binding = w.binding(other)
    assert [b["id"] for b in w.ok("GET", "/api/v1/me/family", other)] == [binding]
    assert w.ok("GET", "/api/v1/me/family", mine) == []


@case("waiver", "POST", "/api/v1/me/family", DONOR, "a binding is always the token's donor's")
def _(w: WaiverWorld):
    _, _, mine = w.donor()
    _, _, other = w.donor()
    binding = w.binding(mine)
    assert [b["id"] for b in w.ok("GET", "/api/v1/me/family", mine)] == [binding]
    assert binding not in [b["id"] for b in w.ok("GET", "/api/v1/me/family", other)]


@case("waiver", "GET", "/api/v1/waiver/family", REVIEWER, "another region's bindings are not listed")
def _(w: WaiverWorld):
    _, _, donor = w.donor(region="SH")
    binding = w.binding(donor)
    assert binding in [b["id"] for b in w.ok("GET", "/api/v1/waiver/family", w.REVIEWER_SH)]
    assert binding not in [b["id"] for b in w.ok("GET", "/api/v1/waiver/family", w.REVIEWER_JS)]


@case("waiver", "POST", "/api/v1/waiver/family/{binding_id}/verify", REVIEWER, "the reviewer of another region")
def _(w: WaiverWorld):
    _, _, donor = w.donor(region="SH")
    binding = w.binding(donor)
    refused(w, "POST", f"/api/v1/waiver/family/{binding}/verify", w.REVIEWER_JS, json={"approved": True})
    assert w.ok("GET", "/api/v1/me/family", donor)[0]["status"] == "pending"
    assert let_through(w, "POST", f"/api/v1/waiver/family/{binding}/verify", w.REVIEWER_SH,
                       json={"approved": True}).get_json()["status"] == "verified"


@case("waiver", "GET", "/api/v1/waiver/direct-deductions/{deduction_id}", HOSPITAL, "another hospital's deduction")
def _(w: WaiverWorld):
    nid, _, _ = w.donor()
    deduction = w.deduction(w.H1, nid)
    refused(w, "GET", f"/api/v1/waiver/direct-deductions/{deduction}", w.H2)
    assert let_through(w, "GET", f"/api/v1/waiver/direct-deductions/{deduction}", w.H1).status_code == 200


@case("waiver", "GET", "/api/v1/waiver/direct-deductions/{deduction_id}", REVIEWER,
      "a deduction of a hospital in another region")
def _(w: WaiverWorld):
    nid, _, _ = w.donor()
    deduction = w.deduction(w.H1, nid)
    refused(w, "GET", f"/api/v1/waiver/direct-deductions/{deduction}", w.REVIEWER_JS)
    assert let_through(w, "GET", f"/api/v1/waiver/direct-deductions/{deduction}", w.REVIEWER_SH).status_code == 200


@case("waiver", "POST", "/api/v1/waiver/direct-deductions/{deduction_id}/reverse", HOSPITAL,
      "another hospital's deduction")
def _(w: WaiverWorld):
    nid, _, _ = w.donor()
    deduction = w.deduction(w.H1, nid)
    url = f"/api/v1/waiver/direct-deductions/{deduction}"
    refused(w, "POST", f"{url}/reverse", w.H2, json={"reason": "作废"})
    assert w.ok("GET", url, w.H1)["status"] == "applied"
    assert let_through(w, "POST", f"{url}/reverse", w.H1, json={"reason": "作废"}).get_json()["status"] == "reversed"


@case("waiver", "POST", "/api/v1/waiver/claims", DONOR, "a donor may not enter a mail or on-site claim")
def _(w: WaiverWorld):
    from tests.waiver.builders import claim_body

    nid, _, donor = w.donor()
    for channel in ("mail", "on_site"):
        refused(w, "POST", "/api/v1/waiver/claims", donor, json=claim_body(nid, channel=channel))
    assert let_through(w, "POST", "/api/v1/waiver/claims", donor, json=claim_body(nid)).status_code == 201


@case("waiver", "POST", "/api/v1/waiver/claims", REVIEWER, "a reviewer's claim is their region's, never mini-program")
def _(w: WaiverWorld):
    from tests.waiver.builders import claim_body

    nid, _, _ = w.donor(region="SH")
    refused(w, "POST", "/api/v1/waiver/claims", w.REVIEWER_JS, json=claim_body(nid))     # mini_program
    claim = let_through(w, "POST", "/api/v1/waiver/claims", w.REVIEWER_JS,
                        json=claim_body(nid, channel="mail")).get_json()
    # filed in Jiangsu, handled by Shanghai where the blood was given (api.md): a third region never sees it
    assert (claim["region"], claim["handling_region"]) == ("JS", "SH")
    refused(w, "GET", f"/api/v1/waiver/claims/{claim['id']}", auth("reviewer", sub="rev-zj", region="ZJ"))
    let_through(w, "GET", f"/api/v1/waiver/claims/{claim['id']}", w.REVIEWER_SH)


def _claim_action(path, role, body=None, form=False):
    """A draft mini-program claim of an SH donor; the wrong owner is another donor or the JS reviewer."""
    def run(w: WaiverWorld):
        nid, _, owner = w.donor(region="SH")
        _, _, stranger = w.donor(region="SH")
        claim = w.claim(owner, nid)
        url = path.format(claim_id=claim)

        def kwargs():
            if form:
                return {"data": {"kind": "invoice", "file": (io.BytesIO(b"%PDF-1.7\n..."), "f.pdf")},
                        "content_type": "multipart/form-data"}
            return {"json": body or {}}

        wrong, right = {DONOR: (stranger, owner), REVIEWER: (w.REVIEWER_JS, w.REVIEWER_SH)}[role]
        refused(w, "POST", url, wrong, **kwargs())
        assert w.ok("GET", f"/api/v1/waiver/claims/{claim}", owner)["status"] == "draft"
        let_through(w, "POST", url, right, **kwargs())
    return run


CLAIM_ACTIONS = [
    ("/api/v1/waiver/claims/{claim_id}/documents", DONOR, None, True),
    ("/api/v1/waiver/claims/{claim_id}/documents", REVIEWER, None, True),
    ("/api/v1/waiver/claims/{claim_id}/submit", DONOR, None, False),
    ("/api/v1/waiver/claims/{claim_id}/submit", REVIEWER, None, False),
    ("/api/v1/waiver/claims/{claim_id}/approve", REVIEWER, None, False),
    ("/api/v1/waiver/claims/{claim_id}/reject", REVIEWER, {"reason": "材料不全"}, False),
    ("/api/v1/waiver/claims/{claim_id}/pay", REVIEWER, {}, False),
]
for _path, _role, _body, _form in CLAIM_ACTIONS:
    case("waiver", "POST", _path, _role, "another donor's claim" if _role == DONOR else "a claim of another region")(
        _claim_action(_path, _role, _body, _form))


@case("waiver", "GET", "/api/v1/waiver/claims/{claim_id}", DONOR, "another donor's claim")
def _(w: WaiverWorld):
    nid, _, owner = w.donor()
    _, _, stranger = w.donor()
    claim = w.claim(owner, nid)
    refused(w, "GET", f"/api/v1/waiver/claims/{claim}", stranger)
    assert let_through(w, "GET", f"/api/v1/waiver/claims/{claim}", owner).status_code == 200


@case("waiver", "GET", "/api/v1/waiver/claims/{claim_id}", REVIEWER, "a claim of another region")
def _(w: WaiverWorld):
    nid, _, owner = w.donor(region="SH")
    claim = w.claim(owner, nid)
    refused(w, "GET", f"/api/v1/waiver/claims/{claim}", w.REVIEWER_JS)
    assert let_through(w, "GET", f"/api/v1/waiver/claims/{claim}", w.REVIEWER_SH).status_code == 200


def _claim_document(role):
    def run(w: WaiverWorld):
        nid, _, owner = w.donor(region="SH")
        _, _, stranger = w.donor(region="SH")
        claim = w.claim(owner, nid)
        doc = w.ok("POST", f"/api/v1/waiver/claims/{claim}/documents", owner, content_type="multipart/form-data",
                   data={"kind": "invoice", "file": (io.BytesIO(b"%PDF-1.7\n..."), "f.pdf")})["id"]
        url = f"/api/v1/waiver/claims/{claim}/documents/{doc}"
        wrong, right = {DONOR: (stranger, owner), REVIEWER: (w.REVIEWER_JS, w.REVIEWER_SH)}[role]
        assert b"%PDF" not in refused(w, "GET", url, wrong).data
        assert let_through(w, "GET", url, right).data == b"%PDF-1.7\n..."
    return run


for _role in (DONOR, REVIEWER):
    case("waiver", "GET", "/api/v1/waiver/claims/{claim_id}/documents/{document_id}", _role,
         "another donor's claim" if _role == DONOR else "a claim of another region")(_claim_document(_role))


@case("waiver", "GET", "/api/v1/waiver/claims", REVIEWER, "another region's claims are not listed")
def _(w: WaiverWorld):
    nid, _, owner = w.donor(region="SH")
    claim = w.claim(owner, nid)
    assert claim in [c["id"] for c in w.ok("GET", "/api/v1/waiver/claims", w.REVIEWER_SH)]
    assert w.ok("GET", "/api/v1/waiver/claims", w.REVIEWER_JS) == []


@case("waiver", "GET", "/api/v1/me/claims", DONOR, "another donor's claims are not listed")
def _(w: WaiverWorld):
    nid, _, owner = w.donor()
    _, _, stranger = w.donor()
    claim = w.claim(owner, nid)
    assert [c["id"] for c in w.ok("GET", "/api/v1/me/claims", owner)] == [claim]
    assert w.ok("GET", "/api/v1/me/claims", stranger) == []


@case("waiver", "GET", "/api/v1/waiver/settlements", HOSPITAL, "hospital_id of another hospital")
def _(w: WaiverWorld):
    nid, _, _ = w.donor()
    w.deduction(w.H1, nid)
    refused(w, "GET", f"/api/v1/waiver/settlements?hospital_id=H1&month={w.month}", w.H2)
    assert w.ok("GET", f"/api/v1/waiver/settlements?hospital_id=H1&month={w.month}", w.H1)["count"] == 1


@case("waiver", "GET", "/api/v1/waiver/settlements", REVIEWER, "deductions of another region's hospitals are left out")
def _(w: WaiverWorld):
    nid, _, _ = w.donor()
    w.deduction(w.H1, nid)
    url = f"/api/v1/waiver/settlements?hospital_id=H1&month={w.month}"
    assert w.ok("GET", url, w.REVIEWER_SH)["count"] == 1
    elsewhere = w.ok("GET", url, w.REVIEWER_JS)
    assert (elsewhere["count"], elsewhere["deductions"], elsewhere["waived_yuan"]) == (0, [], "0.00")


@case("waiver", "GET", "/api/v1/waiver/stats", REVIEWER, "region=another region, and no region means their own")
def _(w: WaiverWorld):
    nid, _, _ = w.donor()
    w.deduction(w.H1, nid)
    refused(w, "GET", f"/api/v1/waiver/stats?month={w.month}&region=SH", w.REVIEWER_JS)
    own = w.ok("GET", f"/api/v1/waiver/stats?month={w.month}", w.REVIEWER_JS)
    assert own["region"] == "JS" and own["by_channel"]["direct"]["count"] == 0
    assert w.ok("GET", f"/api/v1/waiver/stats?month={w.month}", w.REVIEWER_SH)["by_channel"]["direct"]["count"] == 1


@case("waiver", "GET", "/api/v1/waiver/stats/monthly", REVIEWER, "region=another region, and no region means their own")
def _(w: WaiverWorld):
    nid, _, _ = w.donor()
    w.deduction(w.H1, nid)
    url = f"/api/v1/waiver/stats/monthly?from={w.month}&to={w.month}"
    refused(w, "GET", f"{url}&region=SH", w.REVIEWER_JS)
    [own] = w.ok("GET", url, w.REVIEWER_JS)
    assert own["region"] == "JS" and own["by_channel"]["direct"]["count"] == 0
    assert w.ok("GET", url, w.REVIEWER_SH)[0]["by_channel"]["direct"]["count"] == 1


# ---- the walk --------------------------------------------------------------------------------------------------
def _owned_entries():
    return {(service, method, path, role) for service, routes in EXPECTED.items()
            for (method, path), access in routes.items() for role in access.own}


def test_every_ownership_rule_has_a_case_and_every_case_a_rule():
    covered = {(c.service, c.method, c.path, c.role) for c in CASES}
    assert sorted(_owned_entries() - covered) == [], "ownership rules in expected_access.py without a case"
    assert sorted(covered - _owned_entries()) == [], "cases for routes/roles the expected table does not narrow"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_right_role_with_the_wrong_owner_is_refused_or_filtered(request, db_kind, case):
    case.run(request.getfixturevalue(f"{case.service}_world"))
