"""Journeys through the gateway of a system started as `make up` starts it."""
import json
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from tests.helpers import make_national_id, wait_until


def _register(system, station, national_id, **extra):
    body = {"name": "赵六", "national_id": national_id, "phone": "13700001234", "abo": "B", "rhd": "pos", **extra}
    system.remember(body["national_id"], body["phone"])
    return system.http.post(system.url("/api/v1/donors"), json=body, headers=station)


def test_every_component_reports_ok_within_60_seconds(system):
    assert system.startup_s < 60
    body = system.http.get(system.url("/api/v1/health")).json()
    assert body == {"status": "ok", "components": {c: "ok" for c in ("gateway", "donor", "inventory", "waiver", "broker")}}


def test_a_donor_registered_through_the_gateway_is_seen_by_the_waiver_service_within_5s(system):
    station = system.staff("e2e-station", "station", site_id="SH-E2E-S1")
    hospital = system.staff("e2e-hospital", "hospital", site_id="SH-E2E-H1")
    national_id = make_national_id(seq=int(time.time()) % 400)
    lookup = system.url(f"/api/v1/waiver/entitlements?patient_national_id={national_id}")
    assert system.http.get(lookup, headers=hospital).json()["patient_is_donor"] is False
    resp = _register(system, station, national_id)
    assert resp.status_code == 201, resp.text
    registered_at = time.monotonic()
    wait_until(lambda: system.http.get(lookup, headers=hospital).json()["patient_is_donor"], timeout_s=5)
    assert time.monotonic() - registered_at < 5


def test_a_standard_kafka_client_reads_the_envelope_with_no_raw_national_id(system):
    station = system.staff("e2e-station", "station", site_id="SH-E2E-S1")
    national_id = make_national_id(birth="19880808", seq=int(time.time()) % 400 + 1)
    donor = _register(system, station, national_id).json()
    consumer = Consumer({"bootstrap.servers": system.env["KAFKA_BOOTSTRAP_SERVERS"], "group.id": f"reader-{uuid.uuid4()}",
                         "auto.offset.reset": "earliest", "fetch.wait.max.ms": 25, "enable.auto.commit": False})
    partitions = consumer.list_topics("donor.events", timeout=10).topics["donor.events"].partitions
    consumer.assign([TopicPartition("donor.events", p, OFFSET_BEGINNING) for p in partitions])  # no group join
    found = None
    deadline = time.monotonic() + 20
    try:
        while found is None and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            assert national_id.encode() not in msg.value()
            if msg.key() == donor["id"].encode():
                found = msg
    finally:
        consumer.close()
    assert found is not None, "DonorRegistered not read from donor.events"
    envelope = json.loads(found.value())
    assert set(envelope) == {"id", "type", "version", "source", "subject", "time", "correlation_id", "causation_id", "data"}
    assert (envelope["type"], envelope["version"], envelope["source"], envelope["subject"]) == \
        ("DonorRegistered", 1, "donor", donor["id"])
    assert dict(found.headers())["type"] == b"DonorRegistered"
    assert envelope["data"]["national_id_masked"] == donor["national_id_masked"]
    assert dict(found.headers())["version"] == b"1" and dict(found.headers())["correlation_id"]


def test_donor_registered_is_applied_by_the_waiver_and_inventory_consumer_groups(system):
    """Three consumer groups proven: each service's inbox records the same event id once."""
    import sqlite3

    station = system.staff("e2e-station", "station", site_id="SH-E2E-S1")
    national_id = make_national_id(birth="19860606", seq=int(time.time()) % 400 + 3)
    donor = _register(system, station, national_id).json()
    outbox = sqlite3.connect(system.var_dir / "donor.db")
    event_id = outbox.execute("SELECT event_id FROM outbox WHERE key = ? AND type = 'DonorRegistered'",
                              (donor["id"],)).fetchone()[0]
    outbox.close()

    def applied(service):
        db = sqlite3.connect(system.var_dir / f"{service}.db")
        try:
            return db.execute("SELECT consumer, event_type FROM processed_events WHERE event_id = ?",
                              (event_id,)).fetchall()
        finally:
            db.close()
    for service in ("waiver", "inventory"):
        rows = wait_until(lambda: applied(service), timeout_s=20)
        assert rows == [(service, "DonorRegistered")], (service, rows)


def test_refused_requests_through_the_gateway_are_problems_and_leave_no_row(system):
    station = system.staff("e2e-station", "station", site_id="SH-E2E-S1")
    hospital = system.staff("e2e-hospital", "hospital", site_id="SH-E2E-H1")
    national_id = make_national_id(birth="19770707", seq=int(time.time()) % 400 + 2)
    body = {"name": "钱七", "national_id": national_id, "phone": "13600001234", "abo": "O", "rhd": "neg"}
    system.remember(national_id, body["phone"])
    cases = [
        ("get", "/api/v1/no-such-thing", {}, None, 404),
        ("post", "/api/v1/donors", {"Content-Type": "application/json", **station}, "{broken", 400),
        ("post", "/api/v1/donors", station, {"name": "只有名字"}, 422),
        ("delete", "/api/v1/donors", station, None, 405),
        ("post", "/api/v1/donors", {}, body, 401),
        ("post", "/api/v1/donors", hospital, body, 403),
    ]
    for method, path, headers, payload, status in cases:
        kwargs = {"data": payload} if isinstance(payload, str) else {"json": payload}
        resp = getattr(system.http, method)(system.url(path), headers=headers, **kwargs)
        assert resp.status_code == status, (path, resp.text)
        assert resp.headers["Content-Type"].startswith("application/problem+json")
        assert {"type", "title", "status", "detail", "code"} <= set(resp.json())
    found = system.http.get(system.url(f"/api/v1/donors?national_id={national_id}"), headers=station)
    assert found.status_code == 200 and found.json() == []
    assert national_id not in system.logs()
