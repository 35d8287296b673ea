"""Transfers: requested → in_transit → received (or cancelled); FEFO dispatch; conservation; history; events."""
import pytest
from sqlalchemy import func, select

from inventory.orm import units as units_table
from tests.helpers import auth

from .conftest import HOSPITAL1, STATION1, STATION2, STATION_JS

pytestmark = pytest.mark.usefixtures("network")
LINE = {"component": "red_cells", "abo": "O", "rhd": "pos", "units": 3}


def _request(client, headers=STATION1, **over):
    body = {"from_site": "SH-S1", "to_site": "SH-S2", "lines": [LINE], "reason": "库存调剂", **over}
    return client.post("/api/v1/transfers", json=body, headers=headers)


def _totals(session_factory):
    """U per site over every unit still in the network (on the shelf or on the road)."""
    with session_factory() as s:
        rows = s.execute(select(units_table.c.site_id, func.sum(units_table.c.units))
                         .where(units_table.c.status.in_(("available", "in_transit")))
                         .group_by(units_table.c.site_id)).all()
    return dict(rows)


def test_dispatch_picks_first_expiring_and_receive_moves_them_with_units_conserved(client, red_cells, session_factory,
                                                                                   events):
    later = red_cells(3, days_ago=1)
    sooner = red_cells(3, days_ago=25)
    t = _request(client, to_site="JS-S1").get_json()
    assert (t["status"], t["inter_region"], t["units"]) == ("requested", True, [])
    total = sum(_totals(session_factory).values())
    sent = client.post(f"/api/v1/transfers/{t['id']}/dispatch", headers=STATION1)
    assert sent.status_code == 200, sent.get_json()
    sent = sent.get_json()
    assert sent["status"] == "in_transit" and {u["id"] for u in sent["units"]} == set(sooner)
    assert sent["lines"][0]["dispatched_units"] == 3.0 and sent["dispatched_at"]
    assert sum(_totals(session_factory).values()) == total
    got = client.post(f"/api/v1/transfers/{t['id']}/receive", headers=STATION_JS).get_json()
    assert got["status"] == "received"
    assert all(u["site_id"] == "JS-S1" and u["status"] == "available" for u in got["units"])
    assert _totals(session_factory) == {"SH-S1": 3.0, "JS-S1": 3.0} and sum(_totals(session_factory).values()) == total
    history = client.get(f"/api/v1/units/{sooner[0]}", headers=STATION1).get_json()["history"]
    assert [(h["kind"], h["from_site"], h["to_site"]) for h in history] == \
        [("dispatched", "SH-S1", "JS-S1"), ("received", "SH-S1", "JS-S1")]
    assert {client.get(f"/api/v1/units/{u}", headers=STATION1).get_json()["site_id"] for u in later} == {"SH-S1"}
    steps = [e["type"] for e in events() if e["type"].startswith("Transfer")]
    assert steps == ["TransferRequested", "TransferDispatched", "TransferReceived"]
    received = events("TransferReceived")[0]["data"]
    assert received["inter_region"] is True and sorted(received["unit_ids"]) == sorted(sooner)
    js = client.get("/api/v1/stock", query_string={"site_id": "JS-S1"}, headers=STATION1).get_json()
    assert next(r for r in js if r["abo"] == "O" and r["rhd"] == "pos" and r["component"] == "red_cells")[
        "available_units"] == 3.0


def test_insufficient_stock_is_409_and_nothing_moves(client, red_cells, state):
    red_cells(2)
    t = _request(client, headers=STATION2).get_json()            # the receiving station may ask
    before = state()
    resp = client.post(f"/api/v1/transfers/{t['id']}/dispatch", headers=STATION1)
    assert resp.status_code == 409 and resp.get_json()["code"] == "insufficient_stock"
    assert resp.get_json()["lines"] == [{"component": "red_cells", "abo": "O", "rhd": "pos", "requested_units": 3.0,
                                         "available_units": 2.0}]
    assert state() == before


def test_a_dispatch_that_fits_no_whole_bag_is_409_and_nothing_moves(client, red_cells, state, events):
    red_cells(3, u=2.0)                                          # 6 U on the shelf, but in 2 U bags
    t = _request(client, lines=[{**LINE, "units": 1.5}]).get_json()
    before = state()
    resp = client.post(f"/api/v1/transfers/{t['id']}/dispatch", headers=STATION1)
    assert resp.status_code == 409, resp.get_json()
    body = resp.get_json()
    assert resp.content_type.startswith("application/problem+json")
    assert (body["code"], body["title"]) == ("insufficient_stock", "库存不足")
    assert body["lines"] == [{"component": "red_cells", "abo": "O", "rhd": "pos", "requested_units": 1.5,
                              "available_units": 6.0, "smallest_bag_units": 2.0}]
    assert state() == before and events("TransferDispatched") == []
    [still] = client.get("/api/v1/transfers", query_string={"status": "requested"}, headers=STATION1).get_json()
    assert (still["id"], still["units"]) == (t["id"], [])


