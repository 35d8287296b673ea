"""Replicas of the event processes (issue #16): consumer catch-up with 1 and 2 replicas, relay failover.

- Catch-up: a backlog of 20,000 events on a 6-partition topic, then 1 or 2 consumer processes (the servicekit
  consumer, tests.bench.catchup_consumer) on PostgreSQL; the rate counts from the first event applied to the
  last (the group's join, ~3 s on the local broker, is printed apart). 1 and 2 replicas alternate round by round
  (1 2, 2 1, 1 2: a drifting machine favours neither) and the figure is the median of the rounds' ratios.
- Failover: two `python -m donor.relay` processes on one PostgreSQL database; the leader is SIGKILLed and an event
  committed at once; the time until that event is on the broker. Baseline, in the same rounds: the same commit →
  on the broker with the leader alive.

Needs PostgreSQL (the advisory lock is PostgreSQL's) and starts its own broker; the running system is not used.
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

from servicekit import outbox
from servicekit.broker import LocalBroker
from servicekit.db import make_engine, make_session_factory
from servicekit.tables import infra_metadata
from servicekit.testing import DatabaseFactory, make_envelope
from servicekit.topics import ensure_topics
from tests.bench import rounds

ROOT = Path(__file__).resolve().parents[2]
BACKLOG, KEYS, PARTITIONS = 20_000, 2_000, 6


def _backlog(bootstrap: str, topic: str) -> None:
    from confluent_kafka import Producer     # kafka-python would take longer to write it than the consumers to read

    ensure_topics(bootstrap, [topic], PARTITIONS)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": False})
    for i in range(BACKLOG):
        envelope = make_envelope("Noted", {"i": i}, subject=f"key-{i % KEYS}")
        producer.produce(topic, key=envelope.subject.encode(), value=envelope.to_json(), headers=envelope.headers())
        if i % 5000 == 0:
            producer.poll(0)
    producer.flush(30)


def _catch_up(factory: DatabaseFactory, bootstrap: str, replicas: int) -> dict:
    from tests.bench.catchup_consumer import metadata, applied

    url = factory.empty("postgresql")
    engine = make_engine(url)
    infra_metadata.create_all(engine)
    metadata.create_all(engine)
    topic, group = f"bench-catchup-{uuid.uuid4().hex[:8]}", f"bench{uuid.uuid4().hex[:8]}"
    _backlog(bootstrap, topic)
    started = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "tests.bench.catchup_consumer", url, bootstrap, topic, group],
                              cwd=ROOT, env={**os.environ, "LOG_LEVEL": "WARNING"}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(replicas)]
    first = done = None
    try:
        with engine.connect() as conn:
            while time.monotonic() - started < 300:
                n = conn.execute(select(func.count()).select_from(applied)).scalar_one()
                conn.rollback()
                now = time.monotonic()
                if n and first is None:
                    first = now
                if n >= BACKLOG:
                    done = now
                    break
                time.sleep(0.05)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
        engine.dispose()
    if done is None:
        raise RuntimeError(f"{replicas} replica(s) did not catch up within 300 s")
    return {"rps": BACKLOG / (done - first), "join_s": first - started, "total_s": done - started}


def catch_up(factory: DatabaseFactory, bootstrap: str) -> dict:
    one, two = [], []
    for n in range(rounds.ROUNDS):          # as rounds.alternate: 1 2, 2 1, 1 2 (no HTTP figures here)
        for replicas, out in ((1, one), (2, two)) if n % 2 == 0 else ((2, two), (1, one)):
            out.append(_catch_up(factory, bootstrap, replicas))
    ratios = [b["rps"] / a["rps"] for a, b in zip(one, two)]
    result = {"1 replica events/s": round(statistics.median(r["rps"] for r in one)),
              "2 replicas events/s": round(statistics.median(r["rps"] for r in two)),
              "2 / 1 replicas": round(statistics.median(ratios), 2),
              "ratio rounds": [round(r, 2) for r in ratios],
              "group join s (1, 2 replicas)": [round(statistics.median(r["join_s"] for r in x), 1) for x in (one, two)]}
    return result


class Relays:
    """`python -m donor.relay` processes on one database, as replicas run; knows which one leads."""

    def __init__(self, url: str, bootstrap: str, session_factory):
        self.url, self.bootstrap, self.session_factory = url, bootstrap, session_factory
        self.procs: list[subprocess.Popen] = []

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.url, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
               "TOPIC_PARTITIONS": str(PARTITIONS), "LOG_LEVEL": "WARNING"}
        self.procs.append(subprocess.Popen([sys.executable, "-m", "donor.relay"], cwd=ROOT, env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def leader(self) -> subprocess.Popen | None:
        with self.session_factory() as s:
            names = s.execute(text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'donor.outbox relay %'")).scalars().all()
        return next((p for p in self.procs if p.poll() is None and f"donor.outbox relay {p.pid}" in names), None)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                p.wait(15)


def _published_after(session_factory, consumer, subject: str, before=None) -> float:
    """Commit one event, then SIGKILL `before` if given; seconds from the commit until the event is on the broker."""
    import json

    envelope = make_envelope("Noted", {"probe": subject}, source="donor", subject=subject)
    with session_factory() as s, s.begin():
        outbox.add(s, envelope, "donor.events")
    t0 = time.monotonic()
    if before is not None:
        before.send_signal(signal.SIGKILL)
    while time.monotonic() - t0 < 60:
        for records in consumer.poll(timeout_ms=100).values():
            if any(json.loads(r.value)["id"] == envelope.id for r in records):
                return time.monotonic() - t0
    raise RuntimeError("the probe event was not published within 60 s")


def failover(factory: DatabaseFactory, bootstrap: str) -> dict:
    from kafka import KafkaConsumer
    from kafka.structs import TopicPartition

    from servicekit.migrations import upgrade

    url = factory.empty("postgresql")
    upgrade("donor", url)
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    ensure_topics(bootstrap, ["donor.events"], PARTITIONS)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=25, enable_auto_commit=False)
    consumer.assign([TopicPartition("donor.events", p) for p in range(PARTITIONS)])
    consumer.seek_to_end()
    relays = Relays(url, bootstrap, session_factory)
    steady, after_kill = [], []
    try:
        relays.start()
        relays.start()
        for n in range(rounds.ROUNDS):
            deadline = time.monotonic() + 30
            while relays.leader() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            steady.append(_published_after(session_factory, consumer, f"steady-{n}"))
            time.sleep(1.0)            # the standby is at rest in its retry wait, as it would be
            after_kill.append(_published_after(session_factory, consumer, f"failover-{n}", before=relays.leader()))
            relays.start()             # back to two replicas for the next round
    finally:
        relays.stop()
        consumer.close()
        engine.dispose()
    return {"leader alive: commit → on broker ms": round(statistics.median(steady) * 1000),
            "leader killed: commit → on broker s": round(statistics.median(after_kill), 2),
            "failover rounds s": [round(t, 2) for t in after_kill]}


def run() -> dict:
    factory = DatabaseFactory(Path(tempfile.mkdtemp()))
    broker = LocalBroker().start()
    try:
        return {"consumer catch-up of 20,000 events": catch_up(factory, broker.bootstrap),
                "relay failover": failover(factory, broker.bootstrap)}
    finally:
        broker.stop()
        factory.drop_all()


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
