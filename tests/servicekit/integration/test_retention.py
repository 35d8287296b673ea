"""Pruning the outbox and the inbox (servicekit.retention), on SQLite and PostgreSQL."""
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select

from servicekit import outbox as outbox_module
from servicekit.config import BaseConfig
from servicekit.retention import prune, prune_inbox, prune_outbox
from servicekit.tables import outbox, parked_events, processed_events

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=timezone.utc)
OLD, RECENT = NOW - timedelta(days=9), NOW - timedelta(days=2)


def _outbox_rows(session_factory, n, *, created_at, published: bool, prefix="e"):
    with session_factory() as s, s.begin():
        s.execute(insert(outbox), [{
            "event_id": str(uuid.uuid4()), "topic": "t.events", "key": f"{prefix}{i}", "type": "Noted", "version": 1,
            "payload": "{}", "headers": [], "created_at": created_at, "attempts": 1 if published else 0,
            "published_at": created_at + timedelta(seconds=1) if published else None} for i in range(n)])


def _claims(session_factory, n, *, processed_at, consumer="waiver"):
    ids = [str(uuid.uuid4()) for _ in range(n)]
    with session_factory() as s, s.begin():
        s.execute(insert(processed_events), [{"consumer": consumer, "event_id": i, "event_type": "Noted",
                                              "processed_at": processed_at} for i in ids])
    return ids


def _outbox_state(session_factory) -> dict:
    with session_factory() as s:
        rows = s.execute(select(outbox.c.key, outbox.c.published_at.is_not(None))).all()
    return {key: published for key, published in rows}


def _claim_ids(session_factory) -> set:
    with session_factory() as s:
        return set(s.execute(select(processed_events.c.event_id)).scalars())


def test_published_rows_outside_the_window_go_in_batches_and_unpublished_rows_never(kit_db, db_kind):
    _outbox_rows(kit_db, 7, created_at=OLD, published=True, prefix="old-sent-")
    _outbox_rows(kit_db, 2, created_at=OLD, published=False, prefix="old-unsent-")
    _outbox_rows(kit_db, 3, created_at=RECENT, published=True, prefix="recent-")
    assert prune_outbox(kit_db, NOW - timedelta(days=7), batch=3) == 7        # batches of 3, 3, 1
    assert _outbox_state(kit_db) == {"old-unsent-0": False, "old-unsent-1": False,
                                     "recent-0": True, "recent-1": True, "recent-2": True}
    assert prune_outbox(kit_db, NOW - timedelta(days=7), batch=3) == 0        # nothing left to do: unchanged
    assert len(_outbox_state(kit_db)) == 5


def test_old_inbox_claims_go_except_a_parked_events_and_recent_ones(kit_db, db_kind):
    old = _claims(kit_db, 5, processed_at=OLD)
    recent = _claims(kit_db, 2, processed_at=RECENT)
    with kit_db() as s, s.begin():        # the first old claim is an event parked behind its key's dead letter
        s.execute(insert(parked_events).values(consumer="waiver", key="k", event_id=old[0], event_type="Noted",
                                               dead_letter=True, value="{}", headers=[], source="t.events:0:1",
                                               parked_at=OLD))
    assert prune_inbox(kit_db, NOW - timedelta(days=8), batch=2) == 4
    assert _claim_ids(kit_db) == {old[0], *recent}


def test_the_job_step_keeps_the_inbox_a_day_longer_than_the_outbox(kit_db, db_kind):
    """EVENT_RETENTION_DAYS=7: a claim 7.5 days old stays (it may belong to an event still replayable by a clock
    a little behind), one 8.5 days old goes; the outbox row 7.5 days old goes."""
    _outbox_rows(kit_db, 1, created_at=NOW - timedelta(days=7.5), published=True)
    kept = _claims(kit_db, 1, processed_at=NOW - timedelta(days=7.5))
    _claims(kit_db, 1, processed_at=NOW - timedelta(days=8.5))
    config = BaseConfig(event_retention_days=7, prune_batch=100)
    assert prune(kit_db, config, now=NOW) == {"outbox_pruned": 1, "inbox_pruned": 1}
    assert _claim_ids(kit_db) == set(kept) and _outbox_state(kit_db) == {}


