"""Hospital orders: first-expiring-first whole bags, never expired or quarantined, cuts, substitution."""
from datetime import datetime, timedelta, timezone

import pytest

from inventory.services import orders
from tests.helpers import auth

from .conftest import HOSPITAL1, STATION1

pytestmark = pytest.mark.usefixtures("network")


def _line(units, component="red_cells", abo="O", rhd="pos"):
    return {"component": component, "abo": abo, "rhd": rhd, "units": units}


def _order(client, *lines, priority="urgent", headers=HOSPITAL1):
    return client.post("/api/v1/orders", json={"lines": list(lines), "priority": priority}, headers=headers)


def _set_demand(client, site_id, per_day, component="red_cells", abo="O", rhd="pos"):
    resp = client.put(f"/api/v1/sites/{site_id}/demand", headers=auth("admin"), json={"lines": [
        {"component": component, "abo": abo, "rhd": rhd, "units_per_day": per_day}]})
    assert resp.status_code == 200, resp.get_json()


def test_orders_take_the_first_expiring_bags_of_the_supplying_station(client, red_cells, events):
    fresh = red_cells(3, days_ago=1)
    old = red_cells(2, days_ago=20)                     # expire first
    red_cells(4, site_id="SH-S2", days_ago=30)          # another station's (older) stock is never used for H1
    resp = _order(client, _line(3))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "fulfilled" and body["supplier_id"] == "SH-S1"
    taken = [u["id"] for u in body["allocations"]]
    assert set(taken) == set(old) | {fresh[0]}
    assert all(u["status"] == "issued" and u["site_id"] == "SH-H1" and u["issued_to"] == "SH-H1"
               for u in body["allocations"])
    [issued] = events("UnitsIssued")
    assert issued["subject"] == body["id"] and sorted(issued["data"]["unit_ids"]) == sorted(taken)
    history = client.get(f"/api/v1/units/{old[0]}", headers=HOSPITAL1).get_json()["history"]
    assert history[-1]["kind"] == "issued" and (history[-1]["from_site"], history[-1]["to_site"]) == ("SH-S1", "SH-H1")


def test_whole_bags_never_exceed_the_requested_units(client, donate):
    donate(volume_ml=400, collected_days_ago=10)        # 2 U, expires first
    donate(volume_ml=400, collected_days_ago=5)         # 2 U
    donate(volume_ml=200, collected_days_ago=1)         # 1 U
    body = _order(client, _line(3)).get_json()
    assert body["lines"][0]["allocated_units"] == 3.0 and sorted(u["units"] for u in body["allocations"]) == [1.0, 2.0]
    body = _order(client, _line(1)).get_json()          # only a 2 U bag is left: nothing fits
    assert body["status"] == "backordered" and body["allocations"] == []


def test_expired_and_quarantined_units_are_never_issued_even_before_the_expiry_job(client, red_cells, donate,
                                                                                   uow_factory):
    [soon] = red_cells(1, days_ago=34.5)                 # expires in half a day
    donate(release=False)                                # quarantined
    later = datetime.now(timezone.utc) + timedelta(days=1)   # the expiry job has not run yet
    order = orders.place_order(uow_factory(), hospital_id="SH-H1", priority="emergency", now=later,
                               lines=[_line(2)])
    assert order.status == "backordered" and order.allocations == []
    unit = client.get(f"/api/v1/units/{soon}", headers=STATION1).get_json()
    assert unit["status"] == "available"                 # untouched: the job will mark it expired


@pytest.mark.parametrize("days, level, allowed", [(6, "green", 10), (4, "yellow", 7), (2, "orange", 5),
                                                   (0.5, "red", 3)])
def test_routine_orders_are_cut_by_the_suppliers_level_and_urgent_ones_are_not(client, red_cells, days, level,
                                                                                allowed, immediate_levels):
    _set_demand(client, "SH-S1", 20)
    red_cells(int(days * 20))
    routine = _order(client, _line(10), priority="routine").get_json()
    line = routine["lines"][0]
    assert (line["level"], line["allowed_units"], line["cut_percent"]) == (level, allowed, {10: 0, 7: 30, 5: 50, 3: 70}[allowed])
    assert line["allocated_units"] == min(allowed, int(days * 20))
    assert routine["status"] == ("fulfilled" if allowed == 10 else "partial")
    urgent = _order(client, _line(10), priority="urgent").get_json()
    assert urgent["lines"][0]["allowed_units"] == 10 and urgent["lines"][0]["cut_percent"] == 0


def test_a_station_supplying_hospitals_counts_their_baseline_demand(client, red_cells):
    resp = client.put("/api/v1/sites/SH-H1/demand", headers=STATION1, json={"lines": [
        {"component": "red_cells", "abo": "O", "rhd": "pos", "units_per_day": 10}]})
    assert resp.status_code == 200
    red_cells(20)                                        # 20 U / 10 U a day = 2 days: orange
    assert _order(client, _line(10), priority="routine").get_json()["lines"][0]["level"] == "orange"


