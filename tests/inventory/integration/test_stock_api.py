"""Stock and warning levels: days of supply, baseline then 28-day moving average, StockLevelChanged on change
only, the expiry job."""
from datetime import datetime, timedelta, timezone

import pytest

from inventory import jobs
from inventory.services import orders
from tests.helpers import auth

from .conftest import HOSPITAL1, STATION1, STATION2

pytestmark = pytest.mark.usefixtures("network")
O_POS = {"component": "red_cells", "abo": "O", "rhd": "pos"}


def _demand(client, site_id, per_day, headers=None, **group):
    return client.put(f"/api/v1/sites/{site_id}/demand", headers=headers or auth("admin"),
                      json={"lines": [{**O_POS, **group, "units_per_day": per_day}]})


def _row(client, site_id="SH-S1", **group):
    rows = client.get("/api/v1/stock", query_string={"site_id": site_id}, headers=STATION1).get_json()
    want = {**O_POS, **group}
    return next(r for r in rows if all(r[k] == v for k, v in want.items()))


def _order(client, units):
    return client.post("/api/v1/orders", headers=HOSPITAL1,
                       json={"lines": [{**O_POS, "units": units}], "priority": "urgent"}).get_json()


def test_levels_follow_days_of_supply_and_are_announced_only_when_they_change(client, red_cells, events,
                                                                             immediate_levels):
    red_cells(60)
    assert _demand(client, "SH-S1", 10).status_code == 200
    assert [e["data"]["level"] for e in events("StockLevelChanged")] == []       # 6 days: green
    _order(client, 20)                                   # 40 U = 4 days: yellow
    _order(client, 1)                                    # 39 U: still yellow, no event
    _order(client, 10)                                   # 29 U = 2.9 days: orange
    changes = [(e["data"]["previous_level"], e["data"]["level"], e["data"]["available_units"])
               for e in events("StockLevelChanged")]
    assert changes == [("green", "yellow", 40.0), ("yellow", "orange", 29.0)]
    assert events("StockLevelChanged")[0]["subject"] == "SH-S1:red_cells:O:pos"
    row = _row(client)
    assert (row["available_units"], row["daily_demand"], row["days_of_supply"], row["level"]) == (29.0, 10.0, 2.9, "orange")


def test_shanghai_raises_yellow_only_after_more_than_3_days_below_5_days_and_orange_at_once(
        client, red_cells, events, uow_factory, session_factory):
    from sqlalchemy import update

    from inventory.orm import stock_levels
    from inventory.services import stock

    red_cells(60)
    _demand(client, "SH-S1", 10)
    _order(client, 20)                                   # 40 U = 4 days: below 5, since just now
    assert _row(client)["level"] == "green" and not events("StockLevelChanged")

    def below_since(delta):                              # as if the stock had been below 5 days for `delta`
        with session_factory() as s, s.begin():
            s.execute(update(stock_levels).where(stock_levels.c.site_id == "SH-S1", stock_levels.c.abo == "O",
                                                 stock_levels.c.rhd == "pos", stock_levels.c.component == "red_cells")
                      .values(yellow_since=datetime.now(timezone.utc) - delta))
    below_since(timedelta(days=3) - timedelta(minutes=1))
    assert _row(client)["level"] == "green"               # not yet more than 3 consecutive days
    below_since(timedelta(days=3, minutes=1))
    assert _row(client)["level"] == "yellow"
    stock.refresh_all(uow_factory(), datetime.now(timezone.utc))          # the periodic job announces it
    assert [(e["data"]["previous_level"], e["data"]["level"]) for e in events("StockLevelChanged")] == \
        [("green", "yellow")]
    _order(client, 11)                                   # 29 U = 2.9 days: orange at once
    assert _row(client)["level"] == "orange"


def test_stock_lists_every_group_of_every_station_with_filters(client, red_cells):
    red_cells(3, site_id="JS-S1", abo="AB", rhd="neg")
    rows = client.get("/api/v1/stock", headers=HOSPITAL1).get_json()
    assert {r["site_id"] for r in rows} == {"SH-S1", "SH-S2", "JS-S1", "JS-S2"}          # stations, not hospitals
    assert len([r for r in rows if r["site_id"] == "SH-S1"]) == 3 * 8
    js = client.get("/api/v1/stock", query_string={"region": "JS"}, headers=STATION1).get_json()
    assert {r["site_id"] for r in js} == {"JS-S1", "JS-S2"}
    ab_neg = _row(client, "JS-S1", abo="AB", rhd="neg")
    assert (ab_neg["available_units"], ab_neg["days_of_supply"], ab_neg["level"]) == (3.0, None, "green")  # no demand
    assert client.get("/api/v1/stock", query_string={"region": "js"}, headers=STATION1).status_code == 422
    assert client.get("/api/v1/stock", headers=auth("donor", donor_id="d")).status_code == 403
    assert client.get("/api/v1/stock").status_code == 401


