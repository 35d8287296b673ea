"""Relay and consumers against the real Kafka-protocol broker (Tansu)."""
import json
import threading
import uuid

import pytest
from kafka import KafkaConsumer
from sqlalchemy import func, select

from servicekit import outbox
from servicekit.broker import LocalBroker, free_port
from servicekit.consumer import DUPLICATE, ConsumerLoop, consumer_settings
from servicekit.db import make_engine, make_session_factory
from servicekit.producer import make_producer
from servicekit.tables import infra_metadata
from servicekit.testing import CountingProcessor, make_envelope
from servicekit.topics import ensure_topics
from tests.helpers import wait_until

from .conftest import Noted, ledger, ledger_count, make_uow_factory, metadata, note


def _fresh_db(databases, kind):
    engine = make_engine(databases.empty(kind))
    infra_metadata.create_all(engine)
    metadata.create_all(engine)
    return make_session_factory(engine)


def _producer_factory(bootstrap, topics):
    def factory():
        ensure_topics(bootstrap, topics, 3, deadline_s=1.0)
        return make_producer(bootstrap)
    return factory


class Running:
    """Threads running loops until the test ends."""

    def __init__(self):
        self.stop = threading.Event()
        self.threads = []

    def start(self, target):
        thread = threading.Thread(target=target, args=(self.stop,), daemon=True)
        thread.start()
        self.threads.append(thread)

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(15)


@pytest.fixture
def running():
    r = Running()
    yield r
    r.close()


def _consumer(group, session_factory, bootstrap, topic, handlers=None, batchable=(), uow_factory=None):
    processor = CountingProcessor(group=group, handlers=handlers or {("Noted", 1): note},
                                  uow_factory=uow_factory or make_uow_factory(session_factory),
                                  dlq_producer_factory=_producer_factory(bootstrap, [f"{group}.dlq"]),
                                  retry_sleep_s=0.01, batchable=batchable)
    loop = ConsumerLoop(processor, [topic], consumer_settings(bootstrap, group))
    return processor, loop


def test_events_staged_while_the_broker_is_down_reach_each_group_exactly_once(databases, db_kind, running):
    broker = LocalBroker(free_port())          # not started yet
    source = _fresh_db(databases, db_kind)
    uow_factory = make_uow_factory(source)
    for i in range(100):
        uow = uow_factory()
        with uow:
            uow.publish(Noted(key=f"donor-{i}"))
            uow.commit()
    groups = {g: _fresh_db(databases, db_kind) for g in (f"alpha-{uuid.uuid4().hex[:6]}", f"beta-{uuid.uuid4().hex[:6]}")}
    processors = []
    try:
        running.start(outbox.Relay(source, producer_factory=_producer_factory(broker.bootstrap, ["test.events"]),
                                   max_backoff_s=0.5).run)
        for group, db in groups.items():
            processor, loop = _consumer(group, db, broker.bootstrap, "test.events")
            processors.append(processor)
            running.start(loop.run)
        running.stop.wait(1.5)
        assert outbox.pending_count(source) == 100          # nothing lost, nothing marked sent
        broker.start()
        for db in groups.values():
            wait_until(lambda: ledger_count(db) == 100, timeout_s=60)
        # Publish everything again (what `make up` does after a broker restart): applied once in effect.
        outbox.replay(source)
        for processor in processors:
            wait_until(lambda: processor.outcomes.count(DUPLICATE) >= 100, timeout_s=60)
        assert [ledger_count(db) for db in groups.values()] == [100, 100]
    finally:
        running.close()
        broker.stop()


def test_a_consumer_killed_after_its_db_commit_but_before_its_offset_commit_applies_once(
        databases, db_kind, broker, running):
    topic, group = f"crash-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], 1)
    db = _fresh_db(databases, db_kind)
    producer = make_producer(broker.bootstrap)
    producer.send(topic, make_envelope("Noted", {"key": "once"}).to_json()).get(timeout=10)
    producer.close()

    first = CountingProcessor(group=group, handlers={("Noted", 1): note}, uow_factory=make_uow_factory(db))
    consumer = KafkaConsumer(topic, **consumer_settings(broker.bootstrap, group))
    records = []
    wait_until(lambda: records.extend(r for rs in consumer.poll(timeout_ms=200).values() for r in rs) or records, timeout_s=60)
    first.process(records[0])                     # database commit happens here...
    consumer.close(autocommit=False)               # ...and the process dies before committing the offset
    assert ledger_count(db) == 1

    second, loop = _consumer(group, db, broker.bootstrap, topic)
    running.start(loop.run)
    wait_until(lambda: second.outcomes, timeout_s=90)      # a group join on a loaded machine can take a while
    assert second.outcomes == [DUPLICATE] and ledger_count(db) == 1


