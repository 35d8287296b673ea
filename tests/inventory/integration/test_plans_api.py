"""Rebalancing plans through the API: proposal from live stock and demand; approval creates the transfers, which
then dispatch and arrive as whole bags."""
import pytest
from sqlalchemy import func, select

from inventory.orm import units as units_table
from tests.helpers import auth

from .conftest import ADMIN, HOSPITAL1, STATION1, STATION2, STATION_JS

pytestmark = pytest.mark.usefixtures("network")
O_POS = {"component": "red_cells", "abo": "O", "rhd": "pos"}
STATIONS = {"SH-S1": STATION1, "SH-S2": STATION2, "JS-S1": STATION_JS}


@pytest.fixture
def imbalance(network, client, red_cells):
    """SH-S1 holds 40 U against 1 U/day (target 7: 33 spare); SH-S2 holds 4 U against 4 U/day (24 short)."""
    for site_id, per_day in (("SH-S1", 1), ("SH-S2", 4)):
        resp = client.put(f"/api/v1/sites/{site_id}/demand", headers=ADMIN,
                          json={"lines": [{**O_POS, "units_per_day": per_day}]})
        assert resp.status_code == 200
    red_cells(40, site_id="SH-S1")
    red_cells(4, site_id="SH-S2")


@pytest.mark.usefixtures("imbalance")
def test_a_plan_covers_the_shortfall_from_the_surplus_and_approval_creates_one_transfer_per_move(client, events):
    resp = client.post("/api/v1/rebalancing/plans", json={"target_days": 7}, headers=STATION1)
    assert resp.status_code == 201, resp.get_json()
    plan = resp.get_json()
    assert (plan["status"], plan["region"], plan["target_days"]) == ("proposed", "SH", 7.0)
    # SH-S1's 40 fresh U at 1 U a day cannot all be used in 35 days; after the move the rest can
    assert plan["before"] == {"sites_below_target": 1, "shortfall_units": 24.0, "expiring_units": 8.5}
    assert plan["after"] == {"sites_below_target": 0, "shortfall_units": 0.0, "expiring_units": 0.0}
    [move] = plan["moves"]
    assert (move["from_site"], move["to_site"], move["units"]) == ("SH-S1", "SH-S2", 24.0)
    assert move["distance_km"] == pytest.approx(29.0, abs=3) and "highs" in plan["solver"]
    assert plan["objective"]["shortfall_units"] == 0.0
    assert client.get(f"/api/v1/rebalancing/plans/{plan['id']}", headers=HOSPITAL1).get_json()["moves"] == plan["moves"]

    # the receiving station may not approve what another station is to send; the sender may (every move is its own)
    assert client.post(f"/api/v1/rebalancing/plans/{plan['id']}/approve", headers=STATION2).status_code == 403
    approved = client.post(f"/api/v1/rebalancing/plans/{plan['id']}/approve", headers=STATION1)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    [transfer_id] = approved.get_json()["transfer_ids"]
    [t] = client.get("/api/v1/transfers", query_string={"status": "requested"}, headers=STATION1).get_json()
    assert (t["id"], t["from_site"], t["to_site"], t["lines"][0]["units"]) == (transfer_id, "SH-S1", "SH-S2", 24.0)
    [event] = events("RebalancingPlanApproved")
    assert event["data"]["transfer_ids"] == [transfer_id] and event["data"]["region"] == "SH"
    again = client.post(f"/api/v1/rebalancing/plans/{plan['id']}/approve", headers=ADMIN)
    assert again.status_code == 200 and again.get_json() == approved.get_json()        # approving again creates nothing
    assert len(client.get("/api/v1/transfers", headers=STATION1).get_json()) == 1
    assert len(events("RebalancingPlanApproved")) == 1 and len(events("TransferRequested")) == 1
    sent = client.post(f"/api/v1/transfers/{transfer_id}/dispatch", headers=STATION1).get_json()
    assert sent["status"] == "in_transit" and len(sent["units"]) == 24