def test_after_28_days_of_issues_the_moving_average_replaces_the_baseline(client, red_cells, uow_factory):
    _demand(client, "SH-S1", 100)                        # baseline: 100 U a day
    red_cells(60)
    now = datetime.now(timezone.utc)
    line = [{**O_POS, "units": 2}]
    orders.place_order(uow_factory(), hospital_id="SH-H1", lines=line, priority="urgent", now=now - timedelta(days=20))
    assert _row(client)["daily_demand"] == 100          # 20 days of history: not enough, the baseline counts
    orders.place_order(uow_factory(), hospital_id="SH-H1", lines=line, priority="urgent", now=now - timedelta(days=30))
    line = [{**O_POS, "units": 26}]
    orders.place_order(uow_factory(), hospital_id="SH-H1", lines=line, priority="urgent", now=now - timedelta(days=10))
    row = _row(client)                                   # 30 days of history; 28 U in the last 28 days = 1 U a day
    assert (row["daily_demand"], row["available_units"], row["days_of_supply"], row["level"]) == (1.0, 30.0, 30.0, "green")


def test_demand_is_set_by_admin_or_the_station_of_that_site_only(client, state):
    before = state()
    assert _demand(client, "SH-S1", 5, headers=STATION2).status_code == 403
    assert _demand(client, "SH-S1", 5, headers=HOSPITAL1).status_code == 403
    assert _demand(client, "SH-H2", 5, headers=STATION1).status_code == 403    # supplied by SH-S2, not SH-S1
    assert _demand(client, "NOPE", 5).status_code == 404
    assert _demand(client, "SH-S1", -1).status_code == 422
    dup = client.put("/api/v1/sites/SH-S1/demand", headers=auth("admin"), json={"lines": [
        {**O_POS, "units_per_day": 1}, {**O_POS, "units_per_day": 2}]})
    assert dup.status_code == 422
    assert state() == before
    assert _demand(client, "SH-S1", 5, headers=STATION1).status_code == 200
    assert _demand(client, "SH-H1", 7, headers=STATION1).status_code == 200   # its own hospital
    got = client.get("/api/v1/sites/SH-S1/demand", headers=HOSPITAL1).get_json()
    assert got == {"site_id": "SH-S1", "lines": [{**O_POS, "units_per_day": 5.0}]}
    assert _row(client)["daily_demand"] == 12.0                                # the station's own + its hospital's


def test_a_new_demand_can_raise_a_warning_at_once(client, red_cells, events):
    red_cells(5)
    _demand(client, "SH-S1", 10)                         # 0.5 days: red
    [change] = events("StockLevelChanged")
    assert (change["data"]["previous_level"], change["data"]["level"], change["data"]["days_of_supply"]) == \
        ("green", "red", 0.5)


def test_the_expiry_job_marks_units_past_their_time_and_refreshes_levels(client, red_cells, uow_factory, events):
    _demand(client, "SH-S1", 1)
    old = red_cells(3, days_ago=34.9)
    fresh = red_cells(10)
    summary = jobs.run_once(uow_factory, now=datetime.now(timezone.utc) + timedelta(days=0.5))
    assert summary["expired"] == 3
    assert {client.get(f"/api/v1/units/{u}", headers=STATION1).get_json()["status"] for u in old} == {"expired"}
    assert {client.get(f"/api/v1/units/{u}", headers=STATION1).get_json()["status"] for u in fresh} == {"available"}
    assert sorted(e["subject"] for e in events("UnitExpired")) == sorted(old)
    assert jobs.run_once(uow_factory)["expired"] == 0
    history = client.get(f"/api/v1/units/{old[0]}", headers=STATION1).get_json()["history"]
    assert history[-1]["kind"] == "expired"


def test_unknown_site_and_region_are_errors_and_nothing_known_is_no_data_not_green(client, red_cells, events):
    missing = client.get("/api/v1/stock", query_string={"site_id": "NO-SUCH"}, headers=STATION1)
    assert missing.status_code == 404 and missing.get_json()["code"] == "site_not_found"
    assert "NO-SUCH" in missing.get_json()["detail"]
    unknown = client.get("/api/v1/stock", query_string={"region": "XX"}, headers=STATION1)
    assert unknown.status_code == 422 and unknown.get_json()["errors"] == {"region": ["未知地区：XX"]}
    # a region of the policy tables with no station registered yet is known, and empty
    assert client.get("/api/v1/stock", query_string={"region": "ZJ"}, headers=STATION1).get_json() == []

    red_cells(2, site_id="SH-S2", abo="A")
    assert _demand(client, "SH-S2", 1, abo="B").status_code == 200
    rows = {(r["abo"], r["rhd"]): r for r in client.get("/api/v1/stock", query_string={"site_id": "SH-S2"},
                                                         headers=STATION1).get_json() if r["component"] == "red_cells"}
    assert rows[("O", "pos")]["level"] == "no_data"               # nothing held, no demand known
    assert rows[("A", "pos")]["level"] == "green"                 # held, nothing used: no shortage
    assert rows[("B", "pos")]["level"] == "red"                   # used, none held
    assert "no_data" not in {e["data"]["level"] for e in events("StockLevelChanged")}


