"""Rebalancing plans through the API: proposal from live stock and demand; approval creates the transfers."""
import pytest

from tests.helpers import auth

from .conftest import ADMIN, HOSPITAL1, STATION1, STATION2, STATION_JS

pytestmark = pytest.mark.usefixtures("network")
O_POS = {"component": "red_cells", "abo": "O", "rhd": "pos"}


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

    approved = client.post(f"/api/v1/rebalancing/plans/{plan['id']}/approve", headers=STATION2)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    [transfer_id] = approved.get_json()["transfer_ids"]
    [t] = client.get("/api/v1/transfers", query_string={"status": "requested"}, headers=STATION1).get_json()
    assert (t["id"], t["from_site"], t["to_site"], t["lines"][0]["units"]) == (transfer_id, "SH-S1", "SH-S2", 24.0)
    [event] = events("RebalancingPlanApproved")
    assert event["data"]["transfer_ids"] == [transfer_id] and event["data"]["region"] == "SH"
    again = client.post(f"/api/v1/rebalancing/plans/{plan['id']}/approve", headers=STATION1)
    assert again.status_code == 409 and again.get_json()["code"] == "plan_not_proposed"
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
