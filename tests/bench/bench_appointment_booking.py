"""Appointment booking (#21): throughput, and a race on a slot's last place that must never overbook.

In-process, on PostgreSQL (the production database), through the donor app's real route and use case (Flask's test
client, one per thread; no gateway, no other service):

- **Throughput**: THREADS threads book `POST /api/v1/me/appointments` for distinct donors (one booking each: a donor
  holds one at a time), spread over the slots of several points a few days ahead, so a round measures the booking
  path (pre-screening, eligibility on the donor's history, the slot's conditional update, the outbox row, the
  confirmation) rather than one row's lock. Baseline, in the same run: the same threads reading one donor by id
  (`GET /api/v1/donors/{id}`, the trivial authenticated read `make bench`'s gateway hop uses). The two alternate
  round by round (A B, B A, A B: a drifting machine favours neither, as tests/bench/rounds.py explains) and the
  figure is the median of the rounds' ratios, printed with each round's.
- **Race**: RACE_THREADS donors released together by a barrier on one slot whose last place is left (its other
  places booked first), RACE_ROUNDS times on fresh slots. Each round must book exactly one; `overbooked` counts
  bookings beyond a slot's capacity in the database afterwards and must be 0.

`python -m tests.bench.bench_appointment_booking`; `make bench` picks up run() -> dict.
"""
from __future__ import annotations

import itertools
import statistics
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from donor.app import create_app
from donor.model import shanghai_day
from donor.prescreen import CODES
from donor.services import donors
from donor.unit_of_work import DonorUnitOfWork
from servicekit.db import make_engine, make_session_factory
from servicekit.pii import PiiVault
from servicekit.testing import DatabaseFactory
from tests.bench import rounds
from tests.helpers import PII_KEY, SERVICE_KEYS, auth, make_national_id

THREADS = 4
POINTS = 4
CAPACITY = 40                     # whole-blood places per slot at the throughput points
RACE_THREADS, RACE_ROUNDS, RACE_CAPACITY = 32, 5, 4
ROUND_DONORS = 1500               # more than a round has booked on this machine (a round that runs out stops early)
ALL_WELL = {"feeling_well": True} | {code: False for code in CODES if code != "feeling_well"}
HOURS = {str(d): [["08:00", "20:00"]] for d in range(1, 8)}
STATION = auth("station", site_id="SH-S01", region="SH")


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        factory = DatabaseFactory(Path(tmp))
        try:
            return _measure(factory.new("donor", "postgresql"))
        finally:
            factory.drop_all()


def _measure(url: str) -> dict:
    app = _APP["app"] = create_app(database_url=url, **SERVICE_KEYS, pii_key=PII_KEY, log_level="WARNING")
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        client = app.test_client()
        points = [_house(client, f"基准献血屋 {i + 1}", CAPACITY) for i in range(POINTS)]
        day = shanghai_day(datetime.now(timezone.utc)) + timedelta(days=2)
        slots = [s["starts_at"] for k in range(7) for s in client.get(
            f"/api/v1/donation-points/{points[0]}", query_string={"date": (day + timedelta(days=k)).isoformat()}
        ).get_json()["slots"] if s["kind"] == "whole_blood"]
        pool = _DonorPool(sessions)
        reader = pool.take(1)[0]
        _load(lambda c, i, donor: c.post("/api/v1/me/appointments", json=_booking(points, slots, i),
                                         headers=_me(donor)), pool, 1.0)                     # warm
        _load(lambda c, i, donor: c.get(f"/api/v1/donors/{reader}", headers=STATION), None, 1.0)
        base, booked, ratios = [], [], []
        for n in range(rounds.ROUNDS):
            pair = [(base, lambda: _load(lambda c, i, _: c.get(f"/api/v1/donors/{reader}", headers=STATION),
                                         None, rounds.ROUND_S)),
                    (booked, lambda: _load(lambda c, i, donor: c.post(
                        "/api/v1/me/appointments", json=_booking(points, slots, i), headers=_me(donor)),
                        pool, rounds.ROUND_S))]
            for results, load in pair if n % 2 == 0 else reversed(pair):
                results.append(load())
            ratios.append(booked[-1]["rps"] / base[-1]["rps"])
        race = _race(client, pool, day + timedelta(days=8))
        failed = sum(r["failed"] for r in booked)
        overbooked = _overbooked(sessions)
        return {
            "bookings_per_s": round(statistics.median(r["rps"] for r in booked), 1),
            "booking_p50_ms": round(statistics.median(r["p50_ms"] for r in booked), 1),
            "trivial_get_per_s": round(statistics.median(r["rps"] for r in base), 1),
            "bookings_vs_trivial_get": rounds.describe(ratios).strip(),
            "bookings_refused_in_rounds": failed,
            "threads": THREADS,
            "race": f"{RACE_THREADS} threads x {RACE_ROUNDS} slots, last place of {RACE_CAPACITY}",
            "race_winners_per_round": race["winners"],
            "race_refusals_slot_full": race["slot_full"],
            "race_other_errors": race["other"],
            "overbooked": overbooked,
        }
    finally:
        engine.dispose()


def _house(client, name: str, capacity: int) -> str:
    resp = client.post("/api/v1/donation-points", headers=STATION, json={
        "name": name, "kind": "house", "address": "上海市黄浦区", "lat": 31.23, "lon": 121.47, "slot_minutes": 30,
        "capacity": {"whole_blood": capacity}, "hours": HOURS})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