def test_the_policy_in_force_gives_the_legend_its_thresholds_per_component(client):
    body = client.get("/api/v1/stock/policy", query_string={"region": "SH"}, headers=HOSPITAL1).get_json()
    assert body["levels"] == ["green", "yellow", "orange", "red", "no_data"]
    assert body["thresholds"]["red_cells"] == {"yellow_below_days": 5, "orange_below_days": 3, "red_below_days": 1}
    assert body["thresholds"]["platelets"]["yellow_below_days"] == 2
    assert (body["sustain_days"], body["escalation_sustain_days"]) == (3, 0)     # yellow after > 3 days; the rest at once
    assert client.get("/api/v1/stock/policy", query_string={"region": "XX"}, headers=HOSPITAL1).status_code == 422
    assert client.get("/api/v1/stock/policy", headers=auth("donor", donor_id="d")).status_code == 403


def test_the_policy_names_the_region_asked_about_and_the_version_in_force(client):
    jiangsu = client.get("/api/v1/stock/policy", query_string={"region": "JS"}, headers=HOSPITAL1).get_json()
    assert (jiangsu["region"], jiangsu["effective_from"]) == ("JS", "2017-09-01")
    # A region with sites but no policy of its own is judged by Shanghai's: the legend says so under its own name.
    site = {"id": "XY-S1", "name": "新区血站", "kind": "station", "region": "XY"}
    assert client.post("/api/v1/sites", json=site, headers=auth("admin")).status_code == 201
    borrowed = client.get("/api/v1/stock/policy", query_string={"region": "XY"}, headers=HOSPITAL1).get_json()
    shanghai = client.get("/api/v1/stock/policy", query_string={"region": "SH"}, headers=HOSPITAL1).get_json()
    assert (borrowed["region"], shanghai["region"]) == ("XY", "SH")
    assert {**borrowed, "region": "SH"} == shanghai and shanghai["effective_from"] == "2010-07-01"


def test_after_8_weeks_of_issues_the_forecast_replaces_the_moving_average(client, red_cells, uow_factory):
    """Working days issue 3 U, weekends and public holidays 1 U: the forecast sees the week ahead (and its
    holidays and 调休) where the 28-day average sees a flat mean."""
    from inventory import forecast
    from inventory.policy import FORECAST
    from hemolink.calendar import SHANGHAI

    _demand(client, "SH-S1", 100)
    red_cells(260)
    now = datetime.now(timezone.utc)
    today = now.astimezone(SHANGHAI).date()
    cal = forecast.calendar_for([today - timedelta(days=80), today + timedelta(days=10)])
    series = {}
    for n in range(70, 0, -1):
        day = today - timedelta(days=n)
        quiet = day in cal.holidays or (day.weekday() >= 5 and day not in cal.makeup_workdays)
        units = 1 if quiet else 3
        series[day] = units
        at = datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=10)
        orders.place_order(uow_factory(), hospital_id="SH-H1", lines=[{**O_POS, "units": units}], priority="urgent",
                           now=at.astimezone(timezone.utc))
    expected = forecast.daily_rates({"k": series}, today, FORECAST, cal)["k"]
    moving = sum(u for d, u in series.items() if d >= today - timedelta(days=28)) / 28
    row = _row(client)
    assert row["daily_demand"] == pytest.approx(expected, abs=0.01)
    week = [today + timedelta(days=n) for n in range(7)]
    working = sum(1 for d in week if not (d in cal.holidays or (d.weekday() >= 5 and d not in cal.makeup_workdays)))
    assert row["daily_demand"] == pytest.approx((3 * working + 7 - working) / 7, abs=0.05)
    assert abs(row["daily_demand"] - moving) > 1e-3 or working == 5


def test_a_key_with_7_weeks_of_history_keeps_the_moving_average(client, red_cells, uow_factory):
    _demand(client, "SH-S1", 100)
    red_cells(60)
    now = datetime.now(timezone.utc)
    for n in (49, 20, 5):
        orders.place_order(uow_factory(), hospital_id="SH-H1", lines=[{**O_POS, "units": 14}], priority="urgent",
                           now=now - timedelta(days=n))
    assert _row(client)["daily_demand"] == 1.0          # 28 U in the last 28 days
