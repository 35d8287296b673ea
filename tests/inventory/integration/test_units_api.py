"""Units from DonationRecorded, test results (release / discard), single discards, listing and history."""
from datetime import datetime, timedelta, timezone

import pytest

from inventory.handlers import HANDLERS
from servicekit.consumer import APPLIED, DUPLICATE, EventProcessor
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import auth

from .conftest import HOSPITAL1, STATION1, STATION2, new_din

COLLECTED = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def _recorded(din, kind="whole_blood", volume_ml=400, doses=None, site_id="SH-S1", abo="A", rhd="neg"):
    return record_of(make_envelope("DonationRecorded", {
        "donation_id": f"don-{din}", "donor_id": "donor-7", "national_id_blind": "b" * 64,
        "national_id_masked": "310***********1234", "region": "SH", "site_id": site_id, "kind": kind,
        "volume_ml": volume_ml, "doses": doses, "counts_as_ml": volume_ml or 800, "din": din,
        "collected_at": COLLECTED.isoformat(), "abo": abo, "rhd": rhd}, source="donor", subject="donor-7"))


@pytest.fixture
def processor(uow_factory):
    return EventProcessor(group="inventory", handlers=HANDLERS, uow_factory=uow_factory, dlq_producer=FakeProducer(),
                          retry_sleep_s=0)


def _units(client, **query):
    return client.get("/api/v1/units", query_string=query, headers=STATION1).get_json()


def test_whole_blood_becomes_quarantined_red_cells_and_plasma_once(client, processor, events):
    din = new_din()
    record = _recorded(din, volume_ml=400)
    assert processor.process(record) == APPLIED
    assert processor.process(record) == DUPLICATE
    got = {u["component"]: u for u in _units(client, site_id="SH-S1")}
    assert set(got) == {"red_cells", "plasma"}
    assert got["red_cells"]["units"] == 2.0 and got["plasma"]["units"] == 2.0
    assert all(u["status"] == "quarantined" and u["din"] == din and u["abo"] == "A" and u["rhd"] == "neg"
               for u in got.values())
    expires = {c: datetime.fromisoformat(u["expires_at"]) for c, u in got.items()}
    assert expires["red_cells"] == COLLECTED + timedelta(days=35)
    assert expires["plasma"] == COLLECTED + timedelta(days=365)
    [created] = events("UnitsCreated")
    assert created["subject"] == din and {u["component"] for u in created["data"]["units"]} == {"red_cells", "plasma"}


def test_a_redelivered_donation_under_a_new_event_id_adds_no_units(client, processor):
    din = new_din()
    processor.process(_recorded(din, volume_ml=300))
    processor.process(_recorded(din, volume_ml=300))      # same DIN, different envelope id
    got = _units(client, site_id="SH-S1")
    assert len(got) == 2 and {u["units"] for u in got} == {1.5}


def test_platelets_give_one_five_day_unit_per_dose(client, processor):
    processor.process(_recorded(new_din(), kind="platelets", volume_ml=None, doses=2))
    got = _units(client, component="platelets")
    assert len(got) == 2 and all(u["units"] == 1.0 for u in got)
    assert all(datetime.fromisoformat(u["expires_at"]) == COLLECTED + timedelta(days=5) for u in got)


def test_a_qualified_result_releases_every_unit_of_the_donation(client, donate, events):
    created = donate(release=False)
    din = created[0].din
    resp = client.post(f"/api/v1/donations/{din}/test-result", json={"qualified": True}, headers=STATION1)
    assert resp.status_code == 200
    assert {u["status"] for u in resp.get_json()} == {"available"} and len(resp.get_json()) == 2
    [released] = events("DonationReleased")
    assert released["data"]["din"] == din and len(released["data"]["unit_ids"]) == 2
    again = client.post(f"/api/v1/donations/{din}/test-result", json={"qualified": True}, headers=STATION1)
    assert again.status_code == 409 and again.get_json()["code"] == "already_tested"


@pytest.mark.parametrize("body, infectious", [
    ({"qualified": False, "reason": "HIV"}, True),
    ({"qualified": False, "reason": "lipaemic"}, False),
    ({"qualified": False, "reason": "hiv", "infectious": False}, False),   # explicit flag wins
    ({"qualified": False}, False),
])
def test_a_failed_result_discards_all_units_and_tells_the_donor_service(client, donate, events, body, infectious):
    din = donate(release=False)[0].din
    resp = client.post(f"/api/v1/donations/{din}/test-result", json=body, headers=STATION1)
    assert resp.status_code == 200 and {u["status"] for u in resp.get_json()} == {"discarded"}
    [discarded] = events("DonationDiscarded")
    assert discarded["data"]["infectious"] is infectious and discarded["data"]["donor_id"] == "donor-1"
    assert len(discarded["data"]["unit_ids"]) == 2


def test_test_results_are_refused_to_other_stations_roles_and_unknown_dins(client, donate, state):
    din = donate(release=False)[0].din
    before = state()
    cases = [
        (STATION2, f"/api/v1/donations/{din}/test-result", {"qualified": True}, 403, "not_your_site"),
        (HOSPITAL1, f"/api/v1/donations/{din}/test-result", {"qualified": True}, 403, "forbidden_role"),
        (auth("admin"), f"/api/v1/donations/{din}/test-result", {"qualified": True}, 403, "forbidden_role"),
        (STATION1, "/api/v1/donations/W000126999999/test-result", {"qualified": True}, 404, "donation_not_found"),
        (STATION1, f"/api/v1/donations/{din}/test-result", {}, 422, "validation_failed"),
        (STATION1, f"/api/v1/donations/{din}/test-result", {"qualified": "maybe"}, 422, "validation_failed"),
        (STATION1, f"/api/v1/donations/{din}/test-result", {"qualified": False, "reason": "x" * 201}, 422,
         "validation_failed"),
        (STATION1, f"/api/v1/donations/{din}/test-result", {"qualified": True, "extra": 1}, 422, "validation_failed"),
    ]
    for headers, path, body, status, code in cases:
        resp = client.post(path, json=body, headers=headers)
        assert (resp.status_code, resp.get_json()["code"]) == (status, code), (body, resp.get_json())
    assert client.post(f"/api/v1/donations/{din}/test-result", json={"qualified": True}).status_code == 401
    assert state() == before


