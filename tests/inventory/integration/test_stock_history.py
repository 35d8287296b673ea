"""Stock history (#20): the daily snapshot job (idempotent upsert per Shanghai day, concurrent snapshotters, the
day boundary in Asia/Shanghai) and the two reads behind the console's charts (a site's history, levels per day)."""
import threading
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from inventory import jobs
from hemolink.calendar import SHANGHAI, shanghai_day
from inventory.orm import stock_snapshots
from inventory.policy import GROUPS, TRACKED_COMPONENTS
from inventory.services import history
from tests.helpers import auth

from .conftest import HOSPITAL1, STATION1

pytestmark = pytest.mark.usefixtures("network")
STATIONS = ("SH-S1", "SH-S2", "JS-S1", "JS-S2")          # tests/helpers.py NETWORK's stations
CELLS_PER_STATION = len(TRACKED_COMPONENTS) * len(GROUPS)
O_POS = {"component": "red_cells", "abo": "O", "rhd": "pos"}


def _demand(client, site_id, per_day, **group):
    resp = client.put(f"/api/v1/sites/{site_id}/demand", headers=auth("admin"),
                      json={"lines": [{**O_POS, **group, "units_per_day": per_day}]})
    assert resp.status_code == 200


def _rows(session_factory):
    with session_factory() as s:
        return {(r.site_id, r.day, r.component, r.abo, r.rhd): r for r in s.execute(select(stock_snapshots))}


def _count(session_factory):
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(stock_snapshots))


def _problem(resp, status):
    assert resp.status_code == status, resp.get_json()
    assert resp.content_type == "application/problem+json"
    return resp.get_json()


def test_a_second_snapshot_the_same_day_refreshes_the_days_rows_instead_of_adding(client, uow_factory,
                                                                                   session_factory, red_cells):
    now = datetime.now(timezone.utc)
    red_cells(10)
    _demand(client, "SH-S1", 5)
    assert history.take_snapshot(uow_factory(), now) == len(STATIONS) * CELLS_PER_STATION
    first = _rows(session_factory)
    key = ("SH-S1", shanghai_day(now), "red_cells", "O", "pos")
    assert (first[key].available_units, first[key].days_of_supply, first[key].level) == (10.0, 2.0, "orange")

    red_cells(20)                                      # the stock moved during the day
    later = now + timedelta(seconds=1)
    history.take_snapshot(uow_factory(), later)
    second = _rows(session_factory)
    assert second.keys() == first.keys()               # the same rows, one per key and day
    assert (second[key].available_units, second[key].days_of_supply, second[key].level) == (30.0, 6.0, "green")
    assert second[key].taken_at == later
    # what GET /stock says is what the day's snapshot holds
    live = next(r for r in client.get("/api/v1/stock", query_string={"site_id": "SH-S1"}, headers=STATION1)
                .get_json() if (r["component"], r["abo"], r["rhd"]) == ("red_cells", "O", "pos"))
    assert (live["available_units"], live["days_of_supply"], live["level"]) == (30.0, 6.0, "green")


def test_a_slower_snapshotter_with_an_older_picture_does_not_overwrite_a_newer_one(uow_factory, session_factory,
                                                                                   red_cells):
    now = datetime.now(timezone.utc)
    red_cells(10)
    history.take_snapshot(uow_factory(), now)
    red_cells(5)
    history.take_snapshot(uow_factory(), now - timedelta(seconds=30))     # computed earlier, committed later
    row = _rows(session_factory)[("SH-S1", shanghai_day(now), "red_cells", "O", "pos")]
    assert (row.available_units, row.taken_at) == (10.0, now)


def test_concurrent_snapshotters_leave_one_row_per_key(uow_factory, session_factory, red_cells):
    red_cells(7, site_id="SH-S2", abo="A")
    now = datetime.now(timezone.utc)
    n = 4
    barrier = threading.Barrier(n)
    results, errors = [], []

    def run(i):
        try:
            barrier.wait()
            results.append(history.take_snapshot(uow_factory(), now + timedelta(milliseconds=i)))
        except Exception as exc:        # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and results == [len(STATIONS) * CELLS_PER_STATION] * n
    rows = _rows(session_factory)
    assert _count(session_factory) == len(rows) == len(STATIONS) * CELLS_PER_STATION
    assert rows[("SH-S2", shanghai_day(now), "red_cells", "A", "pos")].available_units == 7.0
    assert {r.taken_at for r in rows.values()} == {now + timedelta(milliseconds=n - 1)}    # the newest won