def test_emergency_orders_substitute_compatible_groups_and_say_which(client, red_cells, donate):
    o_neg = red_cells(2, abo="O", rhd="neg")
    o_pos = red_cells(2, abo="O", rhd="pos")
    routine = _order(client, _line(3, abo="A", rhd="pos"), priority="routine").get_json()
    assert routine["status"] == "backordered"
    body = _order(client, _line(3, abo="A", rhd="pos"), priority="emergency").get_json()
    assert body["status"] == "fulfilled"
    subs = [(s["abo"], s["rhd"], s["units"]) for s in body["lines"][0]["substitutions"]]
    assert subs == [("O", "pos", 2.0), ("O", "neg", 1.0)]           # RhD-negative spent last
    assert {u["id"] for u in body["allocations"]} == set(o_pos) | {o_neg[0]}


def test_emergency_substitution_follows_the_tables(client, donate):
    donate(abo="AB", rhd="pos", volume_ml=200)            # plasma AB+ (and red cells AB+)
    donate(abo="O", rhd="pos", volume_ml=200)             # red cells O+ (and plasma O+)
    # RhD-negative recipients never get RhD-positive red cells
    neg = _order(client, _line(1, abo="O", rhd="neg"), priority="emergency").get_json()
    assert neg["status"] == "backordered" and neg["lines"][0]["substitutions"] == []
    # AB plasma goes to anyone (RhD does not matter for plasma); O plasma does not go to an A recipient
    plasma = _order(client, _line(2, component="plasma", abo="A", rhd="neg"), priority="emergency").get_json()
    assert [(s["abo"], s["rhd"]) for s in plasma["lines"][0]["substitutions"]] == [("AB", "pos")]
    assert plasma["lines"][0]["allocated_units"] == 1.0 and plasma["status"] == "partial"


def test_an_rhd_negative_emergency_gets_rhd_positive_red_cells_only_under_a_recorded_override(client, red_cells,
                                                                                             state):
    a_neg = red_cells(1, abo="A", rhd="neg")
    o_neg = red_cells(1, abo="O", rhd="neg")
    a_pos = red_cells(2, abo="A", rhd="pos")
    o_pos = red_cells(2, abo="O", rhd="pos")
    override = {"approved_by": "王主任（输血科）", "reason": "失血性休克，无抗-D，家属知情同意"}
    before = state()
    for priority, extra, field in (("urgent", {"emergency_override": override}, "emergency_override"),
                                   ("emergency", {"emergency_override": {"approved_by": "王主任"}}, "reason")):
        refused = client.post("/api/v1/orders", headers=HOSPITAL1,
                              json={"lines": [_line(5, abo="A", rhd="neg")], "priority": priority, **extra})
        assert refused.status_code == 422 and field in str(refused.get_json()["errors"]), refused.get_json()
    assert state() == before                                       # a refused order takes nothing

    without = client.post("/api/v1/orders", headers=HOSPITAL1, json={
        "lines": [_line(5, abo="A", rhd="neg")], "priority": "emergency"}).get_json()
    assert [(s["abo"], s["rhd"]) for s in without["lines"][0]["substitutions"]] == [("O", "neg")]
    assert without["status"] == "partial" and without["emergency_override"] is None
    assert {u["id"] for u in without["allocations"]} == set(a_neg) | set(o_neg)

    body = client.post("/api/v1/orders", headers=HOSPITAL1, json={
        "lines": [_line(3, abo="A", rhd="neg")], "priority": "emergency", "emergency_override": override}).get_json()
    subs = [(s["abo"], s["rhd"], s["units"], s["rhd_override"]) for s in body["lines"][0]["substitutions"]]
    assert subs == [("A", "pos", 2.0, True), ("O", "pos", 1.0, True)]       # A- -> O- -> A+ -> O+ (R54)
    assert body["emergency_override"] == override and body["status"] == "fulfilled"
    assert {u["id"] for u in body["allocations"]} == set(a_pos) | {o_pos[0]}


def test_orders_need_a_registered_hospital_with_a_supplier_and_refusals_change_nothing(client, red_cells, state):
    red_cells(2)
    before = state()
    cases = [
        (auth("hospital", site_id="NOT-REGISTERED"), {"lines": [_line(1)]}, 409, "site_not_configured"),
        (STATION1, {"lines": [_line(1)]}, 403, "forbidden_role"),
        (auth("admin"), {"lines": [_line(1)]}, 403, "forbidden_role"),
        (HOSPITAL1, {"lines": []}, 422, "validation_failed"),
        (HOSPITAL1, {"lines": [_line(0)]}, 422, "validation_failed"),
        (HOSPITAL1, {"lines": [_line(100000)]}, 422, "validation_failed"),
        (HOSPITAL1, {"lines": [_line(1)] * 51}, 422, "validation_failed"),
        (HOSPITAL1, {"lines": [{**_line(1), "abo": "C"}]}, 422, "validation_failed"),
        (HOSPITAL1, {"lines": [_line(1)], "priority": "whenever"}, 422, "validation_failed"),
    ]
    for headers, body, status, code in cases:
        resp = client.post("/api/v1/orders", json=body, headers=headers)
        assert (resp.status_code, resp.get_json()["code"]) == (status, code), body
    assert client.post("/api/v1/orders", data="{", headers={**HOSPITAL1, "Content-Type": "application/json"}).status_code == 400
    assert client.post("/api/v1/orders", json={"lines": [_line(1)]}).status_code == 401
    assert state() == before