def test_replay_re_queues_only_the_kept_window(kit_db, db_kind):
    """A row outside the window is not sent again even before the job pruned it: its consumers' claims may be
    gone. `since` cannot widen the window either."""
    now = datetime.now(timezone.utc)
    _outbox_rows(kit_db, 2, created_at=now - timedelta(days=9), published=True, prefix="old-")
    _outbox_rows(kit_db, 3, created_at=now - timedelta(days=1), published=True, prefix="new-")
    assert outbox_module.replay(kit_db, now - timedelta(days=30), retention_days=7) == 3
    assert _outbox_state(kit_db) == {"old-0": True, "old-1": True, "new-0": False, "new-1": False, "new-2": False}
    assert outbox_module.replay(kit_db, retention_days=7) == 3


@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_job_replicas_prune_disjoint_batches_beside_a_publishing_relay(kit_db, db_kind):
    """Two replicas of the job at once (SKIP LOCKED) and a relay publishing meanwhile: every old published row and
    old claim deleted once, no replica fails or waits for the other, the rows the relay publishes (recent) kept."""
    from servicekit.testing import FakeProducer

    _outbox_rows(kit_db, 3000, created_at=OLD, published=True, prefix="sent-")
    _outbox_rows(kit_db, 300, created_at=RECENT, published=False, prefix="unsent-")
    for day in range(30):                                      # claims of many ages: batches resume by time
        _claims(kit_db, 100, processed_at=OLD - timedelta(days=day))
    counts, claims, errors = [], [], []

    def replica():
        try:
            counts.append(prune_outbox(kit_db, NOW - timedelta(days=7), batch=100))
            claims.append(prune_inbox(kit_db, NOW - timedelta(days=8), batch=100))
        except Exception as exc:       # noqa: BLE001 - the assertion below shows it
            errors.append(exc)

    relay = outbox_module.Relay(kit_db, FakeProducer(), batch_size=50)
    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    published = sum(relay.publish_batch() for _ in range(6))
    for t in threads:
        t.join(30)
    assert not errors and sum(counts) == 3000 and sum(claims) == 3000 and _claim_ids(kit_db) == set()
    state = _outbox_state(kit_db)
    assert len(state) == 300 and sum(state.values()) == published == 300


def test_production_refuses_a_retention_shorter_than_the_brokers():
    problems = BaseConfig(environment="production", event_retention_days=3).production_problems()
    assert any("EVENT_RETENTION_DAYS" in p for p in problems)
    assert not any("EVENT_RETENTION_DAYS" in p for p in BaseConfig(environment="production").production_problems())


def test_counts_are_unchanged_when_nothing_is_old(kit_db, db_kind):
    _outbox_rows(kit_db, 4, created_at=RECENT, published=True)
    _claims(kit_db, 4, processed_at=RECENT)
    assert prune(kit_db, BaseConfig(), now=NOW) == {"outbox_pruned": 0, "inbox_pruned": 0}
    with kit_db() as s:
        assert s.execute(select(func.count()).select_from(outbox)).scalar_one() == 4
        assert s.execute(select(func.count()).select_from(processed_events)).scalar_one() == 4


def _run(module, url, *args, **env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run([sys.executable, "-m", module, *args], cwd=Path(__file__).resolve().parents[3],
                          env={**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("service", ["donor", "inventory", "waiver"])
def test_each_services_prune_job_and_replay_as_an_operator_runs_them(databases, db_kind, service):
    """`python -m <service>.jobs prune --once` with EVENT_RETENTION_DAYS; `relay replay` re-queues the window only
    and refuses a --since without its offset, changing nothing."""
    from servicekit.db import make_engine, make_session_factory

    url = databases.new(service, db_kind)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    now = datetime.now(timezone.utc)
    _outbox_rows(sessions, 3, created_at=now - timedelta(days=4), published=True, prefix="old-")
    _outbox_rows(sessions, 2, created_at=now - timedelta(hours=1), published=True, prefix="new-")
    _claims(sessions, 3, processed_at=now - timedelta(days=5), consumer=service)
    try:
        naive = _run(f"{service}.relay", url, "replay", "--since", "2026-11-30T00:00:00")
        assert naive.returncode == 2 and "offset" in naive.stderr
        assert sum(not published for published in _outbox_state(sessions).values()) == 0
        replayed = _run(f"{service}.relay", url, "replay", EVENT_RETENTION_DAYS="3")
        assert replayed.returncode == 0, replayed.stderr
        assert _outbox_state(sessions) == {"old-0": True, "old-1": True, "old-2": True, "new-0": False, "new-1": False}
        pruned = _run(f"{service}.jobs", url, "prune", "--once", EVENT_RETENTION_DAYS="3")
        assert pruned.returncode == 0, pruned.stderr
        assert _outbox_state(sessions) == {"new-0": False, "new-1": False} and _claim_ids(sessions) == set()
    finally:
        engine.dispose()
