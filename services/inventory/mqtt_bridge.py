"""`python -m inventory.mqtt_bridge`: a station's sensor gateway publishing over MQTT instead of posting batches.

Subscribes to `MQTT_TOPIC` (default `hemolink/cold-chain/<MQTT_SITE_ID>/readings`) on `MQTT_HOST:MQTT_PORT` and
feeds the readings into the same use case as `POST /api/v1/cold-chain/readings` (services/cold_chain.py
ingest_readings), as the station `MQTT_SITE_ID`: so only that site's stores are accepted, a reading re-sent by the
broker (QoS 1 redelivers) is a duplicate, and excursions are detected and announced the same way.

A message is one reading `{location_id, at, celsius, agitating?}` or a batch `{readings: [...]}`, JSON. Readings
are collected for `MQTT_FLUSH_S` seconds (or up to the batch limit) and ingested together, one transaction. A
message that does not parse, or a batch the use case refuses (an unknown store, another site's), is logged by its
reason and dropped reading by reading: the good readings of a refused batch are ingested one by one, so one broken
sensor does not silence its neighbours. Readings the process holds when it is killed are lost; the sensor
gateway's QoS 1 redelivery covers what the broker had not yet handed over.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
from marshmallow import ValidationError

from servicekit.auth import Principal
from servicekit.db import make_engine, make_session_factory
from servicekit.errors import DomainError

from .coldchain import MAX_BATCH
from .schemas_cold_chain import ReadingSchema
from .services import cold_chain
from .unit_of_work import InventoryUnitOfWork

log = logging.getLogger("inventory.mqtt_bridge")
_READING = ReadingSchema()


def parse(payload: bytes) -> list[dict]:
    """The readings of one message (validated as the HTTP batch's); ValueError/ValidationError when malformed."""
    body = json.loads(payload.decode("utf-8"))
    items = body["readings"] if isinstance(body, dict) and "readings" in body else [body]
    if not isinstance(items, list) or len(items) > MAX_BATCH:
        raise ValueError("not a list of readings, or more than the batch limit")
    return [_READING.load(item) for item in items]


class Bridge:
    def __init__(self, uow_factory, site_id: str, *, host: str, port: int, topic: str, flush_s: float = 1.0):
        self.uow_factory, self.host, self.port, self.topic, self.flush_s = uow_factory, host, port, topic, flush_s
        self.principal = Principal.from_claims({"sub": f"mqtt-bridge@{site_id}", "role": "station",
                                                "site_id": site_id})
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.stats = {"messages": 0, "malformed": 0, "stored": 0, "duplicates": 0, "refused": 0, "excursions": 0}
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"hemolink-inventory-{site_id}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self.subscribed.set()

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties):
        if reason_code.is_failure:
            log.warning("mqtt connect refused", extra={"reason": str(reason_code)})
            return
        client.subscribe(self.topic, qos=1)      # again after every reconnect

    def _on_message(self, _client, _userdata, message):
        self.stats["messages"] += 1
        try:
            for reading in parse(message.payload):
                self.inbox.put(reading)
        except (ValueError, KeyError, TypeError, ValidationError) as err:
            self.stats["malformed"] += 1
            log.warning("mqtt message dropped", extra={"reason": type(err).__name__, "topic": message.topic})

    def _ingest(self, readings: list[dict]) -> None:
        try:
            result = cold_chain.ingest_readings(self.uow_factory(), self.principal, readings=readings,
                                                now=datetime.now(timezone.utc))
        except DomainError as err:
            if len(readings) > 1:          # find the readings that spoil the batch; keep the others
                for reading in readings:
                    self._ingest([reading])
                return
            self.stats["refused"] += 1
            log.warning("mqtt reading refused", extra={"code": err.code, "location_id": readings[0]["location_id"]})
            return
        self.stats["stored"] += result["stored"]
        self.stats["duplicates"] += result["duplicates"]
        self.stats["excursions"] += len(result["excursions"])

    def flush(self) -> int:
        batch = []
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        if batch:
            self._ingest(batch)
        return len(batch)

    def run(self, stop: threading.Event) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()                 # paho's network thread; reconnects on its own
        try:
            while not stop.is_set():
                stop.wait(self.flush_s)
                while self.flush() == MAX_BATCH:
                    pass
        finally:
            self.client.loop_stop()
            self.client.disconnect()
            self.flush()


def main() -> None:
    from .config import Config

    config = Config.from_env()
    site_id = os.environ["MQTT_SITE_ID"]
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    bridge = Bridge(lambda: InventoryUnitOfWork(sessions), site_id, host=os.environ.get("MQTT_HOST", "127.0.0.1"),
                    port=int(os.environ.get("MQTT_PORT", "1883")),
                    topic=os.environ.get("MQTT_TOPIC", f"hemolink/cold-chain/{site_id}/readings"),
                    flush_s=float(os.environ.get("MQTT_FLUSH_S", "1")))
    stop = threading.Event()
    import signal
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    bridge.run(stop)
    engine.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main()
