"""Reserves for major events through the API: set by a station for its own site, shown in the stock picture in
days of supply, kept by rebalancing (a site's reserve is not moved away)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .conftest import ADMIN, HOSPITAL1, STATION1, STATION2

pytestmark = pytest.mark.usefixtures("network")
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _reserve(client, headers=STATION1, site_id="SH-S1", units=30, starts=0, ends=10, **over):
    body = {"site_id": site_id, "component": "red_cells", "abo": "O", "rhd": "pos", "units": units,
            "starts_on": (TODAY + timedelta(days=starts)).isoformat(),
            "ends_on": (TODAY + timedelta(days=ends)).isoformat(), "reason": "进博会保障", **over}
    return client.post("/api/v1/reserves", json=body, headers=headers)


def _o_pos(client, site_id="SH-S1"):
    rows = client.get("/api/v1/stock", query_string={"site_id": site_id}, headers=HOSPITAL1).get_json()
    return next(r for r in rows if (r["component"], r["abo"], r["rhd"]) == ("red_cells", "O", "pos"))


def test_a_station_sets_lists_and_removes_its_own_reserves(client):
    resp = _reserve(client)
    assert resp.status_code == 201, resp.get_json()
    reserve = resp.get_json()
    assert (reserve["units"], reserve["created_by"], reserve["reason"]) == (30.0, "station-user", "进博会保障")
    listed = client.get("/api/v1/reserves", query_string={"site_id": "SH-S1"}, headers=HOSPITAL1).get_json()
    assert [r["id"] for r in listed] == [reserve["id"]]
    later = (TODAY + timedelta(days=11)).isoformat()
    assert client.get("/api/v1/reserves", query_string={"active_on": later}, headers=ADMIN).get_json() == []
    assert client.delete(f"/api/v1/reserves/{reserve['id']}", headers=STATION2).status_code == 403
    assert client.delete(f"/api/v1/reserves/{reserve['id']}", headers=STATION1).status_code == 204
    assert client.delete(f"/api/v1/reserves/{reserve['id']}", headers=STATION1).status_code == 404
    assert client.get("/api/v1/reserves", headers=ADMIN).get_json() == []


@pytest.mark.parametrize("headers, over, code", [
    (STATION2, {}, 403),                                      # another station's site
    (HOSPITAL1, {"site_id": "SH-H1"}, 403),                   # hospitals do not set reserves
    (ADMIN, {"site_id": "SH-H1"}, 422),                       # reserves are held at stations
    (ADMIN, {"site_id": "XX-S9"}, 404),
    (STATION1, {"units": 0}, 422),
    (STATION1, {"starts": 5, "ends": 4}, 422),
    (STATION1, {"starts": 0, "ends": 400}, 422),
    (STATION1, {"component": "blood"}, 422),
])
def test_bad_or_foreign_reserves_are_refused_and_nothing_is_stored(client, headers, over, code):
    resp = _reserve(client, headers=headers, **over)
    assert resp.status_code == code and resp.content_type == "application/problem+json"
    assert client.get("/api/v1/reserves", headers=ADMIN).get_json() == []


@pytest.mark.usefixtures("imbalance")
def test_the_stock_picture_shows_today_s_reserve_in_days_of_supply(client):
    assert (_o_pos(client)["reserve_units"], _o_pos(client)["reserve_days"]) == (0.0, None)
    _reserve(client, units=20)
    _reserve(client, units=10, starts=1)           # starts tomorrow: not today's
    row = _o_pos(client)
    assert (row["reserve_units"], row["reserve_days"]) == (20.0, 20.0)        # 1 U a day at SH-S1
    assert row["available_units"] == 40.0


@pytest.mark.usefixtures("imbalance")
def test_rebalancing_never_moves_a_site_below_its_active_reserve(client):
    # SH-S1 holds 40 U against 1 U/day (7-day target: 33 spare); SH-S2 is 24 U short.
    _reserve(client, units=30)
    plan = client.post("/api/v1/rebalancing/plans", json={"target_days": 7}, headers=STATION1).get_json()
    [move] = plan["moves"]
    assert (move["from_site"], move["to_site"], move["units"]) == ("SH-S1", "SH-S2", 10.0)
    assert plan["after"]["shortfall_units"] == 14.0


@pytest.mark.usefixtures("imbalance")
def test_a_reserve_that_has_not_started_does_not_hold_stock_back(client):
    _reserve(client, units=39, starts=1)
    plan = client.post("/api/v1/rebalancing/plans", json={"target_days": 7}, headers=STATION1).get_json()
    assert sum(m["units"] for m in plan["moves"]) == 24.0
