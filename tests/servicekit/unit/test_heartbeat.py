"""Consumers, relays and jobs refresh a heartbeat from their loop; the probe fails once it is stale."""
import os
import threading
import time

import pytest

from servicekit import heartbeat
from servicekit.consumer import ConsumerLoop
from servicekit.outbox import Relay


@pytest.fixture
def beat_file(tmp_path, monkeypatch):
    path = tmp_path / "hb" / "heartbeat"
    monkeypatch.setenv("HEARTBEAT_FILE", str(path))
    heartbeat.reset()
    yield path
    heartbeat.reset()


def test_the_check_passes_while_fresh_and_fails_when_stale_or_missing(beat_file):
    assert heartbeat.main(["check"]) == 1                     # never beaten
    heartbeat.beat()
    assert heartbeat.main(["check", "--max-age", "60"]) == 0
    old = time.time() - 300
    os.utime(beat_file, (old, old))
    assert heartbeat.main(["check", "--max-age", "120"]) == 1


def test_the_consumer_loop_beats_even_while_the_broker_is_unreachable(beat_file):
    from kafka.errors import KafkaConnectionError

    stop = threading.Event()

    def no_broker(*_a, **_k):
        stop.set()
        raise KafkaConnectionError("no broker")

    ConsumerLoop(processor=None, topics=["t"], settings={}, consumer_factory=no_broker).run(stop)
    assert heartbeat.main(["check", "--max-age", "5"]) == 0


def test_the_relay_loop_beats(beat_file):
    stop = threading.Event()

    class Failing:
        def __call__(self):
            stop.set()
            raise RuntimeError("broker down")

    Relay(session_factory=None, producer_factory=Failing()).run(stop)
    assert heartbeat.main(["check", "--max-age", "5"]) == 0


def test_a_long_idle_wait_keeps_beating_and_ends_on_stop(beat_file, monkeypatch):
    monkeypatch.setattr(heartbeat, "BEAT_EVERY_S", 0.0)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert heartbeat.wait(stop, 60) is True
    assert time.monotonic() - started < 30
    assert time.time() - beat_file.stat().st_mtime < 5


def test_without_a_heartbeat_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("HEARTBEAT_FILE", raising=False)
    heartbeat.reset()
    heartbeat.beat()
    assert heartbeat.main(["check"]) == 1
    heartbeat.reset()
