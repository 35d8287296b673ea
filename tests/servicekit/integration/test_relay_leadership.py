"""One publishing relay per service on PostgreSQL (an advisory lock), with relays as real processes
(`python -m donor.relay`) against the real broker: one leads, a key's events arrive in order, and when the
leader is SIGKILLed the standby publishes."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from kafka import KafkaConsumer
from kafka.structs import TopicPartition
from sqlalchemy import text

from servicekit import outbox
from servicekit.db import make_engine, make_session_factory
from servicekit.leadership import AdvisoryLeadership
from servicekit.testing import make_envelope
from servicekit.topics import ensure_topics
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[3]
TOPIC = "donor.events"


def _lock_holders(session_factory, name="donor.outbox") -> list[str]:
    """Application names of the sessions holding the relay's advisory lock (`<name> relay <pid>`)."""
    with session_factory() as s:
        return s.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE :name"),
            {"name": f"{name} relay %"}).scalars().all()


@pytest.fixture
def pg_donor(databases):
    engine = make_engine(databases.new("donor", "postgresql"))
    yield engine.url.render_as_string(hide_password=False), make_session_factory(engine)
    engine.dispose()


def test_one_advisory_lock_holder_and_a_standby_that_takes_over_when_the_lock_connection_dies(pg_donor):
    url, session_factory = pg_donor
    first, second = AdvisoryLeadership(url, "t.outbox"), AdvisoryLeadership(url, "t.outbox")
    try:
        assert first.held() and not second.held()
        assert first.is_leader and not second.is_leader
        assert AdvisoryLeadership(url, "other.outbox").held()       # another service has its own lock
        with session_factory() as s, s.begin():                     # the leader's lock connection dies
            s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first.conn.info.backend_pid})
        assert not first.held() and not first.is_leader             # it stops before its next batch...
        wait_until(second.held, timeout_s=10)                       # ...and the standby becomes the leader
        assert not first.held()
        second.close()                                              # a clean stop releases the lock: the
        wait_until(first.held, timeout_s=10)                        # other takes it on its next ask (a 2 s
        #                                                             connect can time out on a loaded machine)
    finally:
        first.close()
        second.close()


class Arrivals:
    """Reads every partition of the topic from the start; keeps (key, n) of this test's events in arrival order."""

    def __init__(self, bootstrap, prefix):
        self.prefix, self.got = prefix.encode(), []
        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=25, auto_offset_reset="earliest",
                                      enable_auto_commit=False)
        self.consumer.assign([TopicPartition(TOPIC, p) for p in self.consumer.partitions_for_topic(TOPIC)])
        self.consumer.seek_to_beginning()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import json

        while not self.stop.is_set():
            for records in self.consumer.poll(timeout_ms=200).values():
                for r in records:
                    if r.key and r.key.startswith(self.prefix):
                        self.got.append((r.key.decode(), json.loads(r.value)["data"]["n"]))

    def close(self):
        self.stop.set()
        self.thread.join(10)
        self.consumer.close()


def _stage(session_factory, keys, numbers):
    """One commit per round: every key's next event, interleaved, as a busy service writes them."""
    for n in numbers:
        with session_factory() as s, s.begin():
            for key in keys:
                outbox.add(s, make_envelope("Noted", {"n": n}, source="donor", subject=key), TOPIC)


def _relay(url, bootstrap, log_path):
    env = {**os.environ, "DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TOPIC_PARTITIONS": "6",
           "LOG_LEVEL": "INFO"}
    return subprocess.Popen([sys.executable, "-m", "donor.relay"], cwd=ROOT, env=env,
                            stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)


def _in_order(got, keys, count):
    """Each key's events arrived in the order staged (a re-sent event may repeat, never overtake)."""
    by_key = defaultdict(list)
    for key, n in got:
        by_key[key].append(n)
    return all(by_key[k] == sorted(by_key[k]) and sorted(set(by_key[k])) == list(range(count)) for k in keys)


def test_two_relay_processes_one_leader_order_kept_and_the_standby_publishes_after_the_leader_is_killed(
        pg_donor, broker, tmp_path):
    url, session_factory = pg_donor
    ensure_topics(broker.bootstrap, [TOPIC], 6)
    prefix = f"lead-{uuid.uuid4().hex[:6]}-"
    keys = [f"{prefix}{i}" for i in range(8)]
    arrivals = Arrivals(broker.bootstrap, prefix)
    relays = [_relay(url, broker.bootstrap, tmp_path / f"relay{i}.log") for i in range(2)]
    try:
        wait_until(lambda: len(_lock_holders(session_factory)) == 1, timeout_s=20)
        stager = threading.Thread(target=_stage, args=(session_factory, keys, range(40)))
        stager.start()                                  # written while both relays run
        stager.join()
        wait_until(lambda: len(arrivals.got) >= 8 * 40, timeout_s=60)
        [holder] = _lock_holders(session_factory)
        leader = next(p for p in relays if holder.endswith(f" {p.pid}"))
        standby = next(p for p in relays if p is not leader)
        assert _in_order(arrivals.got, keys, 40)

        leader.send_signal(signal.SIGKILL)
        leader.wait(10)
        killed_at = time.monotonic()
        _stage(session_factory, keys, range(40, 50))
        wait_until(lambda: _in_order(arrivals.got, keys, 50), timeout_s=30)
        print(f"standby published {time.monotonic() - killed_at:.2f}s after the leader was killed")
        assert _lock_holders(session_factory) == [f"donor.outbox relay {standby.pid}"]
        assert outbox.pending_count(session_factory) == 0
    finally:
        for p in relays:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        arrivals.close()
    logs = " ".join((tmp_path / f"relay{i}.log").read_text() for i in range(2))
    assert logs.count("relay leadership acquired") == 2             # the first leader, then the standby
