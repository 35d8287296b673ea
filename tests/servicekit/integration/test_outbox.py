"""Outbox atomicity and the relay, on SQLite and PostgreSQL, with a fake producer."""
import threading
import time

import pytest
from kafka.errors import KafkaTimeoutError

from servicekit import outbox
from servicekit.testing import FakeProducer

from .conftest import Noted, ledger, ledger_count, make_uow_factory


def _stage(session_factory, n, prefix="k"):
    uow_factory = make_uow_factory(session_factory)
    for i in range(n):
        uow = uow_factory()
        with uow:
            uow.session.execute(ledger.insert().values(key=f"{prefix}{i}", n=1))
            uow.publish(Noted(key=f"{prefix}{i}"))
            uow.commit()


def _run_until_published(relay, session_factory, timeout_s: float = 10) -> None:
    """Run the relay in a thread until the outbox is empty (or fail after timeout_s), then stop it."""
    from tests.helpers import wait_until

    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        wait_until(lambda: outbox.pending_count(session_factory) == 0, timeout_s=timeout_s)
    finally:
        stop.set()
        worker.join(5)


def test_state_and_event_commit_together(kit_db):
    _stage(kit_db, 3)
    assert ledger_count(kit_db) == 3
    assert [e["data"]["key"] for e in outbox.envelopes(kit_db)] == ["k0", "k1", "k2"]


def test_failure_after_the_state_change_rolls_back_state_and_outbox(kit_db):
    uow = make_uow_factory(kit_db)()
    with pytest.raises(RuntimeError):
        with uow:
            uow.session.execute(ledger.insert().values(key="x", n=1))
            uow.publish(Noted(key="x"))
            raise RuntimeError("crash before commit")
    assert ledger_count(kit_db) == 0 and outbox.envelopes(kit_db) == []


def test_failure_while_writing_the_outbox_rolls_back_the_state(kit_db, monkeypatch):
    def broken_add(*_a, **_k):
        raise RuntimeError("outbox insert failed")

    monkeypatch.setattr(outbox, "add_many", broken_add)
    uow = make_uow_factory(kit_db)()
    with pytest.raises(RuntimeError):
        with uow:
            uow.session.execute(ledger.insert().values(key="x", n=1))
            uow.publish(Noted(key="x"))
            uow.commit()
    monkeypatch.undo()
    assert ledger_count(kit_db) == 0 and outbox.envelopes(kit_db) == []


def test_relay_marks_rows_published_only_after_the_ack(kit_db):
    _stage(kit_db, 5)
    producer = FakeProducer(fail=KafkaTimeoutError("broker down"))
    relay = outbox.Relay(kit_db, producer)
    with pytest.raises(KafkaTimeoutError):
        relay.publish_batch()
    assert outbox.pending_count(kit_db) == 5
    producer.fail = None
    assert relay.publish_batch() == 5
    assert outbox.pending_count(kit_db) == 0
    sent = [(m["topic"], m["key"]) for m in producer.sent]
    assert sent == [("test.events", f"k{i}".encode()) for i in range(5)]   # oldest first, keyed by subject
    assert relay.publish_batch() == 0


class PartlyFailingProducer(FakeProducer):
    """Acknowledges every record but those whose key is in `failing` (the broker refused their batch)."""

    def __init__(self, failing):
        super().__init__()
        self.failing = set(failing)

    def send(self, topic, key=None, value=None, headers=None):
        if key in self.failing:
            return _Failed(KafkaTimeoutError(f"no ack for {key!r}"))
        return super().send(topic, key, value, headers)


class _Failed:
    def __init__(self, error):
        self.error = error

    def get(self, timeout=None):
        raise self.error


