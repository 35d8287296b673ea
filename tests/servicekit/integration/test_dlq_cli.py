"""`python -m <service>.dlq` for every service, as an operator runs it: list, release, and refusals that change
nothing."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from servicekit import parking
from servicekit.db import make_engine, make_session_factory
from servicekit.tables import parked_events, processed_events
from servicekit.testing import make_envelope, record_of

ROOT = Path(__file__).resolve().parents[3]


def _dlq(service, url, *args):
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", f"{service}.dlq", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def _counts(session_factory):
    with session_factory() as s:
        return (s.execute(select(func.count()).select_from(parked_events)).scalar_one(),
                s.execute(select(func.count()).select_from(processed_events)).scalar_one())


@pytest.mark.parametrize("service", ["donor", "inventory", "waiver"])
def test_the_dlq_command_lists_discards_and_refuses_an_unknown_id(databases, db_kind, service):
    url = databases.new(service, db_kind)
    engine = make_engine(url)
    session_factory = make_session_factory(engine)
    envelope = make_envelope("SomethingBroken", {"n": 0}, subject="key-1")
    with session_factory() as s, s.begin():       # what the consumer leaves after dead-lettering an event
        s.execute(processed_events.insert().values(consumer=service, event_id=envelope.id,
                                                   event_type=envelope.type, processed_at=func.now()))
        parking.park(s, service, record_of(envelope, offset=3), envelope, dead_letter=True, error="ValueError('x')")
    engine.dispose()

    listed = _dlq(service, url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [letter] = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert (letter["event_id"], letter["key"], letter["waiting"]) == (envelope.id, "key-1", 0)

    unknown = _dlq(service, url, "replay", "no-such-id")
    assert unknown.returncode == 2 and "没有编号为 no-such-id 的死信" in unknown.stderr
    missing_id = _dlq(service, url, "discard")
    assert missing_id.returncode == 2 and "event_id" in missing_id.stderr
    engine = make_engine(url)
    assert _counts(make_session_factory(engine)) == (1, 1)          # refusals changed nothing

    discarded = _dlq(service, url, "discard", envelope.id)
    assert discarded.returncode == 0, discarded.stderr
    assert _counts(make_session_factory(engine)) == (0, 1)          # dropped; still claimed, so never applied
    engine.dispose()
    assert _dlq(service, url, "list", "--json").stdout.strip() == ""
