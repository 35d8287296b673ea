"""Rebalancing on the demo network through the gateway, as the region's dispatch lives it: plan → approve → plan →
approve ships nothing twice, and two approvals racing each other ship the same stock once (issue #13)."""
import threading
from collections import Counter

import pytest


def _plan(system, headers):
    resp = system.http.post(system.url("/api/v1/rebalancing/plans"), json={"region": "SH"}, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _approve(system, headers, plan_id):
    return system.http.post(system.url(f"/api/v1/rebalancing/plans/{plan_id}/approve"), headers=headers)


def _open_plan_transfers(system, headers) -> Counter:
    """Requested or in-transit transfers created by plans, per (from, to, commodity)."""
    found = Counter()
    for status in ("requested", "in_transit"):
        resp = system.http.get(system.url("/api/v1/transfers"), params={"status": status}, headers=headers)
        for t in resp.json():
            if t["plan_id"]:
                for ln in t["lines"]:
                    found[(t["from_site"], t["to_site"], ln["component"], ln["abo"], ln["rhd"])] += 1
    return found


def test_plan_approve_plan_approve_with_racing_approvals_never_doubles_a_shipment(system):
    if not system.demo:
        pytest.skip("needs the demo network's stock (E2E_DEMO=1)")
    admin = system.admin()
    station = system.staff("rebalancing.station.hp", "station", site_id="SH-HP-S")
    before = _open_plan_transfers(system, admin)
    first, twin = _plan(system, admin), _plan(system, admin)     # the same stock and transfers: the same moves
    assert first["moves"] and first["moves"] == twin["moves"]
    assert _approve(system, station, first["id"]).status_code == 403       # moves leave other stations too

    barrier, results = threading.Barrier(2), {}

    def approve(plan):
        barrier.wait()
        results[plan["id"]] = _approve(system, admin, plan["id"])

    threads = [threading.Thread(target=approve, args=(p,)) for p in (first, twin)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409], [r.text for r in results.values()]
    [stale] = [r.json() for r in results.values() if r.status_code == 409]
    assert stale["code"] == "plan_stale" and stale["title"] == "调配方案已过期"
    [approved] = [r.json() for r in results.values() if r.status_code == 200]
    assert len(approved["transfer_ids"]) == len(first["moves"])

    second = _plan(system, admin)                                   # counts what the approved transfers promise
    assert second["moves"] == []
    assert second["before"]["shortfall_units"] == pytest.approx(first["after"]["shortfall_units"], abs=0.01)
    assert _approve(system, admin, second["id"]).status_code == 200     # nothing to create
    again = _approve(system, admin, approved["id"])
    assert again.status_code == 200 and again.json()["transfer_ids"] == approved["transfer_ids"]

    shipped = _open_plan_transfers(system, admin) - before
    assert sum(shipped.values()) == len(first["moves"]) and max(shipped.values()) == 1    # each move once