def test_the_day_is_shanghais_2330_and_0030_are_two_days_on_the_same_utc_date(client, uow_factory,
                                                                              session_factory, red_cells):
    red_cells(3)
    day = datetime.now(SHANGHAI).date() - timedelta(days=2)
    late = datetime.combine(day, time(23, 30), SHANGHAI)
    early = late + timedelta(hours=1)                  # 00:30 the next Shanghai day
    assert late.astimezone(timezone.utc).date() == early.astimezone(timezone.utc).date()
    history.take_snapshot(uow_factory(), late)
    history.take_snapshot(uow_factory(), early)
    days = {k[1] for k in _rows(session_factory)}
    assert days == {day, day + timedelta(days=1)}
    got = client.get("/api/v1/stock/history", query_string={"site_id": "SH-S1", "days": 3, **O_POS},
                     headers=STATION1).get_json()
    assert [r["day"] for r in got] == [day.isoformat(), (day + timedelta(days=1)).isoformat()]


def test_site_history_covers_the_last_days_in_order_with_filters(client, uow_factory, red_cells):
    red_cells(4, abo="B", rhd="neg")
    now = datetime.now(timezone.utc)
    for back in (0, 1, 5, 27, 28, 40):
        history.take_snapshot(uow_factory(), now - timedelta(days=back))
    today = shanghai_day(now)

    def get(**args):
        resp = client.get("/api/v1/stock/history", query_string={"site_id": "SH-S1", **args}, headers=HOSPITAL1)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    rows = get()                                        # default: the last 28 days including today
    assert sorted({r["day"] for r in rows}) == [(today - timedelta(days=b)).isoformat() for b in (27, 5, 1, 0)]
    assert len(rows) == 4 * CELLS_PER_STATION and {r["site_id"] for r in rows} == {"SH-S1"}
    order = [(r["day"], r["component"], r["abo"], r["rhd"]) for r in rows]
    assert order == sorted(order)
    assert set(rows[0]) >= {"day", "site_id", "component", "abo", "rhd", "available_units", "days_of_supply", "level"}
    assert {r["day"] for r in get(days=1)} == {today.isoformat()}
    assert len({r["day"] for r in get(days=90)}) == 6
    b_neg = get(component="red_cells", abo="B", rhd="neg")
    assert [(r["day"], r["available_units"], r["days_of_supply"], r["level"]) for r in b_neg] == \
        [((today - timedelta(days=b)).isoformat(), 4.0, None, "green") for b in (27, 5, 1, 0)]
    assert {(r["component"], r["rhd"]) for r in get(rhd="neg", component="plasma")} == {("plasma", "neg")}
    assert {r["abo"] for r in get(abo="AB")} == {"AB"}
    # a known site without snapshots (a hospital: the job keeps stations) has an empty history, not an error
    assert get(site_id="SH-H1") == []


