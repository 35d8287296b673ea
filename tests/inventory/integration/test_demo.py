"""The reference network loads through the use cases, idempotently, with the ids other services' demos use."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from inventory import demo
from inventory.config import Config
from inventory.orm import site_demand, units
from inventory.reference_network import PLACES
from tests.helpers import auth

SOME = [p for p in PLACES if p[0] in ("HP", "PD", "NJ")]


def test_the_demo_network_loads_once_with_demand_and_a_spread_of_stock(inventory_db, client, session_factory):
    now = datetime.now(timezone.utc)
    first = demo.load(Config(database_url=inventory_db), places=SOME, now=now)
    assert first["sites_created"] == 6 and first["units_created"] > 1000
    assert demo.load(Config(database_url=inventory_db), places=SOME, now=now)["sites_created"] == 0   # idempotent
    listed = {s["id"]: s for s in client.get("/api/v1/sites", headers=auth("admin")).get_json()}
    assert {"SH-HP-S", "SH-PD-S", "SH-HP-H", "JS-NJ-S"} <= set(listed)          # gateway and donor demos use these
    assert listed["SH-HP-H"]["supplier_id"] == "SH-HP-S" and listed["JS-NJ-S"]["region"] == "JS"
    with session_factory() as s:
        assert s.execute(select(func.count()).select_from(units)).scalar_one() == first["units_created"]
        sh_red = s.execute(select(func.sum(site_demand.c.units_per_day)).where(
            site_demand.c.component == "red_cells", site_demand.c.site_id.in_(("SH-HP-H", "SH-PD-H")))).scalar_one()
        expiries = s.execute(select(units.c.expires_at).where(units.c.component == "red_cells")).scalars().all()
    # Huangpu + Pudong hold 634k of Shanghai's 24.87 M people: their share of ~1,500 U red cells a day
    assert sh_red == __import__("pytest").approx(1500 * 634.4 / 2487.3, rel=0.01)
    days_left = sorted((e.replace(tzinfo=timezone.utc) - now).days for e in expiries)
    assert days_left[0] <= 3 and days_left[-1] >= 30                              # a spread of expiry dates
    stock = client.get("/api/v1/stock", query_string={"site_id": "SH-PD-S"}, headers=auth("admin")).get_json()
    o_pos = next(r for r in stock if (r["component"], r["abo"], r["rhd"]) == ("red_cells", "O", "pos"))
    assert 2 <= o_pos["days_of_supply"] <= 10.5 and o_pos["daily_demand"] > 100


def test_the_demo_shows_one_open_excursion_holding_the_fridge_s_bags_and_a_reserve(inventory_db, client):
    now = datetime.now(timezone.utc)
    loaded = demo.load(Config(database_url=inventory_db), places=SOME, now=now)
    assert loaded["cold_chain_excursions"] == 1
    assert demo.load(Config(database_url=inventory_db), places=SOME, now=now)["cold_chain_excursions"] == 0
    [exc] = client.get("/api/v1/cold-chain/excursions", headers=auth("admin")).get_json()
    assert (exc["site_id"], exc["status"], exc["max_c"], len(exc["unit_ids"])) == ("SH-HP-S", "open", 8.9, 4)
    statuses = {client.get(f"/api/v1/units/{u}", headers=auth("admin")).get_json()["status"] for u in exc["unit_ids"]}
    assert statuses == {"quarantined"}
    stock = client.get("/api/v1/stock", query_string={"site_id": "SH-HP-S"}, headers=auth("admin")).get_json()
    o_pos = next(r for r in stock if (r["component"], r["abo"], r["rhd"]) == ("red_cells", "O", "pos"))
    assert o_pos["reserve_units"] == 40.0 and o_pos["reserve_days"] > 0


def test_the_demo_shows_one_recall_reaching_shanghai_and_jiangsu(inventory_db, client):
    now = datetime.now(timezone.utc)
    assert demo.load(Config(database_url=inventory_db), places=SOME, now=now)["recalls_created"] == 1
    assert demo.load(Config(database_url=inventory_db), places=SOME, now=now)["recalls_created"] == 0
    [recall] = client.get("/api/v1/recalls", headers=auth("admin")).get_json()
    assert recall["marker"] == "hiv" and recall["hospitals"] == ["JS-NJ-H", "SH-HP-H"]
    answers = {ln["hospital_id"]: ln["answer"] for ln in recall["lines"]}
    assert answers == {"JS-NJ-H": "returned", "SH-HP-H": None} and recall["status"] == "open"
    assert len(recall["held_unit_ids"]) == 4      # the donation on the shelf (2 bags), the issued ones' plasma


def test_the_demo_has_four_weeks_of_stock_history_ending_in_todays_real_snapshot(inventory_db, client,
                                                                                  session_factory):
    from inventory.orm import stock_snapshots

    now = datetime.now(timezone.utc)
    loaded = demo.load(Config(database_url=inventory_db), places=SOME, now=now)
    stations, cells = 3, 3 * 8
    assert loaded["history_rows_created"] == stations * cells * 27
    with session_factory() as s:
        count = s.execute(select(func.count()).select_from(stock_snapshots)).scalar_one()
    assert count == stations * cells * 28
    assert demo.load(Config(database_url=inventory_db), places=SOME, now=now)["history_rows_created"] == 0
    with session_factory() as s:
        assert s.execute(select(func.count()).select_from(stock_snapshots)).scalar_one() == count

    admin = auth("admin")
    rows = client.get("/api/v1/stock/history", headers=admin, query_string={
        "site_id": "SH-PD-S", "component": "red_cells", "abo": "O", "rhd": "pos"}).get_json()
    assert len(rows) == 28 and len({r["day"] for r in rows}) == 28
    live = next(r for r in client.get("/api/v1/stock", query_string={"site_id": "SH-PD-S"}, headers=admin).get_json()
                if (r["component"], r["abo"], r["rhd"]) == ("red_cells", "O", "pos"))
    assert (rows[-1]["available_units"], rows[-1]["days_of_supply"], rows[-1]["level"]) == \
        (live["available_units"], live["days_of_supply"], live["level"])
    assert len({r["days_of_supply"] for r in rows}) > 10                        # a trend, not a flat line
    levels = client.get("/api/v1/stock/levels-history", query_string={"region": "SH"}, headers=admin).get_json()
    assert len(levels) == 28
    assert all(sum(d[k] for k in ("green", "yellow", "orange", "red", "no_data")) == 2 * cells for d in levels)
    assert sum(d["yellow"] + d["orange"] + d["red"] for d in levels) > 0        # the chart shows some warnings