@pytest.mark.usefixtures("imbalance")
def test_plans_stay_in_the_callers_region_and_refusals_change_nothing(client, state):
    before = state()
    assert client.post("/api/v1/rebalancing/plans", json={"region": "JS"}, headers=STATION1).status_code == 403
    assert client.post("/api/v1/rebalancing/plans", json={}, headers=HOSPITAL1).status_code == 403
    assert client.post("/api/v1/rebalancing/plans", json={"target_days": 0}, headers=STATION1).status_code == 422
    assert client.post("/api/v1/rebalancing/plans", json={"target_days": 7, "x": 1}, headers=STATION1).status_code == 422
    assert state() == before
    network = client.post("/api/v1/rebalancing/plans", json={}, headers=ADMIN).get_json()
    assert network["region"] is None and network["moves"][0]["to_site"] == "SH-S2"
    js_plan = client.post("/api/v1/rebalancing/plans", json={}, headers=STATION_JS).get_json()
    assert js_plan["region"] == "JS" and js_plan["moves"] == []
    before = state()
    for plan_id, headers in ((network["id"], STATION1), (js_plan["id"], STATION1), ("missing", ADMIN),
                             (network["id"], auth("reviewer", region="SH"))):
        resp = client.post(f"/api/v1/rebalancing/plans/{plan_id}/approve", headers=headers)
        assert resp.status_code in (403, 404), resp.get_json()
    assert state() == before
    assert client.post(f"/api/v1/rebalancing/plans/{network['id']}/approve", headers=ADMIN).status_code == 200


def _totals(session_factory):
    """U per site over every unit still in the network (on the shelf or on the road)."""
    with session_factory() as s:
        rows = s.execute(select(units_table.c.site_id, func.sum(units_table.c.units))
                         .where(units_table.c.status.in_(("available", "in_transit")))
                         .group_by(units_table.c.site_id)).all()
    return {site: float(u) for site, u in rows}


def test_an_approved_plan_of_2_u_bags_dispatches_a_bag_on_every_move_and_conserves_units(client, red_cells,
                                                                                        session_factory):
    # SH-S1: 40 U in 2 U bags against 1 U/day (33 U spare); SH-S2 is 5.1 U short, JS-S1 0.7 U: less than a bag
    for site_id, per_day in (("SH-S1", 1), ("SH-S2", 1.3), ("JS-S1", 0.1)):
        resp = client.put(f"/api/v1/sites/{site_id}/demand", headers=ADMIN,
                          json={"lines": [{**O_POS, "units_per_day": per_day}]})
        assert resp.status_code == 200
    red_cells(20, site_id="SH-S1", u=2.0)
    red_cells(2, site_id="SH-S2", u=2.0)
    plan = client.post("/api/v1/rebalancing/plans", json={"target_days": 7}, headers=ADMIN).get_json()
    assert plan["before"]["shortfall_units"] == pytest.approx(5.8)
    assert sorted((m["to_site"], m["units"]) for m in plan["moves"]) == [("JS-S1", 2.0), ("SH-S2", 6.0)]
    assert plan["after"]["shortfall_units"] == 0.0 and plan["after"]["sites_below_target"] == 0
    assert plan["objective"]["lp_shortfall_units"] == 0.0

    approved = client.post(f"/api/v1/rebalancing/plans/{plan['id']}/approve", headers=ADMIN).get_json()
    transfer_ids = approved["transfer_ids"]
    assert len(transfer_ids) == len(plan["moves"])
    start = _totals(session_factory)
    for transfer_id, move in zip(transfer_ids, plan["moves"]):
        sent = client.post(f"/api/v1/transfers/{transfer_id}/dispatch", headers=STATIONS[move["from_site"]])
        assert sent.status_code == 200, sent.get_json()
        sent = sent.get_json()
        assert sent["status"] == "in_transit" and len(sent["units"]) >= 1
        assert sent["lines"][0]["dispatched_units"] == move["units"] == sum(u["units"] for u in sent["units"])
        assert sum(_totals(session_factory).values()) == pytest.approx(sum(start.values()))
    for transfer_id, move in zip(transfer_ids, plan["moves"]):
        got = client.post(f"/api/v1/transfers/{transfer_id}/receive", headers=STATIONS[move["to_site"]])
        assert got.status_code == 200 and got.get_json()["status"] == "received", got.get_json()
    end = _totals(session_factory)
    expected = dict(start)
    for m in plan["moves"]:
        expected[m["from_site"]] -= m["units"]
        expected[m["to_site"]] = expected.get(m["to_site"], 0.0) + m["units"]
    assert end == pytest.approx(expected) and sum(end.values()) == pytest.approx(sum(start.values()))
    # the plan's `after` is what the shipped bags did: planning again starts from it and has nothing to move
    again = client.post("/api/v1/rebalancing/plans", json={"target_days": 7}, headers=ADMIN).get_json()
    assert again["before"]["shortfall_units"] == plan["after"]["shortfall_units"] and again["moves"] == []
    assert again["before"]["sites_below_target"] == plan["after"]["sites_below_target"]
