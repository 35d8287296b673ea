"""Cold chain through the API: stores, batches of readings (idempotent, out of order, all-or-nothing), an
excursion at its window's edge quarantining what was in the store, the recorded decision, transport legs."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from inventory.orm import excursions as excursions_table
from inventory.orm import temperature_readings
from inventory.services import cold_chain
from servicekit.auth import Principal

from .conftest import ADMIN, HOSPITAL1, STATION1, STATION2, STATION_JS

pytestmark = pytest.mark.usefixtures("network")
S1 = Principal.from_claims({"sub": "station-sh-s1", "role": "station", "site_id": "SH-S1", "region": "SH"})


def _fridge(client, headers=STATION1, site_id="SH-S1", kind="fridge"):
    resp = client.post("/api/v1/cold-chain/locations", headers=headers,
                       json={"site_id": site_id, "kind": kind, "name": "1号储血冰箱"})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.fixture
def stored(client, red_cells, uow_factory):
    """A fridge at SH-S1 holding 2 available O+ bags, placed 3 hours ago; `base` is 2 hours ago."""
    now = datetime.now(timezone.utc)
    fridge = _fridge(client)
    ids = red_cells(2)
    cold_chain.place_units(uow_factory(), S1, location_id=fridge["id"], unit_ids=ids, now=now - timedelta(hours=3))
    return fridge["id"], ids, (now - timedelta(hours=2)).replace(microsecond=0)


def _post(client, location_id, base, points, headers=STATION1):
    readings = [{"location_id": location_id, "at": (base + timedelta(seconds=s)).isoformat(), "celsius": c}
                for s, c in points]
    return client.post("/api/v1/cold-chain/readings", json={"readings": readings}, headers=headers)


def _status(client, ids):
    return [client.get(f"/api/v1/units/{u}", headers=STATION1).get_json()["status"] for u in ids]


def _o_pos(client):
    rows = client.get("/api/v1/stock", query_string={"site_id": "SH-S1"}, headers=STATION1).get_json()
    return next(r for r in rows if (r["component"], r["abo"], r["rhd"]) == ("red_cells", "O", "pos"))


def test_a_store_has_its_range_and_only_its_station_or_admin_registers_one(client):
    fridge = _fridge(client)
    assert (fridge["range"]["min_c"], fridge["range"]["max_c"], fridge["range"]["allowed_minutes"]) == (2, 6, 30)
    freezer = _fridge(client, headers=ADMIN, site_id="SH-S2", kind="freezer")
    assert (freezer["range"]["min_c"], freezer["range"]["max_c"]) == (None, -18)
    assert client.post("/api/v1/cold-chain/locations", headers=STATION2,
                       json={"site_id": "SH-S1", "kind": "fridge", "name": "x"}).status_code == 403
    assert client.post("/api/v1/cold-chain/locations", headers=ADMIN,
                       json={"site_id": "SH-H1", "kind": "fridge", "name": "x"}).status_code == 422
    assert client.post("/api/v1/cold-chain/locations", headers=STATION1,
                       json={"site_id": "SH-S1", "kind": "oven", "name": "x"}).status_code == 422
    listed = client.get("/api/v1/cold-chain/locations", query_string={"site_id": "SH-S1"}, headers=STATION1)
    assert [loc["id"] for loc in listed.get_json()] == [fridge["id"]]


def test_out_of_range_for_exactly_the_allowed_time_quarantines_nothing(client, stored, events):
    location, ids, base = stored
    resp = _post(client, location, base, [(0, 4.0), (600, 7.5), (600 + 1800, 4.0)])
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"accepted": 3, "stored": 3, "duplicates": 0, "excursions": []}
    assert _status(client, ids) == ["available", "available"] and events("ColdChainExcursionDetected") == []


def test_one_second_more_quarantines_the_store_s_units_alerts_and_takes_them_out_of_stock(client, stored, events):
    location, ids, base = stored
    before = _o_pos(client)["available_units"]
    resp = _post(client, location, base, [(0, 4.0), (600, 7.5), (600 + 1801, 4.0)])
    [exc] = resp.get_json()["excursions"]
    assert (exc["status"], exc["kind"], exc["max_c"], sorted(exc["unit_ids"])) == ("open", "storage", 7.5, sorted(ids))
    assert exc["started_at"] == (base + timedelta(seconds=600)).isoformat()
    assert exc["ended_at"] == (base + timedelta(seconds=2401)).isoformat()
    assert _status(client, ids) == ["quarantined", "quarantined"]
    assert _o_pos(client)["available_units"] == before - 2
    [event] = events("ColdChainExcursionDetected")
    assert event["subject"] == exc["id"] and sorted(event["data"]["unit_ids"]) == sorted(ids)
    assert event["data"]["site_id"] == "SH-S1" and event["data"]["location_id"] == location
    history = client.get(f"/api/v1/units/{ids[0]}", headers=STATION1).get_json()["history"]
    assert [h["kind"] for h in history][-1] == "cold_chain_hold"


def test_a_batch_sent_twice_stores_and_announces_once(client, stored, events, session_factory):
    location, _, base = stored
    points = [(0, 4.0), (60, 9.0), (3000, 9.0)]
    first = _post(client, location, base, points).get_json()
    again = _post(client, location, base, points).get_json()
    assert (first["stored"], again["stored"], again["duplicates"]) == (3, 0, 3)
    assert again["excursions"][0]["id"] == first["excursions"][0]["id"]
    assert len(events("ColdChainExcursionDetected")) == 1 and len(events("UnitsQuarantined")) == 0
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(temperature_readings)) == 3
        assert s.scalar(select(func.count()).select_from(excursions_table)) == 1


def test_readings_arriving_out_of_order_are_judged_together(client, stored):
    location, ids, base = stored
    assert _post(client, location, base, [(0, 4.0), (3600, 4.0)]).get_json()["excursions"] == []
    late = _post(client, location, base, [(1200, 8.0), (60, 8.0)]).get_json()     # the gateway's backlog
    [exc] = late["excursions"]                                                     # out from 60 s to 3600 s
    assert (exc["started_at"], exc["ended_at"]) == ((base + timedelta(seconds=60)).isoformat(),
                                                    (base + timedelta(seconds=3600)).isoformat())
    assert _status(client, ids) == ["quarantined", "quarantined"]


def test_an_ongoing_excursion_is_extended_not_repeated_and_units_placed_after_its_end_are_untouched(
        client, stored, events, red_cells, uow_factory):
    location, ids, base = stored
    [exc] = _post(client, location, base, [(0, 4.0), (60, 12.0), (2000, 12.0)]).get_json()["excursions"]
    assert exc["ended_at"] is None                                    # still out of range
    [same] = _post(client, location, base, [(3000, 13.0), (3600, 4.0)]).get_json()["excursions"]
    assert (same["id"], same["max_c"], same["ended_at"]) == (exc["id"], 13.0, (base + timedelta(seconds=3600)).isoformat())
    later = red_cells(1)
    cold_chain.place_units(uow_factory(), S1, location_id=location, unit_ids=later, now=datetime.now(timezone.utc))
    assert _post(client, location, base, [(3700, 4.0)]).get_json()["excursions"] == []
    assert _status(client, later) == ["available"] and len(events("ColdChainExcursionDetected")) == 1


def test_a_unit_not_placed_in_the_store_is_not_affected(client, stored, red_cells):
    location, _, base = stored
    elsewhere = red_cells(1)
    _post(client, location, base, [(0, 9.0), (3600, 9.0)])
    assert _status(client, elsewhere) == ["available"]


@pytest.mark.parametrize("body, code", [
    ({"readings": []}, 422),
    ({"readings": [{"location_id": "x", "at": "2026-12-01T00:00:00", "celsius": 4}]}, 422),     # naive time
    ({"readings": [{"location_id": "x", "at": "2026-12-01T00:00:00+00:00", "celsius": 400}]}, 422),
    ({"readings": [{"location_id": "x", "at": "2026-12-01T00:00:00+00:00"}]}, 422),
    ({"readings": [{"location_id": "nope", "at": "2026-12-01T00:00:00+00:00", "celsius": 4}]}, 404),
])
def test_bad_batches_are_refused_whole_and_store_nothing(client, stored, state, body, code):
    location, _, base = stored
    body = {"readings": [{"location_id": location, "at": base.isoformat(), "celsius": 9.0}] * 0 + body["readings"]}
    before = state()
    resp = client.post("/api/v1/cold-chain/readings", json=body, headers=STATION1)
    assert resp.status_code == code and resp.content_type == "application/problem+json"
    assert state() == before


def test_an_oversized_batch_a_future_reading_and_another_site_s_store_are_refused(client, stored, state,
                                                                                   session_factory):
    location, _, base = stored
    before = state()
    big = _post(client, location, base, [(s, 4.0) for s in range(1001)])
    assert big.status_code == 422
    future = datetime.now(timezone.utc) + timedelta(hours=1)
    mixed = _post(client, location, base, [(0, 9.0), (int((future - base).total_seconds()), 9.0)])
    assert mixed.status_code == 422
    theirs = _post(client, location, base, [(0, 9.0), (3600, 9.0)], headers=STATION2)
    assert theirs.status_code == 403
    assert _post(client, location, base, [(0, 4.0)], headers=HOSPITAL1).status_code == 403
    assert state() == before
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(temperature_readings)) == 0


def _excursion(client, stored):
    location, ids, base = stored
    [exc] = _post(client, location, base, [(0, 4.0), (60, 9.0), (3600, 4.0)]).get_json()["excursions"]
    return exc["id"], ids


def test_release_puts_the_units_back_in_stock_with_who_when_and_why(client, stored, events):
    exc_id, ids = _excursion(client, stored)
    url = f"/api/v1/cold-chain/excursions/{exc_id}/decision"
    assert client.post(url, json={"decision": "keep", "reason": "评估"}, headers=STATION1).status_code == 422
    resp = client.post(url, json={"decision": "release", "reason": "温度记录仪校验后确认为传感器故障"}, headers=STATION1)
    assert resp.status_code == 200, resp.get_json()
    exc = resp.get_json()
    assert (exc["status"], exc["decision"], exc["decided_by"]) == ("released", "release", "station-user")
    assert exc["decided_at"] and exc["decision_reason"].startswith("温度记录仪")
    assert _status(client, ids) == ["available", "available"]
    [event] = events("ColdChainExcursionDecided")
    assert event["data"]["decision"] == "release" and sorted(event["data"]["unit_ids"]) == sorted(ids)
    again = client.post(url, json={"decision": "discard", "reason": "再议"}, headers=STATION1)
    assert again.status_code == 409 and again.get_json()["code"] == "excursion_decided"


def test_discard_discards_the_held_units_with_the_cold_chain_cause(client, stored, events, state):
    exc_id, ids = _excursion(client, stored)
    url = f"/api/v1/cold-chain/excursions/{exc_id}/decision"
    before = state()
    for headers in (STATION2, ADMIN, HOSPITAL1):
        assert client.post(url, json={"decision": "discard", "reason": "超温"}, headers=headers).status_code == 403
    assert state() == before
    assert client.post(url, json={"decision": "discard", "reason": "超温 50 分钟"}, headers=STATION1).status_code == 200
    assert _status(client, ids) == ["discarded", "discarded"]
    assert {e["data"]["reason"] for e in events("UnitDiscarded")} == {"cold_chain_excursion"}
    since = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    until = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    stats = client.get("/api/v1/cold-chain/stats", query_string={"since": since, "until": until}, headers=STATION1)
    assert stats.status_code == 200, stats.get_json()
    stats = stats.get_json()
    assert (stats["excursions"], stats["excursions_by_status"]) == (1, {"discarded": 1})
    assert stats["discards_by_cause"] == {"cold_chain_excursion": {"bags": 2, "units": 2.0}}
    assert client.get("/api/v1/cold-chain/stats", query_string={"since": since, "until": until},
                      headers=STATION2).get_json()["excursions"] == 0     # a station counts its own site


def test_excursions_are_listed_for_their_station_and_admin_only(client, stored):
    exc_id, _ = _excursion(client, stored)
    assert [e["id"] for e in client.get("/api/v1/cold-chain/excursions", headers=STATION1).get_json()] == [exc_id]
    assert [e["id"] for e in client.get("/api/v1/cold-chain/excursions", query_string={"status": "open"},
                                        headers=ADMIN).get_json()] == [exc_id]
    assert client.get("/api/v1/cold-chain/excursions", headers=STATION2).get_json() == []
    assert client.get("/api/v1/cold-chain/excursions", query_string={"site_id": "SH-S1"},
                      headers=STATION2).status_code == 403
    assert client.get(f"/api/v1/cold-chain/excursions/{exc_id}", headers=STATION2).status_code == 404
    assert client.get(f"/api/v1/cold-chain/excursions/{exc_id}", headers=STATION1).status_code == 200


def test_a_donation_awaiting_its_test_in_a_store_waits_for_the_decision(client, donate, uow_factory):
    now = datetime.now(timezone.utc)
    fridge = _fridge(client)
    created = donate(release=False)
    red = [u.id for u in created if u.component == "red_cells"]
    cold_chain.place_units(uow_factory(), S1, location_id=fridge["id"], unit_ids=red, now=now - timedelta(hours=3))
    base = now - timedelta(hours=2)
    [exc] = _post(client, fridge["id"], base, [(0, 9.0), (3600, 9.0)]).get_json()["excursions"]
    din = created[0].din
    held = client.post(f"/api/v1/donations/{din}/test-result", json={"qualified": True}, headers=STATION1)
    assert held.status_code == 409 and held.get_json()["code"] == "cold_chain_hold"
    client.post(f"/api/v1/cold-chain/excursions/{exc['id']}/decision", json={"decision": "release", "reason": "复核合格"},
                headers=STATION1)
    assert _status(client, red) == ["quarantined"]                    # back to awaiting its test, not to stock
    assert client.post(f"/api/v1/donations/{din}/test-result", json={"qualified": True},
                       headers=STATION1).status_code == 200


def test_placing_units_checks_the_store_the_component_and_the_holder(client, red_cells, state):
    fridge, freezer = _fridge(client), _fridge(client, kind="freezer")
    bags, theirs = red_cells(2), red_cells(1, site_id="SH-S2")
    before = state()
    url = f"/api/v1/cold-chain/locations/{freezer['id']}/units"
    assert client.post(url, json={"unit_ids": bags}, headers=STATION1).status_code == 422     # red cells not frozen
    assert client.post(f"/api/v1/cold-chain/locations/{fridge['id']}/units", json={"unit_ids": theirs},
                       headers=STATION1).status_code == 403
    assert client.post(f"/api/v1/cold-chain/locations/{fridge['id']}/units", json={"unit_ids": bags},
                       headers=STATION2).status_code == 403
    assert state() == before
    placed = client.post(f"/api/v1/cold-chain/locations/{fridge['id']}/units", json={"unit_ids": bags},
                         headers=STATION1)
    assert placed.status_code == 200 and len(placed.get_json()) == 2


# ---- transport legs --------------------------------------------------------------------------------------
def _dispatched(client, red_cells, units=2):
    red_cells(units)
    t = client.post("/api/v1/transfers", headers=STATION1, json={
        "from_site": "SH-S1", "to_site": "JS-S1", "reason": "调剂",
        "lines": [{"component": "red_cells", "abo": "O", "rhd": "pos", "units": units}]}).get_json()
    assert client.post(f"/api/v1/transfers/{t['id']}/dispatch", headers=STATION1).status_code == 200
    return t["id"]


def test_red_cells_whose_leg_left_2_to_10_arrive_quarantined_under_a_transport_excursion(client, red_cells, events):
    transfer = _dispatched(client, red_cells)
    now = datetime.now(timezone.utc)
    leg = [{"at": (now - timedelta(minutes=m)).isoformat(), "celsius": c} for m, c in ((30, 4.0), (20, 10.0), (10, 10.5))]
    got = client.post(f"/api/v1/transfers/{transfer}/receive", json={"transport_readings": leg}, headers=STATION_JS)
    assert got.status_code == 200, got.get_json()
    got = got.get_json()
    assert got["status"] == "received" and {u["status"] for u in got["units"]} == {"quarantined"}
    assert {u["site_id"] for u in got["units"]} == {"JS-S1"}
    [exc] = client.get("/api/v1/cold-chain/excursions", headers=STATION_JS).get_json()
    assert (exc["kind"], exc["transfer_id"], exc["reasons"], exc["max_c"]) == ("transport", transfer, ["out_of_range"], 10.5)
    assert events("ColdChainExcursionDetected")[0]["data"]["kind"] == "transport"
    released = client.post(f"/api/v1/cold-chain/excursions/{exc['id']}/decision",
                           json={"decision": "release", "reason": "评估可用"}, headers=STATION_JS)
    assert released.status_code == 200
    assert {client.get(f"/api/v1/units/{u['id']}", headers=STATION_JS).get_json()["status"]
            for u in got["units"]} == {"available"}


def test_a_leg_inside_2_to_10_arrives_as_stock_and_receipt_without_a_body_still_works(client, red_cells):
    transfer = _dispatched(client, red_cells)
    now = datetime.now(timezone.utc)
    leg = [{"at": (now - timedelta(minutes=10)).isoformat(), "celsius": 2.0},
           {"at": now.isoformat(), "celsius": 10.0}]
    got = client.post(f"/api/v1/transfers/{transfer}/receive", json={"transport_readings": leg}, headers=STATION_JS)
    assert {u["status"] for u in got.get_json()["units"]} == {"available"}
    other = _dispatched(client, red_cells)
    plain = client.post(f"/api/v1/transfers/{other}/receive", headers=STATION_JS)
    assert plain.status_code == 200 and {u["status"] for u in plain.get_json()["units"]} == {"available"}
    assert client.get("/api/v1/cold-chain/excursions", headers=STATION_JS).get_json() == []


def test_red_cells_over_24_hours_on_the_road_arrive_quarantined(client, red_cells, session_factory):
    from sqlalchemy import update
    from inventory.orm import transfers
    transfer = _dispatched(client, red_cells)
    with session_factory() as s, s.begin():
        s.execute(update(transfers).where(transfers.c.id == transfer).values(
            dispatched_at=datetime.now(timezone.utc) - timedelta(hours=24, minutes=1)))
    got = client.post(f"/api/v1/transfers/{transfer}/receive", headers=STATION_JS).get_json()
    assert {u["status"] for u in got["units"]} == {"quarantined"}
    [exc] = client.get("/api/v1/cold-chain/excursions", headers=STATION_JS).get_json()
    assert exc["reasons"] == ["over_time"]


def test_a_receipt_may_put_the_units_into_a_store_of_the_receiving_station(client, red_cells, state):
    transfer = _dispatched(client, red_cells)
    fridge = _fridge(client, headers=STATION_JS, site_id="JS-S1")
    freezer = _fridge(client, headers=STATION_JS, site_id="JS-S1", kind="freezer")
    theirs = _fridge(client)                                       # SH-S1's
    before = state()
    url = f"/api/v1/transfers/{transfer}/receive"
    assert client.post(url, json={"location_id": freezer["id"]}, headers=STATION_JS).status_code == 422
    assert client.post(url, json={"location_id": theirs["id"]}, headers=STATION_JS).status_code == 403
    assert client.post(url, json={"location_id": "nope"}, headers=STATION_JS).status_code == 404
    assert state() == before                                       # refused whole: still in transit
    got = client.post(url, json={"location_id": fridge["id"]}, headers=STATION_JS)
    assert got.status_code == 200 and {u["status"] for u in got.get_json()["units"]} == {"available"}
    history = client.get(f"/api/v1/units/{got.get_json()['units'][0]['id']}", headers=STATION_JS).get_json()["history"]
    assert [h["kind"] for h in history][-2:] == ["received", "stored"]


def test_a_reading_twice_in_one_batch_is_stored_once_as_first_sent(client, stored, session_factory):
    location, _, base = stored
    result = _post(client, location, base, [(0, 4.0), (0, 5.5), (60, 4.2)]).get_json()
    assert (result["accepted"], result["stored"], result["duplicates"]) == (3, 2, 1)
    with session_factory() as s:
        kept = s.execute(select(temperature_readings.c.celsius).order_by(temperature_readings.c.at)).scalars().all()
    assert kept == [4.0, 4.2]