def test_a_station_discards_its_own_available_unit_only(client, red_cells, state, events):
    [unit_id] = red_cells(1)
    before = state()
    assert client.post(f"/api/v1/units/{unit_id}/discard", json={"reason": "bag leak"}, headers=STATION2).status_code == 403
    assert client.post(f"/api/v1/units/{unit_id}/discard", json={}, headers=STATION1).status_code == 422
    assert client.post("/api/v1/units/nope/discard", json={"reason": "x"}, headers=STATION1).status_code == 404
    assert state() == before
    resp = client.post(f"/api/v1/units/{unit_id}/discard", json={"reason": "bag leak"}, headers=STATION1)
    assert resp.status_code == 200 and resp.get_json()["status"] == "discarded"
    [event] = events("UnitDiscarded")
    assert event["data"]["unit_id"] == unit_id and event["data"]["reason"] == "bag leak"
    again = client.post(f"/api/v1/units/{unit_id}/discard", json={"reason": "x"}, headers=STATION1)
    assert again.status_code == 409 and again.get_json()["code"] == "unit_not_discardable"


def test_units_list_by_filters_and_a_unit_shows_its_history(client, donate):
    created = donate(abo="B", rhd="pos", volume_ml=400)
    donate(abo="O", rhd="neg", release=False)
    assert {u["abo"] for u in _units(client, status="available")} == {"B"}
    assert {u["rhd"] for u in _units(client, status="quarantined")} == {"neg"}
    assert len(_units(client, component="plasma", abo="B")) == 1
    assert client.get("/api/v1/units", query_string={"status": "lost"}, headers=STATION1).status_code == 422
    unit_id = created[0].id
    body = client.get(f"/api/v1/units/{unit_id}", headers=auth("reviewer", region="SH")).get_json()
    assert body["id"] == unit_id and [h["kind"] for h in body["history"]] == ["created", "released"]
    assert client.get(f"/api/v1/units/{unit_id}", headers=HOSPITAL1).status_code == 403   # not at this hospital
    assert client.get("/api/v1/units", query_string={"site_id": "SH-S1"}, headers=HOSPITAL1).status_code == 403
    assert client.get("/api/v1/units", headers=HOSPITAL1).get_json() == []
    assert client.get("/api/v1/units/missing", headers=STATION1).status_code == 404
    assert client.get(f"/api/v1/units/{unit_id}", headers=auth("donor", donor_id="d")).status_code == 403


def test_washed_red_cells_keep_24_hours_from_washing_and_frozen_plasma_4_years_from_collection(client, donate):
    from datetime import datetime, timedelta

    units_ = donate(volume_ml=400, collected_days_ago=10)
    red = next(u for u in units_ if u.component == "red_cells")
    plasma = next(u for u in units_ if u.component == "plasma")
    washed = client.post(f"/api/v1/units/{red.id}/process", headers=STATION1, json={"into": "washed_red_cells"})
    assert washed.status_code == 200, washed.get_json()
    body = washed.get_json()
    expires = datetime.fromisoformat(body["expires_at"])
    assert body["component"] == "washed_red_cells" and body["din"] == red.din and body["status"] == "available"
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(expires.tzinfo) <= timedelta(hours=24)
    history = client.get(f"/api/v1/units/{red.id}", headers=STATION1).get_json()["history"]
    assert history[-1]["kind"] == "processed" and history[-1]["note"] == "red_cells→washed_red_cells"

    frozen = client.post(f"/api/v1/units/{plasma.id}/process", headers=STATION1, json={"into": "frozen_plasma"}).get_json()
    collected = datetime.fromisoformat(frozen["collected_at"])
    assert frozen["component"] == "frozen_plasma"
    assert datetime.fromisoformat(frozen["expires_at"]) - collected == timedelta(days=4 * 365 + 1)


def test_processing_refuses_what_cannot_be_made_and_changes_nothing(client, donate, red_cells, state):
    units_ = donate(volume_ml=400)
    red = next(u for u in units_ if u.component == "red_cells")
    quarantined = next(u for u in donate(volume_ml=200, release=False) if u.component == "red_cells")
    before = state()
    cases = [
        (red.id, {"into": "frozen_plasma"}, STATION1, 409, "unsupported_processing"),   # red cells are not plasma
        (quarantined.id, {"into": "washed_red_cells"}, STATION1, 409, "unit_not_processable"),
        (red.id, {"into": "gold"}, STATION1, 422, "validation_failed"),
        (red.id, {}, STATION1, 422, "validation_failed"),
        ("no-such-unit", {"into": "washed_red_cells"}, STATION1, 404, "unit_not_found"),
        (red.id, {"into": "washed_red_cells"}, STATION2, 403, "not_your_site"),
        (red.id, {"into": "washed_red_cells"}, HOSPITAL1, 403, "forbidden_role"),
    ]
    for unit_id, body, headers, status, code in cases:
        resp = client.post(f"/api/v1/units/{unit_id}/process", headers=headers, json=body)
        assert (resp.status_code, resp.get_json()["code"]) == (status, code), (body, resp.get_json())
        assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert state() == before
