"""DIN assignment: the station's facility id, the year, a sequence that never reuses a number."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from donor.app import create_app
from donor.din import check_character, compose, default_facility_id
from tests.helpers import SERVICE_KEYS, PII_KEY

from .conftest import station

WHOLE = {"kind": "whole_blood", "volume_ml": 400, "hemoglobin_g_l": 140, "weight_kg": 70}
YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


def test_a_configured_facility_id_prefixes_the_station_dins(donor_db, new_donor):
    app = create_app(database_url=donor_db, **SERVICE_KEYS, pii_key=PII_KEY,
                     din_facilities='{"SH-S01": "B3101"}')
    client = app.test_client()
    first, second, elsewhere = new_donor(), new_donor(), new_donor()
    a = client.post(f"/api/v1/donors/{first.id}/donations", json=WHOLE, headers=station()).get_json()
    b = client.post(f"/api/v1/donors/{second.id}/donations", json=WHOLE, headers=station()).get_json()
    c = client.post(f"/api/v1/donors/{elsewhere.id}/donations", json=WHOLE, headers=station("SH-S02")).get_json()
    assert (a["din"], b["din"]) == (compose("B3101", YEAR, 1), compose("B3101", YEAR, 2))
    assert c["din"] == compose(default_facility_id("SH-S02"), YEAR, 1)      # unconfigured: derived, own counter
    assert all(d["din_check"] == check_character(d["din"]) for d in (a, b, c))


@pytest.mark.parametrize("facilities", ['{"SH-S01": "O1234"}', '{"SH-S01": "B31"}', '["B3101"]', "not json"])
def test_a_malformed_facility_map_stops_the_service_at_start(donor_db, facilities):
    with pytest.raises(ValueError):
        create_app(database_url=donor_db, **SERVICE_KEYS, pii_key=PII_KEY, din_facilities=facilities)


def test_generation_skips_a_number_a_station_typed_by_hand(client, new_donor):
    typed, generated = new_donor(), new_donor()
    facility = default_facility_id("SH-S01")
    din = compose(facility, YEAR, 1)
    assert client.post(f"/api/v1/donors/{typed.id}/donations", json={**WHOLE, "din": din + check_character(din)},
                       headers=station()).status_code == 201
    resp = client.post(f"/api/v1/donors/{generated.id}/donations", json=WHOLE, headers=station())
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["din"] == compose(facility, YEAR, 2)


def _wrong_check(din: str) -> str:
    return din + ("A" if check_character(din) != "A" else "B")


@pytest.mark.parametrize("din", ["0123426000001", "O123426000001", "A12AB26000001", "A1234260000Z1",
                                 _wrong_check("A123426000001")])
def test_malformed_typed_dins_are_invalid_din_and_store_nothing(client, new_donor, state, din):
    donor = new_donor()
    before = state()
    resp = client.post(f"/api/v1/donors/{donor.id}/donations", json={**WHOLE, "din": din}, headers=station())
    assert resp.status_code == 422 and resp.get_json()["code"] == "invalid_din"
    assert state() == before
