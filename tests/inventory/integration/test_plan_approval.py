"""Plans count what open transfers promise, a plan computed before a transfer changed is refused, approving twice
creates nothing, and concurrent approvals never ship the same surplus twice (issue #13)."""
import threading

import pytest

from .conftest import ADMIN, STATION1, STATION2, STATION_JS

pytestmark = pytest.mark.usefixtures("network")
O_POS = {"component": "red_cells", "abo": "O", "rhd": "pos"}


def _plan(client, headers=ADMIN, **body):
    resp = client.post("/api/v1/rebalancing/plans", json={"target_days": 7, **body}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _approve(client, plan_id, headers=ADMIN):
    return client.post(f"/api/v1/rebalancing/plans/{plan_id}/approve", headers=headers)


def _moved(client) -> float:
    """U on requested and in-transit transfers (what the network has been asked to ship)."""
    return sum(ln["units"] for t in client.get("/api/v1/transfers", headers=ADMIN).get_json()
               if t["status"] in ("requested", "in_transit") for ln in t["lines"])


@pytest.mark.usefixtures("imbalance")
def test_planning_again_counts_requested_and_in_transit_transfers_and_proposes_nothing_twice(client):
    first = _plan(client, region="SH")
    assert [(m["from_site"], m["to_site"], m["units"]) for m in first["moves"]] == [("SH-S1", "SH-S2", 24.0)]
    [transfer_id] = _approve(client, first["id"]).get_json()["transfer_ids"]

    requested = _plan(client, region="SH")            # the 24 U are no longer SH-S1's to give, and SH-S2's to come
    assert requested["moves"] == [] and requested["before"] == first["after"]
    assert client.post(f"/api/v1/transfers/{transfer_id}/dispatch", headers=STATION1).status_code == 200
    on_the_road = _plan(client, region="SH")
    assert on_the_road["moves"] == [] and on_the_road["before"] == first["after"]
    assert client.post(f"/api/v1/transfers/{transfer_id}/receive", headers=STATION2).status_code == 200
    arrived = _plan(client, region="SH")
    assert arrived["moves"] == [] and arrived["before"]["shortfall_units"] == 0.0
    assert _moved(client) == 0.0


@pytest.mark.usefixtures("imbalance")
def test_a_cancelled_transfer_gives_its_units_back_to_the_plan(client):
    first = _plan(client, region="SH")
    [transfer_id] = _approve(client, first["id"]).get_json()["transfer_ids"]
    assert client.post(f"/api/v1/transfers/{transfer_id}/cancel", headers=STATION2).status_code == 200
    again = _plan(client, region="SH")
    assert again["before"] == first["before"] and again["moves"] == first["moves"]


@pytest.mark.usefixtures("imbalance")
def test_a_plan_older_than_a_transfer_change_is_refused_as_stale_and_changes_nothing(client, state):
    older, newer = _plan(client, region="SH"), _plan(client, region="SH")
    assert older["moves"] == newer["moves"] != []
    assert _approve(client, newer["id"]).status_code == 200
    before = state()
    stale = _approve(client, older["id"])
    assert stale.status_code == 409 and stale.mimetype == "application/problem+json"
    body = stale.get_json()
    assert body["code"] == "plan_stale" and "SH-S1" in body["sites"] and "重新生成" in body["detail"]
    assert state() == before
    assert client.get(f"/api/v1/rebalancing/plans/{older['id']}", headers=ADMIN).get_json()["status"] == "proposed"

    # any transfer change at one of the plan's sites makes it stale: here a manual request between them
    fresh = _plan(client, region="SH")
    manual = client.post("/api/v1/transfers", headers=STATION2, json={
        "from_site": "SH-S2", "to_site": "JS-S1", "lines": [{**O_POS, "units": 1}], "reason": "手工调拨"})
    assert manual.status_code == 201
    assert _approve(client, fresh["id"]).get_json()["code"] == "plan_stale"
    # a change elsewhere (another region's stations only) does not
    js_plan = _plan(client, STATION_JS)
    assert client.post("/api/v1/transfers", headers=STATION1, json={
        "from_site": "SH-S1", "to_site": "SH-S2", "lines": [{**O_POS, "units": 1}], "reason": "x"}).status_code == 201
    assert _approve(client, js_plan["id"], STATION_JS).status_code == 200


@pytest.mark.usefixtures("imbalance")
def test_a_station_approves_a_plan_of_its_own_surplus_only(client, state):
    own = _plan(client, STATION1, from_site="SH-S1")
    assert own["from_site"] == "SH-S1" and {m["from_site"] for m in own["moves"]} == {"SH-S1"}
    before = state()
    for body, status in (({"from_site": "SH-S2"}, 403), ({"from_site": "NO-SUCH"}, 403),
                         ({"from_site": "bad site!"}, 422)):
        assert client.post("/api/v1/rebalancing/plans", json=body, headers=STATION1).status_code == status
    assert client.post("/api/v1/rebalancing/plans", json={"region": "SH", "from_site": "JS-S1"},
                       headers=ADMIN).status_code == 422          # not a station of the plan's region
    assert _approve(client, own["id"], STATION2).status_code == 403
    assert state() == before
    approved = _approve(client, own["id"], STATION1)
    assert approved.status_code == 200 and len(approved.get_json()["transfer_ids"]) == len(own["moves"])
    # SH-S2 has no surplus: a plan of its own sends nothing
    assert _plan(client, STATION2, from_site="SH-S2")["moves"] == []


def _race(client, calls):
    """Run each (plan_id, headers) approval in its own thread at once; returns the responses in call order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(n, plan_id, headers):
        barrier.wait()
        out[n] = _approve(client, plan_id, headers)

    threads = [threading.Thread(target=run, args=(n, *call)) for n, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


@pytest.mark.usefixtures("imbalance")
def test_two_concurrent_approvals_of_one_plan_create_its_transfers_once(app):
    client = app.test_client()
    plan = _plan(client, region="SH")
    responses = _race(client, [(plan["id"], ADMIN), (plan["id"], STATION1)])
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].get_json()["transfer_ids"] == responses[1].get_json()["transfer_ids"]
    assert _moved(client) == 24.0


@pytest.mark.usefixtures("imbalance")
def test_two_concurrent_approvals_of_two_plans_of_the_same_stock_ship_it_once(app):
    client = app.test_client()
    plans = [_plan(client, region="SH") for _ in range(2)]
    responses = _race(client, [(p["id"], ADMIN) for p in plans])
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert [r.get_json()["code"] for r in responses if r.status_code == 409] == ["plan_stale"]
    assert _moved(client) == 24.0


@pytest.mark.usefixtures("imbalance")
def test_a_requested_transfer_of_a_group_the_sender_does_not_hold_takes_nothing_from_the_plan(client):
    first = _plan(client, region="SH")
    unheld = client.post("/api/v1/transfers", headers=STATION1, json={
        "from_site": "SH-S1", "to_site": "SH-S2", "lines": [{**O_POS, "abo": "AB", "rhd": "neg", "units": 2}],
        "reason": "稀有血型"})
    assert unheld.status_code == 201
    again = _plan(client, region="SH")                 # nothing to take: the O+ surplus is still there to plan
    assert again["moves"] == first["moves"] and again["before"] == first["before"]