def test_levels_history_counts_cells_at_each_level_per_day(client, uow_factory, red_cells, immediate_levels):
    for site_id, held in (("SH-S1", 40), ("SH-S2", 29), ("JS-S1", 5), ("JS-S2", 60)):
        red_cells(held, site_id=site_id, region=site_id[:2])
        _demand(client, site_id, 10)                   # 4, 2.9, 0.5 and 6 days: yellow, orange, red, green
    now = datetime.now(timezone.utc)
    history.take_snapshot(uow_factory(), now - timedelta(days=2))
    history.take_snapshot(uow_factory(), now)
    today, before = shanghai_day(now).isoformat(), (shanghai_day(now) - timedelta(days=2)).isoformat()
    nothing = CELLS_PER_STATION - 1                    # every other cell: nothing held, no demand

    def get(**args):
        resp = client.get("/api/v1/stock/levels-history", query_string=args, headers=STATION1)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    sh = dict(green=0, yellow=1, orange=1, red=0, no_data=2 * nothing)
    assert get(region="SH") == [{"day": before, **sh}, {"day": today, **sh}]
    js = dict(green=1, yellow=0, orange=0, red=1, no_data=2 * nothing)
    assert get(region="JS", days=1) == [{"day": today, **js}]
    every = {k: sh[k] + js[k] for k in sh}
    assert get() == [{"day": before, **every}, {"day": today, **every}]
    per_component = len(GROUPS) - 1
    assert get(region="SH", component="red_cells", days=1) == \
        [{"day": today, "green": 0, "yellow": 1, "orange": 1, "red": 0, "no_data": 2 * per_component}]
    assert get(region="SH", component="platelets", days=1) == \
        [{"day": today, "green": 0, "yellow": 0, "orange": 0, "red": 0, "no_data": 2 * len(GROUPS)}]
    assert get(region="ZJ") == []                      # a known region without stations: no days


@pytest.mark.parametrize("path, args, status, field", [
    ("/api/v1/stock/history", {"site_id": "SH-S1", "days": 0}, 422, "days"),
    ("/api/v1/stock/history", {"site_id": "SH-S1", "days": 91}, 422, "days"),
    ("/api/v1/stock/history", {"site_id": "SH-S1", "days": "abc"}, 422, "days"),
    ("/api/v1/stock/history", {"days": 7}, 422, "site_id"),
    ("/api/v1/stock/history", {"site_id": "SH S1"}, 422, "site_id"),
    ("/api/v1/stock/history", {"site_id": "SH-S1", "component": "gold"}, 422, "component"),
    ("/api/v1/stock/history", {"site_id": "SH-S1", "abo": "C"}, 422, "abo"),
    ("/api/v1/stock/history", {"site_id": "SH-S1", "rhd": "+"}, 422, "rhd"),
    ("/api/v1/stock/levels-history", {"days": 0}, 422, "days"),
    ("/api/v1/stock/levels-history", {"days": 91}, 422, "days"),
    ("/api/v1/stock/levels-history", {"days": "abc"}, 422, "days"),
    ("/api/v1/stock/levels-history", {"region": "sh"}, 422, "region"),
    ("/api/v1/stock/levels-history", {"region": "XX"}, 422, "region"),
    ("/api/v1/stock/levels-history", {"component": "gold"}, 422, "component"),
])
def test_bad_history_queries_are_422_problems_and_change_nothing(client, uow_factory, session_factory, path, args,
                                                                 status, field):
    history.take_snapshot(uow_factory(), datetime.now(timezone.utc))
    before = _rows(session_factory)
    problem = _problem(client.get(path, query_string=args, headers=STATION1), status)
    assert field in str(problem.get("errors"))
    assert _rows(session_factory) == before


def test_unknown_site_is_404_and_non_staff_are_refused(client, uow_factory, session_factory):
    history.take_snapshot(uow_factory(), datetime.now(timezone.utc))
    before = _count(session_factory)
    missing = _problem(client.get("/api/v1/stock/history", query_string={"site_id": "NO-SUCH"}, headers=STATION1), 404)
    assert missing["code"] == "site_not_found" and "NO-SUCH" in missing["detail"]
    donor = auth("donor", donor_id="d-1")
    for path, args in (("/api/v1/stock/history", {"site_id": "SH-S1"}), ("/api/v1/stock/levels-history", {})):
        _problem(client.get(path, query_string=args, headers=donor), 403)
        _problem(client.get(path, query_string=args), 401)
        assert client.get(path, query_string=args, headers=auth("reviewer", region="SH")).status_code == 200
    assert _count(session_factory) == before


def test_the_snapshot_job_step_writes_todays_rows(session_factory):
    from inventory.config import Config

    now = datetime.now(timezone.utc)
    assert jobs.snapshot(session_factory, Config(), now=now) == {"snapshot_rows": len(STATIONS) * CELLS_PER_STATION}
    assert {k[1] for k in _rows(session_factory)} == {shanghai_day(now)}
    assert "snapshot" in {job.name for job in jobs.JOBS}
