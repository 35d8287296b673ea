"""The MQTT bridge against a real mosquitto (Debian's, started on a free port): readings published by a sensor
gateway reach the cold-chain use case, an excursion quarantines the store's units, re-sent readings are
duplicates, and a malformed message or another site's store does not stop the good readings."""
import json
import shutil
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest

from inventory.mqtt_bridge import Bridge
from inventory.services import cold_chain
from servicekit.auth import Principal
from tests.helpers import wait_until

from .conftest import STATION1, STATION2

pytestmark = pytest.mark.usefixtures("network")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
S1 = Principal.from_claims({"sub": "station-sh-s1", "role": "station", "site_id": "SH-S1", "region": "SH"})
TOPIC = "hemolink/cold-chain/SH-S1/readings"


@pytest.fixture
def broker(tmp_path):
    if not shutil.which(MOSQUITTO):
        pytest.skip("mosquitto is not installed: run `bash scripts/ensure-debian.sh mosquitto=mosquitto=2.0.11-*`")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n", encoding="utf-8")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_until(listening, timeout_s=10)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def bridge(broker, uow_factory):
    b = Bridge(uow_factory, "SH-S1", host="127.0.0.1", port=broker, topic=TOPIC, flush_s=0.2)
    stop = threading.Event()
    thread = threading.Thread(target=b.run, args=(stop,), daemon=True)
    thread.start()
    assert b.subscribed.wait(10), "the bridge did not subscribe"
    yield b
    stop.set()
    thread.join(10)


def _publisher(port):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sensor-gateway-test")
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_published_readings_are_ingested_and_an_excursion_quarantines_the_store(client, broker, bridge, red_cells,
                                                                             uow_factory):
    now = datetime.now(timezone.utc)
    fridge = client.post("/api/v1/cold-chain/locations", headers=STATION1,
                         json={"site_id": "SH-S1", "kind": "fridge", "name": "MQTT 冰箱"}).get_json()["id"]
    theirs = client.post("/api/v1/cold-chain/locations", headers=STATION2,
                         json={"site_id": "SH-S2", "kind": "fridge", "name": "别站冰箱"}).get_json()["id"]
    bags = red_cells(2)
    cold_chain.place_units(uow_factory(), S1, location_id=fridge, unit_ids=bags, now=now - timedelta(hours=3))
    base = now - timedelta(hours=2)

    def reading(location, minutes, celsius):
        return {"location_id": location, "at": (base + timedelta(minutes=minutes)).isoformat(), "celsius": celsius}

    pub = _publisher(broker)
    try:
        pub.publish(TOPIC, b"{not json", qos=1).wait_for_publish(5)
        pub.publish(TOPIC, json.dumps(reading(fridge, 0, 4.0)), qos=1).wait_for_publish(5)
        batch = {"readings": [reading(fridge, 10, 9.0), reading(theirs, 10, 9.0), reading(fridge, 50, 9.0)]}
        pub.publish(TOPIC, json.dumps(batch), qos=1).wait_for_publish(5)
        pub.publish(TOPIC, json.dumps(reading(fridge, 0, 4.0)), qos=1).wait_for_publish(5)      # re-sent
    finally:
        pub.loop_stop()
        pub.disconnect()

    excursions = wait_until(lambda: client.get("/api/v1/cold-chain/excursions", headers=STATION1).get_json(),
                            timeout_s=15)
    [exc] = excursions
    assert sorted(exc["unit_ids"]) == sorted(bags) and exc["max_c"] == 9.0
    wait_until(lambda: bridge.stats["stored"] == 3 and bridge.stats["duplicates"] == 1, timeout_s=10)
    assert (bridge.stats["malformed"], bridge.stats["refused"]) == (1, 1)      # the bad message, SH-S2's store
    assert client.get("/api/v1/cold-chain/excursions", headers=STATION2).get_json() == []
    assert {client.get(f"/api/v1/units/{u}", headers=STATION1).get_json()["status"] for u in bags} == {"quarantined"}