def test_a_batch_that_partly_fails_marks_its_acknowledged_prefix_and_resends_only_from_the_first_failure(kit_db):
    """k2 fails while k3 and k4 are acknowledged: k0, k1 are marked; k2 and everything after it is sent again
    (marking k3 while k2 is re-sent would let k3 reach consumers first)."""
    from sqlalchemy import select

    from servicekit.tables import outbox as outbox_table

    _stage(kit_db, 5)
    producer = PartlyFailingProducer({b"k2"})
    relay = outbox.Relay(kit_db, producer)
    with pytest.raises(KafkaTimeoutError):
        relay.publish_batch()
    with kit_db() as s:
        rows = s.execute(select(outbox_table).order_by(outbox_table.c.seq)).all()
    assert [r.published_at is not None for r in rows] == [True, True, False, False, False]
    assert rows[2].attempts == 1 and "k2" in rows[2].last_error
    producer.failing.clear()
    producer.sent.clear()
    assert relay.publish_batch() == 3
    assert [m["key"] for m in producer.sent] == [b"k2", b"k3", b"k4"]
    assert outbox.pending_count(kit_db) == 0


def test_relay_keeps_retrying_while_the_broker_is_down_and_loses_nothing(kit_db):
    _stage(kit_db, 4)
    attempts = []

    def factory():
        attempts.append(1)
        if len(attempts) < 3:
            raise KafkaTimeoutError("no broker")
        return producer

    producer = FakeProducer()
    relay = outbox.Relay(kit_db, producer_factory=factory, idle_sleep_s=0.01, max_backoff_s=0.05)
    _run_until_published(relay, kit_db)
    assert len(attempts) >= 3 and len(producer.sent) == 4


def test_replay_queues_rows_again_from_a_time(kit_db):
    _stage(kit_db, 3)
    outbox.Relay(kit_db, FakeProducer()).publish_batch()
    assert outbox.replay(kit_db) == 3
    assert outbox.pending_count(kit_db) == 3


def test_replay_since_a_time_requeues_only_the_rows_created_from_then(kit_db):
    from datetime import datetime, timezone

    from sqlalchemy import update

    from servicekit.tables import outbox as outbox_table

    _stage(kit_db, 5)
    with kit_db.begin() as s:            # the first two were written an hour before the others
        s.execute(update(outbox_table).where(outbox_table.c.seq <= 2)
                  .values(created_at=datetime(2026, 1, 1, 8, 0, tzinfo=timezone.utc)))
    outbox.Relay(kit_db, FakeProducer()).publish_batch()
    assert outbox.replay(kit_db, datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)) == 3
    assert outbox.pending_count(kit_db) == 3
    producer = FakeProducer()
    outbox.Relay(kit_db, producer).publish_batch()
    assert sorted(m["key"] for m in producer.sent) == [b"k2", b"k3", b"k4"]


