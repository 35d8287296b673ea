"""Races with real threads: fifty hospital orders for the last ten bags, and dispatch against orders."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from inventory.orm import units as units_table
from tests.helpers import auth

pytestmark = pytest.mark.usefixtures("network")
LINE = {"component": "red_cells", "abo": "O", "rhd": "pos", "units": 1}


def _race(n, fn):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_50_concurrent_orders_for_the_last_10_units_allocate_exactly_10_none_twice(app, red_cells, session_factory):
    ids = red_cells(10)
    headers = auth("hospital", site_id="SH-H1", region="SH")

    def order(_):
        client = app.test_client()                     # one client per thread, one transaction per request
        resp = client.post("/api/v1/orders", json={"lines": [LINE], "priority": "urgent"}, headers=headers)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    results = _race(50, order)
    allocated = [u["id"] for r in results for u in r["allocations"]]
    assert len(allocated) == 10 and set(allocated) == set(ids)          # exactly ten, none twice
    assert sorted(r["status"] for r in results) == ["backordered"] * 40 + ["fulfilled"] * 10
    with session_factory() as s:
        rows = s.execute(select(units_table.c.id, units_table.c.status, units_table.c.order_id)).all()
    assert {r.status for r in rows} == {"issued"}
    by_order = {r["id"]: {u["id"] for u in r["allocations"]} for r in results}
    assert all(r.id in by_order[r.order_id] for r in rows)             # the row agrees with the order that got it


def test_a_dispatch_racing_orders_never_shares_a_bag(app, red_cells, session_factory):
    red_cells(12)
    station = auth("station", site_id="SH-S1", region="SH")
    transfer = app.test_client().post("/api/v1/transfers", headers=station, json={
        "from_site": "SH-S1", "to_site": "SH-S2", "lines": [{**LINE, "units": 6}], "reason": "调剂"}).get_json()
    hospital = auth("hospital", site_id="SH-H1", region="SH")

    def act(i):
        client = app.test_client()
        if i == 0:
            return client.post(f"/api/v1/transfers/{transfer['id']}/dispatch", headers=station)
        return client.post("/api/v1/orders", json={"lines": [LINE], "priority": "urgent"}, headers=hospital)

    results = _race(12, act)
    with session_factory() as s:
        rows = s.execute(select(units_table.c.status, units_table.c.order_id, units_table.c.transfer_id)).all()
    assert all(not (r.order_id and r.transfer_id) for r in rows)
    issued = sum(r.status == "issued" for r in rows)
    moving = sum(r.status == "in_transit" for r in rows)
    orders_got = sum(len(r.get_json()["allocations"]) for r in results[1:])
    assert issued == orders_got and issued + moving + sum(r.status == "available" for r in rows) == 12
    if results[0].status_code == 200:
        assert moving == 6
    else:                                               # orders took enough first: nothing moved at all
        assert results[0].get_json()["code"] == "insufficient_stock" and moving == 0


def test_paged_candidates_are_exactly_the_fefo_list_across_pages_and_ties(session_factory):
    """Orders read the shelf a page at a time; ties on expiry continue by id across a page boundary."""
    import uuid as _uuid
    from datetime import datetime, timedelta, timezone

    from inventory.orm import units as units_table
    from inventory.repository import UnitRepository

    now = datetime.now(timezone.utc)
    rows = [dict(id=str(_uuid.uuid4()), din=f"P{i:012d}", donor_id=None, component="red_cells", abo="B", rhd="pos",
                 units=1.0, volume_ml=200, status="available", site_id="SH-PAGE", collected_at=now - timedelta(days=2),
                 expires_at=now + timedelta(days=10 + i % 3), issued_to=None, order_id=None, bag_no=0)
            for i in range(50)]
    with session_factory.begin() as s:
        s.execute(units_table.insert(), rows)
    with session_factory() as s:
        repo = UnitRepository(s)
        whole = [tuple(r) for r in repo.available_candidates("SH-PAGE", "red_cells", "B", "pos", now)]
        paged = [tuple(r) for r in repo.iter_available("SH-PAGE", "red_cells", "B", "pos", now, page=7)]
    assert len(whole) == 50 and paged == whole