def test_cancel_only_before_dispatch_by_either_station(client, red_cells, events):
    red_cells(6)
    t = _request(client).get_json()
    assert client.post(f"/api/v1/transfers/{t['id']}/cancel", headers=STATION_JS).status_code == 403
    assert client.post(f"/api/v1/transfers/{t['id']}/cancel", headers=STATION2).get_json()["status"] == "cancelled"
    again = client.post(f"/api/v1/transfers/{t['id']}/dispatch", headers=STATION1)
    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transfer_state"
    t2 = _request(client).get_json()
    client.post(f"/api/v1/transfers/{t2['id']}/dispatch", headers=STATION1)
    late = client.post(f"/api/v1/transfers/{t2['id']}/cancel", headers=STATION1)
    assert late.status_code == 409
    assert [e["type"] for e in events() if e["type"] == "TransferCancelled"] == ["TransferCancelled"]


def test_only_the_right_station_may_act_and_refusals_change_nothing(client, red_cells, state):
    red_cells(6)
    t = _request(client).get_json()
    before = state()
    posts = [
        ("/api/v1/transfers", STATION_JS, {"from_site": "SH-S1", "to_site": "SH-S2", "lines": [LINE], "reason": "x"},
         403, "not_your_site"),
        ("/api/v1/transfers", HOSPITAL1, {"from_site": "SH-S1", "to_site": "SH-S2", "lines": [LINE], "reason": "x"},
         403, "forbidden_role"),
        ("/api/v1/transfers", auth("admin"), {"from_site": "SH-S1", "to_site": "SH-S2", "lines": [LINE], "reason": "x"},
         403, "forbidden_role"),
        ("/api/v1/transfers", STATION1, {"from_site": "SH-S1", "to_site": "SH-S1", "lines": [LINE], "reason": "x"},
         422, "validation_failed"),
        ("/api/v1/transfers", STATION1, {"from_site": "SH-S1", "to_site": "SH-H1", "lines": [LINE], "reason": "x"},
         422, "validation_failed"),
        ("/api/v1/transfers", STATION1, {"from_site": "SH-S1", "to_site": "NOPE", "lines": [LINE], "reason": "x"},
         404, "site_not_found"),
        ("/api/v1/transfers", STATION1, {"from_site": "SH-S1", "to_site": "SH-S2", "lines": [], "reason": "x"},
         422, "validation_failed"),
        ("/api/v1/transfers", STATION1, {"from_site": "SH-S1", "to_site": "SH-S2", "lines": [LINE]},
         422, "validation_failed"),
        (f"/api/v1/transfers/{t['id']}/dispatch", STATION2, None, 403, "not_your_site"),
        (f"/api/v1/transfers/{t['id']}/receive", STATION2, None, 409, "invalid_transfer_state"),
        (f"/api/v1/transfers/{t['id']}/receive", STATION1, None, 403, "not_your_site"),
        (f"/api/v1/transfers/{t['id']}/dispatch", HOSPITAL1, None, 403, "forbidden_role"),
        ("/api/v1/transfers/missing/dispatch", STATION1, None, 404, "transfer_not_found"),
    ]
    for path, headers, body, status, code in posts:
        resp = client.post(path, json=body, headers=headers) if body is not None else client.post(path, headers=headers)
        assert (resp.status_code, resp.get_json()["code"]) == (status, code), (path, body, resp.get_json())
    assert state() == before


def test_transfers_are_listed_by_site_and_status(client, red_cells):
    red_cells(6)
    a = _request(client).get_json()
    b = _request(client, to_site="JS-S1").get_json()
    client.post(f"/api/v1/transfers/{a['id']}/dispatch", headers=STATION1)
    listed = client.get("/api/v1/transfers", query_string={"site_id": "SH-S2"}, headers=HOSPITAL1).get_json()
    assert [x["id"] for x in listed] == [a["id"]] and len(listed[0]["units"]) == 3
    requested = client.get("/api/v1/transfers", query_string={"status": "requested"}, headers=STATION1).get_json()
    assert [x["id"] for x in requested] == [b["id"]]
    assert client.get("/api/v1/transfers", query_string={"status": "lost"}, headers=STATION1).status_code == 422
