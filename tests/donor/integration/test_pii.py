"""No raw national ID or full phone number in responses, logs or staged (Kafka-bound) events."""
import logging
from datetime import datetime, timedelta, timezone

from donor.handlers import make_handlers
from donor.notifier import LoggingSmsSender, Notifier
from servicekit.consumer import EventProcessor
from servicekit.outbox import envelopes
from servicekit.testing import FakeProducer, make_envelope, record_of
from tests.helpers import auth, make_national_id

NOW = datetime.now(timezone.utc)


def test_no_raw_identifier_in_any_response_log_line_or_event(client, uow_factory, session_factory, caplog):
    caplog.set_level(logging.DEBUG)
    nid, phone = make_national_id(birth="19870505", seq=77), "13711112222"
    station = auth("station", site_id="SH-S01", region="SH")
    person = {"name": "孙八", "national_id": nid, "phone": phone, "abo": "A", "rhd": "pos"}
    created = client.post("/api/v1/donors", json=person, headers=station)
    donor_id = created.get_json()["id"]
    me = auth("donor", donor_id=donor_id)
    responses = [created, client.post("/api/v1/donors", json=person, headers=station)]          # 409 donor_exists
    responses += [client.get(f"/api/v1/donors?national_id={nid}", headers=station),
                  client.get(f"/api/v1/donors?phone={phone}", headers=auth("service")),
                  client.get(f"/api/v1/donors/{donor_id}", headers=station)]
    whole = {"kind": "whole_blood", "volume_ml": 300, "hemoglobin_g_l": 140, "weight_kg": 70}
    responses += [client.post(f"/api/v1/donors/{donor_id}/donations", headers=station, json=whole),
                  client.post(f"/api/v1/donors/{donor_id}/donations", headers=station, json=whole)]   # 422
    # Inventory and waiver events become notifications, pushed through the development SMS adapter.
    processor = EventProcessor(group="donor", handlers=make_handlers(Notifier(sms=LoggingSmsSender())),
                               uow_factory=uow_factory, dlq_producer=FakeProducer(), retry_sleep_s=0)
    processor.process(record_of(make_envelope("UnitTransfused", {
        "unit_id": "u-9", "din": "W000126000009", "donor_id": donor_id, "hospital_id": "SH-H01",
        "hospital_name": "华山医院", "patient_blind": "p-blind", "transfused_at": NOW.isoformat()})))
    processor.process(record_of(make_envelope("DonationDiscarded", {
        "din": "W000126000009", "donor_id": donor_id, "reason": "ALT", "infectious": False,
        "discarded_at": (NOW + timedelta(minutes=1)).isoformat()})))
    responses += [client.get(path, headers=me) for path in (
        "/api/v1/me", "/api/v1/me/notifications", f"/api/v1/donors/{donor_id}/donations",
        f"/api/v1/donors/{donor_id}/eligibility", f"/api/v1/donors/{donor_id}/awards")]
    assert [r.status_code for r in responses] == [201, 409, 200, 200, 200, 201, 422] + [200] * 5

    staged = str(envelopes(session_factory))
    sms_lines = [r for r in caplog.records if r.name == "donor.notifier"]
    assert len(sms_lines) == 2 and sms_lines[0].phone_masked == "137****2222"     # the logs were captured
    assert {"DonorRegistered", "DonationRecorded", "DonorDeferred"} <= {e["type"] for e in envelopes(session_factory)}
    everything_logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    for raw in (nid, phone, nid[:14]):                         # nor the birth-bearing prefix of the ID
        assert all(raw not in r.get_data(as_text=True) for r in responses), raw
        assert raw not in staged, raw
        assert raw not in everything_logged, raw