def test_a_handler_that_keeps_failing_sends_the_record_to_the_dlq_and_the_consumer_moves_on(
        databases, broker, running):
    topic, group = f"dlq-src-{uuid.uuid4().hex[:8]}", f"kit{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic, f"{group}.dlq"], 1)
    db = _fresh_db(databases, "sqlite")

    def picky(uow, envelope):
        if envelope.data["key"] == "bad":
            raise ValueError("cannot handle bad")
        note(uow, envelope)

    producer = make_producer(broker.bootstrap)
    for key in ("bad", "good"):
        producer.send(topic, make_envelope("Noted", {"key": key}).to_json()).get(timeout=10)
    producer.close()
    processor, loop = _consumer(group, db, broker.bootstrap, topic, handlers={("Noted", 1): picky})
    running.start(loop.run)
    wait_until(lambda: ledger_count(db) == 1, timeout_s=30)

    dlq = KafkaConsumer(f"{group}.dlq", bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                        fetch_max_wait_ms=25, consumer_timeout_ms=10000)
    dead = next(iter(dlq))
    dlq.close()
    assert json.loads(dead.value)["data"]["key"] == "bad"
    assert b"cannot handle bad" in dict(dead.headers)["dlq_error"]
    with db() as s:
        assert [r.key for r in s.execute(ledger.select())] == ["good"]


def test_events_from_another_source_or_of_an_unknown_version_reach_the_dlq_with_the_reason_not_the_handler(
        databases, broker, running):
    owner = f"own{uuid.uuid4().hex[:8]}"
    topic, group = f"{owner}.events", f"kit{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic, f"{group}.dlq"], 1)
    db = _fresh_db(databases, "sqlite")
    producer = make_producer(broker.bootstrap)
    for envelope in (make_envelope("Noted", {"key": "forged"}, source="intruder"),
                     make_envelope("Noted", {"key": "future"}, source=owner, version=9),
                     make_envelope("Noted", {"key": "genuine"}, source=owner)):
        producer.send(topic, envelope.to_json(), key=envelope.subject.encode(),
                      headers=envelope.headers()).get(timeout=10)
    producer.close()
    _processor, loop = _consumer(group, db, broker.bootstrap, topic)
    running.start(loop.run)
    wait_until(lambda: ledger_count(db) == 1, timeout_s=30)

    dlq = KafkaConsumer(f"{group}.dlq", bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest",
                        fetch_max_wait_ms=25, consumer_timeout_ms=10000)
    dead = [next(iter(dlq)) for _ in range(2)]
    dlq.close()
    reasons = {json.loads(d.value)["data"]["key"]: dict(d.headers)["dlq_error"].decode() for d in dead}
    assert reasons["forged"].startswith("wrong_source: 'intruder'") and owner in reasons["forged"]
    assert reasons["future"].startswith("unknown_version: Noted v9")
    with db() as s:
        assert [r.key for r in s.execute(ledger.select())] == ["genuine"]


