"""One trace from the caller through the gateway, the service, the outbox, Kafka and the consumer's log lines.

A real gateway in front of a tiny service of servicekit's own (a POST that stages a Noted event), the real
relay publishing to the real broker, and a consumer processing the record it polled.
"""
import io
import json
import logging
import threading
import uuid

import requests
from flask import jsonify, request
from kafka import KafkaConsumer
from werkzeug.serving import make_server

from gateway.app import create_app as create_gateway
from servicekit import outbox, tracing
from servicekit.broker import free_port
from servicekit.config import BaseConfig
from servicekit.consumer import APPLIED, consumer_settings
from servicekit.logs import JsonFormatter
from servicekit.producer import make_producer
from servicekit.testing import CountingProcessor
from servicekit.topics import ensure_topics
from servicekit.uow import SqlAlchemyUnitOfWork
from servicekit.web import create_service_app
from tests.helpers import PII_KEY, SERVICE_KEYS, auth, gateway_keys, wait_until

from .conftest import Noted, NotedSchema, note

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


class TinyService:
    """`POST /api/v1/donors/<key>` stages Noted(key) in the outbox and says what trace it ran in."""

    def __init__(self, session_factory, source):
        config = BaseConfig(service_name=source, **SERVICE_KEYS, kafka_bootstrap_servers="127.0.0.1:1")
        app, _api = create_service_app(__name__, config, session_factory.kw["bind"], title="t", roles=["station"])

        def stage(key):
            uow = SqlAlchemyUnitOfWork(session_factory, source=source, published={Noted: NotedSchema()})
            with uow:
                uow.publish(Noted(key=key))
                uow.commit()
            return jsonify(traceparent=request.headers.get("traceparent"), trace_id=tracing.current_trace_id())

        app.add_url_rule("/api/v1/donors/<key>", "stage", stage, methods=["POST"])
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"


def test_a_traceparent_sent_to_the_gateway_reaches_the_service_the_kafka_headers_and_the_consumers_logs(
        kit_db, databases, db_kind, broker):
    source = f"trace{uuid.uuid4().hex[:8]}"
    topic = f"{source}.events"
    service = TinyService(kit_db, source)
    gateway = create_gateway(database_url=databases.new("gateway", db_kind), **gateway_keys(), pii_key=PII_KEY,
                             donor_url=service.url, inventory_url=service.url, waiver_url=service.url,
                             hemolink_admin_password="s3cret-admin", kafka_bootstrap_servers=broker.bootstrap)
    try:
        resp = gateway.test_client().post("/api/v1/donors/d-1", headers={
            "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01", **auth("station")})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        seen = resp.get_json()
        # The service got the caller's trace, as a child of the gateway's own span (not the caller's span).
        version, trace_id, parent_span, _flags = seen["traceparent"].split("-")
        assert (version, trace_id) == ("00", TRACE_ID) and parent_span != CALLER_SPAN
        assert seen["trace_id"] == TRACE_ID

        ensure_topics(broker.bootstrap, [topic], 1)
        relay = outbox.Relay(kit_db, make_producer(broker.bootstrap))
        assert relay.publish_batch() == 1
        relay.close()
        group = f"g-{uuid.uuid4().hex[:8]}"
        consumer = KafkaConsumer(topic, **consumer_settings(broker.bootstrap, group))
        records = []
        wait_until(lambda: records.extend(r for rs in consumer.poll(timeout_ms=200).values() for r in rs) or records)
        consumer.close()
        headers = dict(records[0].headers)
        assert headers["traceparent"].decode().split("-")[1] == TRACE_ID        # in the record's Kafka headers

        lines = io.StringIO()
        handler = logging.StreamHandler(lines)
        handler.setFormatter(JsonFormatter("test-consumer"))
        logging.getLogger().addHandler(handler)
        previous_level = logging.getLogger("servicekit.consumer").level
        logging.getLogger("servicekit.consumer").setLevel(logging.INFO)
        try:
            processor = CountingProcessor(group=group, handlers={("Noted", 1): note},
                                          uow_factory=lambda: SqlAlchemyUnitOfWork(
                                              kit_db, source="test", published={Noted: NotedSchema()}))
            assert processor.process(records[0]) == APPLIED
        finally:
            logging.getLogger().removeHandler(handler)
            logging.getLogger("servicekit.consumer").setLevel(previous_level)
        applied = [json.loads(line) for line in lines.getvalue().splitlines()
                   if json.loads(line)["message"] == "event applied"]
        assert len(applied) == 1 and applied[0]["trace_id"] == TRACE_ID    # the consumer's work ran in the trace
        assert tracing.current_trace_id() is None                          # and left no trace behind it
    finally:
        service.server.shutdown()


def test_a_request_without_traceparent_starts_a_trace_of_its_own(kit_db):
    service = TinyService(kit_db, f"trace{uuid.uuid4().hex[:8]}")
    try:
        first = requests.post(f"{service.url}/api/v1/donors/a", timeout=10).json()
        second = requests.post(f"{service.url}/api/v1/donors/b", timeout=10).json()
        assert first["traceparent"] is None and len(first["trace_id"]) == 32 and int(first["trace_id"], 16)
        assert first["trace_id"] != second["trace_id"]
    finally:
        service.server.shutdown()