_BOOKINGS = itertools.count()     # across rounds: each round books the next places, never the ones filled before


def _booking(points: list[str], slots: list[str], _i: int) -> dict:
    """The next booking's point and slot: consecutive requests land on different points and slots."""
    j = next(_BOOKINGS)
    return {"point_id": points[j % len(points)], "kind": "whole_blood",
            "starts_at": slots[(j // len(points)) % len(slots)], "answers": ALL_WELL}


def _me(donor_id: str) -> dict:
    return auth("donor", sub=donor_id, donor_id=donor_id)


class _DonorPool:
    """Registered donors who have never booked, handed out once each (registered ahead of the round that needs
    them, outside its clock)."""

    def __init__(self, sessions):
        self.sessions, self.ready, self.lock, self.seq = sessions, [], threading.Lock(), 0

    def take(self, n: int) -> list[str]:
        with self.lock:
            while len(self.ready) < n:
                self.ready.extend(self._register(max(200, n - len(self.ready))))
            out, self.ready = self.ready[:n], self.ready[n:]
            return out

    def _register(self, n: int) -> list[str]:
        vault, out = PiiVault(PII_KEY), []
        for _ in range(n):
            self.seq += 1
            birth = date(1980, 1, 1) + timedelta(days=self.seq // 400)
            donor = donors.register_donor(
                DonorUnitOfWork(self.sessions), vault, name=f"基准{self.seq}", abo="O", rhd="pos", region="SH",
                national_id=make_national_id(birth=birth.strftime("%Y%m%d"), seq=self.seq % 400),
                phone=f"137{self.seq:08d}", site_id="SH-S01")
            out.append(donor.id)
        return out


def _load(request, pool: _DonorPool | None, seconds: float) -> dict:
    """THREADS threads sending `request(client, i, donor_id)` for `seconds`; each donor books once, so the pool
    is filled ahead, off the clock, with more donors than a round books."""
    donors_ = pool.take(ROUND_DONORS) if pool else []
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []
    failed = [0]
    counter = iter(range(10**9))
    lock = threading.Lock()

    def worker():
        client = _app_client()
        while time.perf_counter() < stop_at:
            with lock:
                i = next(counter)
                if pool and i >= len(donors_):
                    return
            t0 = time.perf_counter()
            resp = request(client, i, donors_[i] if pool else None)
            took = time.perf_counter() - t0
            with lock:
                latencies.append(took * 1000)
                if resp.status_code >= 300:
                    failed[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if pool:
        with pool.lock:        # the donors this round did not reach stay unbooked: give them back
            used = len(latencies)
            pool.ready = donors_[used:] + pool.ready
    return {"rps": len(latencies) / elapsed, "p50_ms": statistics.median(latencies) if latencies else 0.0,
            "failed": failed[0], "requests": len(latencies)}


_APP = {}


def _app_client():
    return _APP["app"].test_client()


def _race(client, pool: _DonorPool, day: date) -> dict:
    point = _house(client, "基准抢号献血屋", RACE_CAPACITY)
    slots = [s["starts_at"] for s in client.get(f"/api/v1/donation-points/{point}",
                                                query_string={"date": day.isoformat()}).get_json()["slots"]]
    winners, slot_full, other = [], 0, 0
    for r in range(RACE_ROUNDS):
        at = slots[r]
        for donor in pool.take(RACE_CAPACITY - 1):           # all but the last place taken
            resp = client.post("/api/v1/me/appointments", headers=_me(donor),
                               json={"point_id": point, "kind": "whole_blood", "starts_at": at, "answers": ALL_WELL})
            assert resp.status_code == 201, resp.get_json()
        racers = pool.take(RACE_THREADS)
        barrier = threading.Barrier(RACE_THREADS)
        answers: list[tuple[int, str | None]] = []
        lock = threading.Lock()

        def attempt(donor):
            c = _app_client()
            barrier.wait()
            resp = c.post("/api/v1/me/appointments", headers=_me(donor),
                          json={"point_id": point, "kind": "whole_blood", "starts_at": at, "answers": ALL_WELL})
            with lock:
                answers.append((resp.status_code, (resp.get_json() or {}).get("code")))

        threads = [threading.Thread(target=attempt, args=(d,)) for d in racers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners.append(sum(s == 201 for s, _ in answers))
        slot_full += sum(code == "slot_full" for s, code in answers if s != 201)
        other += sum(code != "slot_full" for s, code in answers if s != 201)
    return {"winners": winners, "slot_full": slot_full, "other": other}


def _overbooked(sessions) -> int:
    """Bookings beyond capacity in any slot of any point, counted from the appointments themselves (not from the
    counters the booking updates, which is what is under test)."""
    with sessions() as s:
        capacity = {point_id: places for point_id, places in s.execute(text(
            "SELECT id, capacity FROM donation_points"))}
        rows = s.execute(text("SELECT point_id, starts_at, count(*) FROM appointments WHERE status = 'booked' "
                              "AND kind = 'whole_blood' GROUP BY point_id, starts_at")).all()
    return sum(max(0, n - capacity[point_id]["whole_blood"]) for point_id, _, n in rows)


if __name__ == "__main__":
    started = time.perf_counter()
    for key, value in run().items():
        print(f"{key:<40} {value}")
    print(f"{'(bench took)':<40} {time.perf_counter() - started:.0f} s")