def test_a_dead_lettered_key_parks_its_later_events_while_other_keys_flow_until_replayed(
        databases, db_kind, broker, running):
    """Through the real broker: a's first event fails for good, a's next one waits (parked), b flows; once the
    handler is fixed, replay applies a's events in order."""
    from servicekit import parking

    from .test_parking import Recorder

    topic, group = f"park-{uuid.uuid4().hex[:8]}", f"kit{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic, f"{group}.dlq"], 3)
    db = _fresh_db(databases, db_kind)
    handler = Recorder(broken={("a", 0)})
    processor, loop = _consumer(group, db, broker.bootstrap, topic, handlers={("Noted", 1): handler})
    running.start(loop.run)
    producer = make_producer(broker.bootstrap)
    dead = None
    for subject, n in (("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2)):
        envelope = make_envelope("Noted", {"key": f"{subject}-{n}", "n": n}, subject=subject)
        dead = dead or envelope
        producer.send(topic, key=subject.encode(), value=envelope.to_json(), headers=envelope.headers()).get(timeout=10)
    producer.close()
    wait_until(lambda: processor.outcomes.count("parked") == 2 and ledger_count(db) == 2, timeout_s=30)
    assert handler.applied == [("b", 0), ("b", 1)]
    [letter] = parking.dead_letters(processor)
    assert (letter.event_id, letter.waiting) == (dead.id, 2)
    handler.broken.clear()
    assert parking.release(processor, dead.id, replay=True) == 3
    assert handler.applied[2:] == [("a", 0), ("a", 1), ("a", 2)] and ledger_count(db) == 5


def _in_key_order(uow, envelope):
    """Handler: apply event n of a key only after events 0..n-1 of that key (else fail: dead letter)."""
    subject, n = envelope.subject, envelope.data["n"]
    if envelope.data.get("bad"):
        raise ValueError("cannot handle this one")
    done = uow.session.execute(select(func.count()).select_from(ledger)
                               .where(ledger.c.key.like(f"{subject}-%"))).scalar_one()
    if done != n:
        raise AssertionError(f"{subject}: event {n} before event {done}")
    note(uow, envelope)


class _CountingCommits:
    """A unit-of-work factory that counts the transactions it commits."""

    def __init__(self, session_factory):
        self.commits, self._factory = 0, make_uow_factory(session_factory)

    def __call__(self):
        uow, counter = self._factory(), self
        commit = uow.commit

        def counted():
            if uow._depth == 1:
                counter.commits += 1
            commit()
        uow.commit = counted
        return uow


def _envelopes(events):
    return [make_envelope("Noted", {"key": f"{subject}-{n}", "n": n, **data}, subject=subject)
            for subject, n, data in events]


def _send(bootstrap, topic, envelopes):
    producer = make_producer(bootstrap)
    for envelope in envelopes:
        producer.send(topic, key=envelope.subject.encode(), value=envelope.to_json(), headers=envelope.headers())
    producer.flush(timeout=30)
    producer.close()


def test_batchable_events_are_applied_in_runs_of_one_transaction_once_each_and_in_key_order(
        databases, db_kind, broker, running):
    topic, group = f"runs-{uuid.uuid4().hex[:8]}", f"kit{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic, f"{group}.dlq"], 3)
    db = _fresh_db(databases, db_kind)
    envelopes = _envelopes([(f"k{k}", n, {}) for n in range(30) for k in range(10)])
    _send(broker.bootstrap, topic, envelopes)
    counting = _CountingCommits(db)
    processor, loop = _consumer(group, db, broker.bootstrap, topic, handlers={("Noted", 1): _in_key_order},
                                batchable={("Noted", 1)}, uow_factory=counting)
    running.start(loop.run)
    wait_until(lambda: ledger_count(db) == 300, timeout_s=60)
    assert processor.outcomes.count("applied") == 300 and "dead_lettered" not in processor.outcomes
    assert counting.commits <= 300 / 5, counting.commits          # runs, not one transaction per event
    # The same events again (a redelivery, a replay): every one a duplicate, nothing applied twice.
    processor.outcomes.clear()
    _send(broker.bootstrap, topic, envelopes[:50])
    wait_until(lambda: processor.outcomes.count("duplicate") == 50, timeout_s=60)
    assert ledger_count(db) == 300 and "applied" not in processor.outcomes


def test_a_run_with_a_failing_event_falls_back_to_one_by_one_and_only_that_key_waits(
        databases, db_kind, broker, running):
    topic, group = f"runs-{uuid.uuid4().hex[:8]}", f"kit{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic, f"{group}.dlq"], 1)
    db = _fresh_db(databases, db_kind)
    _send(broker.bootstrap, topic, _envelopes([(f"k{k}", n, {"bad": (k, n) == (3, 4)}) for n in range(10)
                                               for k in range(5)]))
    processor, loop = _consumer(group, db, broker.bootstrap, topic, handlers={("Noted", 1): _in_key_order},
                                batchable={("Noted", 1)})
    running.start(loop.run)
    # k3's events 0-3 are applied, its 4 is dead-lettered, 5-9 wait behind it; every other key is applied whole.
    wait_until(lambda: ledger_count(db) == 4 * 10 + 4 and processor.outcomes.count("parked") == 5, timeout_s=60)
    assert processor.outcomes.count("dead_lettered") == 1
    with db() as s:
        keys = {r.key for r in s.execute(ledger.select())}
    assert keys == {f"k{k}-{n}" for k in range(5) for n in range(10) if k != 3 or n < 4}


@pytest.mark.parametrize("db_kind", ["sqlite"])          # the broker's side of it; the database plays no part
def test_a_consumer_gone_idle_asks_for_the_long_wait_and_still_applies_the_next_event_then_goes_short(
        databases, db_kind, broker, running):
    """servicekit.fetchwait on the real client: after 0.5 s without a record the fetcher is set to the idle wait
    (kafka-python reads it per request: the pinned client still has the attribute); an event arriving then is
    applied, and brings the short wait back."""
    from servicekit.fetchwait import FetchWait

    topic, group = f"idle-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    ensure_topics(broker.bootstrap, [topic], 1)
    db = _fresh_db(databases, db_kind)
    processor = CountingProcessor(group=group, handlers={("Noted", 1): note}, uow_factory=make_uow_factory(db))
    consumers = []

    def factory(*topics, **settings):
        consumers.append(KafkaConsumer(*topics, **settings))
        return consumers[-1]

    loop = ConsumerLoop(processor, [topic], consumer_settings(broker.bootstrap, group), consumer_factory=factory,
                        fetch_wait=FetchWait(25, 400, idle_after_s=0.5))
    running.start(loop.run)
    wait_until(lambda: consumers and consumers[0]._fetcher.config["fetch_max_wait_ms"] == 400, timeout_s=30)
    producer = make_producer(broker.bootstrap)
    producer.send(topic, make_envelope("Noted", {"key": "after-rest"}).to_json()).get(timeout=10)
    producer.close()
    wait_until(lambda: ledger_count(db) == 1, timeout_s=10)
    assert consumers[0]._fetcher.config["fetch_max_wait_ms"] == 25
