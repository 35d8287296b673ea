"""Cold-chain races with real threads: the same out-of-range batch from eight gateway retries at once makes one
excursion and stores each reading once; concurrent release and discard of one excursion: exactly one applies."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from inventory.orm import excursions, temperature_readings
from inventory.orm import units as units_table
from inventory.services import cold_chain
from servicekit.auth import Principal
from servicekit.outbox import envelopes

from .conftest import STATION1

pytestmark = pytest.mark.usefixtures("network")
S1 = Principal.from_claims({"sub": "station-sh-s1", "role": "station", "site_id": "SH-S1", "region": "SH"})


def _race(n, fn):
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture
def fridge(client, red_cells, uow_factory):
    now = datetime.now(timezone.utc)
    location = client.post("/api/v1/cold-chain/locations", headers=STATION1,
                           json={"site_id": "SH-S1", "kind": "fridge", "name": "并发冰箱"}).get_json()["id"]
    bags = red_cells(3)
    cold_chain.place_units(uow_factory(), S1, location_id=location, unit_ids=bags, now=now - timedelta(hours=3))
    base = now - timedelta(hours=2)
    readings = [{"location_id": location, "at": (base + timedelta(minutes=m)).isoformat(), "celsius": c}
                for m, c in ((0, 4.0), (5, 9.0), (50, 9.0), (55, 4.0))]
    return location, bags, readings


def test_eight_concurrent_copies_of_a_batch_make_one_excursion(app, fridge, session_factory):
    _, bags, readings = fridge

    def post(_):
        resp = app.test_client().post("/api/v1/cold-chain/readings", json={"readings": readings}, headers=STATION1)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    results = _race(8, post)
    assert sum(r["stored"] for r in results) == 4 and sum(r["duplicates"] for r in results) == 28
    assert len({e["id"] for r in results for e in r["excursions"]}) == 1
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(excursions)) == 1
        assert s.scalar(select(func.count()).select_from(temperature_readings)) == 4
        held = s.execute(select(units_table.c.status, units_table.c.hold_ref)
                         .where(units_table.c.id.in_(bags))).all()
    assert len({h.hold_ref for h in held}) == 1 and {h.status for h in held} == {"quarantined"}
    assert [e["type"] for e in envelopes(session_factory)].count("ColdChainExcursionDetected") == 1


def test_concurrent_release_and_discard_apply_exactly_one(app, client, fridge, session_factory):
    _, bags, readings = fridge
    [exc] = client.post("/api/v1/cold-chain/readings", json={"readings": readings},
                        headers=STATION1).get_json()["excursions"]

    def decide(i):
        decision = "release" if i % 2 else "discard"
        resp = app.test_client().post(f"/api/v1/cold-chain/excursions/{exc['id']}/decision", headers=STATION1,
                                      json={"decision": decision, "reason": f"并发 {i}"})
        return resp.status_code, decision

    results = _race(8, decide)
    winners = [d for code, d in results if code == 200]
    assert len(winners) == 1 and sorted(code for code, _ in results) == [200] + [409] * 7
    with session_factory() as s:
        statuses = set(s.execute(select(units_table.c.status).where(units_table.c.id.in_(bags))).scalars())
    assert statuses == {"available" if winners[0] == "release" else "discarded"}
    decided = [e for e in envelopes(session_factory) if e["type"] == "ColdChainExcursionDecided"]
    assert len(decided) == 1 and decided[0]["data"]["decision"] == winners[0]
