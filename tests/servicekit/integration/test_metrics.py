"""Metrics that move: the outbox backlog read at scrape, consumer lag, dead letters, and multiprocess sums."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests
from kafka.structs import TopicPartition, OffsetAndMetadata
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from servicekit import metrics, outbox
from servicekit.broker import free_port
from servicekit.consumer import DEAD_LETTERED, EventProcessor
from servicekit.tables import outbox as outbox_table
from servicekit.testing import FakeProducer, FakeRecord, make_envelope, record_of
from tests.helpers import wait_until

from .conftest import make_uow_factory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _gauges(collector):
    return {s.name: s.value for family in collector.collect() for s in family.samples}


def test_the_outbox_backlog_and_oldest_age_reflect_the_pending_rows_at_each_scrape(kit_db):
    collector = metrics.OutboxCollector(kit_db, "kit")
    assert _gauges(collector) == {"hemolink_outbox_backlog_events": 0, "hemolink_outbox_oldest_unpublished_age_seconds": 0}
    with kit_db.begin() as session:
        for i in range(3):
            outbox.add(session, make_envelope("Noted", {"key": str(i)}), "kit.events")
        session.execute(update(outbox_table).values(created_at=datetime.now(timezone.utc) - timedelta(minutes=2)))
    seen = _gauges(collector)
    assert seen["hemolink_outbox_backlog_events"] == 3
    assert 119 <= seen["hemolink_outbox_oldest_unpublished_age_seconds"] < 600
    relay = outbox.Relay(kit_db, FakeProducer())
    assert relay.publish_batch() == 3
    assert _gauges(collector) == {"hemolink_outbox_backlog_events": 0, "hemolink_outbox_oldest_unpublished_age_seconds": 0}


def test_a_process_without_http_serves_its_metrics_and_the_backlog_on_metrics_port(kit_db):
    """What relay_main does with METRICS_PORT set: the relay's process metrics plus its service's outbox backlog."""
    with kit_db.begin() as session:
        outbox.add(session, make_envelope("Noted", {"key": "1"}), "kit.events")
    port = free_port()
    server = metrics.serve(port, [metrics.OutboxCollector(kit_db, "kit")], addr="127.0.0.1")
    try:
        families = {f.name: f for f in text_string_to_metric_families(
            requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)}
        assert families["hemolink_outbox_backlog_events"].samples[0].value == 1
        assert "hemolink_dead_letters" in families and "hemolink_relay_leader" in families
    finally:
        server.shutdown()
        server.server_close()
    assert metrics.serve(0) is None                          # METRICS_PORT unset: nothing listens


def test_consumer_lag_is_the_high_watermark_minus_the_next_offset_to_read():
    class Consumer:
        def highwater(self, tp):
            return 10

    tp = TopicPartition("lag.events", 2)
    records = [FakeRecord(b"", topic="lag.events", partition=2, offset=o) for o in (3, 4)]
    metrics.record_lag(Consumer(), "lag-group", {tp: records}, {tp: OffsetAndMetadata(5, "", -1)})
    assert metrics.CONSUMER_LAG.labels("lag-group", "lag.events", "2")._value.get() == 5
    metrics.record_lag(Consumer(), "lag-group", {tp: records}, {})          # nothing done: from the first record
    assert metrics.CONSUMER_LAG.labels("lag-group", "lag.events", "2")._value.get() == 7


def test_a_dead_lettered_record_is_counted(kit_db):
    def failing(uow, envelope):
        raise ValueError("cannot apply")

    processor = EventProcessor(group="dl-group", handlers={("Noted", 1): failing}, uow_factory=make_uow_factory(kit_db),
                               dlq_producer=FakeProducer(), max_attempts=1, retry_sleep_s=0)
    counter = metrics.DEAD_LETTERS.labels("dl-group", "test.events")
    before = counter._value.get()
    assert processor.process(record_of(make_envelope("Noted", {"key": "x"}))) == DEAD_LETTERED
    assert processor.process(FakeRecord(b"not json")) == DEAD_LETTERED
    assert counter._value.get() - before == 2


@pytest.mark.parametrize("given_dir", [True, False])
def test_under_gunicorn_one_scrape_adds_up_every_workers_requests(tmp_path, databases, given_dir):
    """Multiprocess mode as the Procfile and compose run an api: 3 workers, servicekit's gunicorn hooks, with
    PROMETHEUS_MULTIPROC_DIR given (emptied at start) or not (the master makes one)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": databases.new("gateway", "sqlite"), "HEMOLINK_ADMIN_PASSWORD": "s3cret-admin",
           "LOG_LEVEL": "WARNING", "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if given_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "prom")
        (tmp_path / "prom").mkdir()
        (tmp_path / "prom" / "counter_stale.db").write_bytes(b"left by an earlier run")     # on_starting removes it
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:servicekit.gunicorn_conf", "-w", "3",
                                "-k", "sync", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                                "--no-control-socket", "gateway.app:create_app()"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"

        def up():
            try:
                return requests.get(f"{base}/readyz", timeout=2).status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_until(up, timeout_s=60)
        # Sync workers answer one request at a time, so requests sent at once spread over the workers; bursts
        # go on until at least two workers have answered (seen as their files, or, with no dir given, as a
        # scrape that would otherwise show only its own worker's share).
        sent = 0

        def burst():
            nonlocal sent
            with ThreadPoolExecutor(max_workers=10) as pool:
                list(pool.map(lambda _: requests.get(f"{base}/healthz", timeout=10), range(30)))
            sent += 30
            return not given_dir or len(list((tmp_path / "prom").glob("histogram_*.db"))) >= 2

        wait_until(burst, timeout_s=60)
        text = requests.get(f"{base}/metrics", timeout=5).text
        count = sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
                    if s.name == "hemolink_http_request_duration_seconds_count" and s.labels.get("route") == "/healthz")
        assert count == sent                      # whichever worker answered the scrape, all workers' requests
        if given_dir:
            assert not (tmp_path / "prom" / "counter_stale.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=30)