def test_two_relays_never_publish_the_same_row(kit_db, db_kind):
    """The fence behind leadership (servicekit.leadership): should two relays both think they lead for a moment,
    the batches' row locks serialise them, each row goes out once."""
    if db_kind == "sqlite":
        pytest.skip("SQLite runs a single relay; the row locks are the PostgreSQL mechanism")
    _stage(kit_db, 300)
    producers = [FakeProducer(), FakeProducer()]
    relays = [outbox.Relay(kit_db, p, batch_size=20) for p in producers]

    def drain(relay):
        while relay.publish_batch():
            pass

    threads = [threading.Thread(target=drain, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [m["key"] for p in producers for m in p.sent]
    assert len(keys) == 300 and len(set(keys)) == 300
    assert all(p.sent for p in producers)  # both relays did work


def test_a_read_only_unit_of_work_refuses_to_commit_and_changes_nothing(kit_db):
    from servicekit.uow import SqlAlchemyUnitOfWork

    uow = SqlAlchemyUnitOfWork(kit_db, source="test", published={}, read_only=True)
    with pytest.raises(RuntimeError):
        with uow:
            uow.session.execute(ledger.insert().values(key="sneaky", n=1))
            uow.commit()
    assert ledger_count(kit_db) == 0



def test_after_a_partial_batch_the_relay_waits_before_polling_again(kit_db):
    """Under a steady trickle each poll would otherwise carry one row: one transaction and one broker round
    trip per event. Waiting idle_sleep_s after a partial batch lets the next carry several; a full batch
    (a backlog) is followed at once. Every row is still published once."""
    relay = outbox.Relay(kit_db, FakeProducer(), batch_size=5, idle_sleep_s=0.05, max_idle_sleep_s=0.05)
    polls, publish = [], relay.publish_batch

    def timed_publish():
        n = publish()
        polls.append((time.monotonic(), n))
        return n

    relay.publish_batch = timed_publish
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    _stage(kit_db, 12, prefix="backlog-")                    # two full batches and a partial one
    worker.start()
    try:
        for i in range(20):
            _stage(kit_db, 1, prefix=f"trickle-{i}-")
            time.sleep(0.005)
        deadline = time.monotonic() + 10
        while outbox.pending_count(kit_db) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(5)
    assert outbox.pending_count(kit_db) == 0 and len(relay.producer.sent) == 32
    assert [n for _, n in polls[:2]] == [5, 5]
    assert polls[1][0] - polls[0][0] < 0.05                  # a full batch: the next one at once
    after_partial = [later - at for (at, n), (later, _) in zip(polls, polls[1:]) if 0 < n < 5]
    assert after_partial and min(after_partial) >= 0.05


def test_a_database_error_keeps_the_producer_and_the_rows_go_out_once_it_is_back(kit_db):
    from sqlalchemy.exc import OperationalError

    _stage(kit_db, 2)
    made, producer = [], FakeProducer()

    def factory():
        made.append(1)
        return producer

    calls = []

    def flaky_sessions():
        calls.append(1)
        if len(calls) <= 2:               # the database restarts: two polls fail
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return kit_db()

    relay = outbox.Relay(flaky_sessions, producer_factory=factory, idle_sleep_s=0.01, max_backoff_s=0.05)
    relay.producer = factory()            # connected before the database went away
    _run_until_published(relay, kit_db)
    assert len(made) == 1 and len(producer.sent) == 2


def _listening_relay(kit_db, *, trigger: bool = True, **kwargs):
    """A relay woken as the entrypoint's is: NOTIFY on PostgreSQL, the wake-up socket on SQLite."""
    from servicekit.wakeup import install_trigger, wakeup_for

    engine = kit_db.kw["bind"]
    if trigger:
        with engine.begin() as conn:
            install_trigger(conn)
    return outbox.Relay(kit_db, FakeProducer(), wakeup=wakeup_for(engine.url.render_as_string(hide_password=False)),
                        **kwargs)


def _counting_polls(relay) -> list[int]:
    polls, publish = [], relay.publish_batch

    def counted():
        n = publish()
        polls.append(n)
        return n

    relay.publish_batch = counted
    return polls


def test_an_idle_relay_is_woken_by_the_commit_not_by_its_poll(kit_db, db_kind):
    """Its idle poll is 30 s here: the event goes out long before, because the commit woke the relay (PostgreSQL's
    notification; on SQLite the committing session's datagram, servicekit.wakeup)."""
    from tests.helpers import wait_until

    relay = _listening_relay(kit_db, idle_sleep_s=30, max_idle_sleep_s=30)
    polls = _counting_polls(relay)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        wait_until(lambda: polls == [0], timeout_s=10, interval_s=0.01)   # polled once, found nothing, waits
        _stage(kit_db, 1)
        wait_until(lambda: outbox.pending_count(kit_db) == 0, timeout_s=10)
    finally:
        stop.set()
        worker.join(5)
        relay.close()
    assert not worker.is_alive()                  # a long idle wait still ends promptly on stop
    assert polls[:2] == [0, 1] and len(relay.producer.sent) == 1


def test_a_missed_wake_up_is_published_by_the_fallback_poll(kit_db, db_kind, monkeypatch):
    """No notification (no trigger on PostgreSQL, the datagram not sent on SQLite): the row still goes out, at
    the relay's next fallback poll (0.5 s here), after polls that found nothing."""
    from tests.helpers import wait_until

    monkeypatch.setattr(outbox, "notify_local", lambda url: None)
    relay = _listening_relay(kit_db, trigger=False, idle_sleep_s=0.5, max_idle_sleep_s=0.5)
    polls = _counting_polls(relay)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        wait_until(lambda: polls == [0], timeout_s=10, interval_s=0.01)
        _stage(kit_db, 1)
        wait_until(lambda: outbox.pending_count(kit_db) == 0, timeout_s=10)
    finally:
        stop.set()
        worker.join(5)
        relay.close()
    assert polls[-1] == 1 and len(relay.producer.sent) == 1


@pytest.mark.parametrize("db_kind", ["sqlite"])
def test_a_relay_that_cannot_take_the_wake_up_socket_polls(kit_db, db_kind):
    """A second relay on the same SQLite file (the first holds the socket) does not fail: it polls."""
    from servicekit.wakeup import SocketWakeup

    url = kit_db.kw["bind"].url.render_as_string(hide_password=False)
    first, second = SocketWakeup(url), SocketWakeup(url)
    try:
        first.start()
        second.start()
        assert first.sock is not None and second.sock is None
        stop = threading.Event()
        started = time.monotonic()
        second.wait(stop, 0.2)          # a plain sleep now
        assert time.monotonic() - started >= 0.2
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_a_relay_whose_listening_connection_dies_falls_back_to_polling_and_listens_again(kit_db, db_kind):
    """Rows committed while it was not listening are found by the poll it makes once it listens again. (One
    row per batch: a full batch is followed by a poll at once, so no wait here is the 30 s linger.)"""
    from sqlalchemy import text

    from tests.helpers import wait_until

    relay = _listening_relay(kit_db, batch_size=1, idle_sleep_s=30, max_idle_sleep_s=30)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        wait_until(lambda: relay.wakeup.conn is not None, timeout_s=10, interval_s=0.01)
        first = relay.wakeup.conn.info.backend_pid
        with kit_db() as s, s.begin():            # a database restart, as far as that connection knows
            s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        _stage(kit_db, 1, prefix="after-")
        wait_until(lambda: outbox.pending_count(kit_db) == 0, timeout_s=15)
        wait_until(lambda: relay.wakeup.conn is not None and relay.wakeup.conn.info.backend_pid != first, timeout_s=10)
        _stage(kit_db, 1, prefix="heard-")        # and it is woken by notifications again
        wait_until(lambda: outbox.pending_count(kit_db) == 0, timeout_s=10)
    finally:
        stop.set()
        worker.join(5)
        relay.close()
    assert len(relay.producer.sent) == 2


@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_a_relay_kept_busy_still_reads_its_notifications(kit_db, db_kind):
    """Under a steady stream every poll finds rows, so the relay never waits for a notification. It must still
    read them: unread, they fill its socket, stall its backend and hold back the server's notification queue.
    Stopped while still busy, it has left only the last moments' notifications unread, not the stream's."""
    relay = _listening_relay(kit_db, idle_sleep_s=0.05, max_idle_sleep_s=0.05)
    polls = _counting_polls(relay)
    stop = threading.Event()
    worker = threading.Thread(target=relay.run, args=(stop,))
    worker.start()
    try:
        for i in range(100):                    # a commit every ~10 ms: each poll after the 50 ms linger finds some
            _stage(kit_db, 1, prefix=f"stream-{i}-")
            time.sleep(0.01)
    finally:
        stop.set()
        worker.join(5)
    try:
        unread = len(list(relay.wakeup.conn.notifies(timeout=0.2)))
    finally:
        relay.close()
    assert sum(polls) > 50 and polls.count(0) <= 2          # busy throughout: (almost) no empty poll, no wait
    assert unread <= 15, f"{unread} notifications left unread by a busy relay"


@pytest.mark.parametrize("service", ["donor", "inventory", "waiver"])
def test_every_service_database_notifies_its_relay(databases, service):
    from sqlalchemy import text

    from servicekit.db import make_engine

    engine = make_engine(databases.new(service, "postgresql"))
    with engine.connect() as conn:
        triggers = conn.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'outbox'::regclass")).scalars().all()
    engine.dispose()
    assert "outbox_notify" in triggers


def test_the_listening_connection_is_built_from_the_url_parts():
    """libpq refuses a rendered URL's raw spaces; quoted conninfo keeps any character a password may hold."""
    from psycopg.conninfo import conninfo_to_dict

    from servicekit.wakeup import NotifyWakeup

    wakeup = NotifyWakeup("postgresql+psycopg://relay%20user:p%20w%40%3A%2F%23@db.internal:6432/my%20db?sslmode=require")
    params = conninfo_to_dict(wakeup.conninfo)
    assert params == {"host": "db.internal", "port": "6432", "dbname": "my db", "user": "relay user",
                      "password": "p w@:/#", "sslmode": "require"}
