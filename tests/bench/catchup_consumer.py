"""One consumer replica for bench_event_replicas: `python -m tests.bench.catchup_consumer DATABASE_URL BOOTSTRAP TOPIC GROUP`.

The servicekit consumer as every service runs it (group member, inbox claim, parked-key check, offset commits),
applying a one-row handler, so the figure is the machinery's and the broker's, not a domain handler's.
"""
from __future__ import annotations

import sys

from sqlalchemy import Column, MetaData, String, Table

from servicekit.consumer import ConsumerLoop, EventProcessor, consumer_settings
from servicekit.db import make_engine, make_session_factory
from servicekit.runner import run_until_signalled
from servicekit.uow import SqlAlchemyUnitOfWork

metadata = MetaData()
applied = Table("applied", metadata, Column("event_id", String(36), primary_key=True), Column("key", String(64)))


def apply(uow, envelope) -> None:
    uow.session.execute(applied.insert().values(event_id=envelope.id, key=envelope.subject))


def main() -> None:
    url, bootstrap, topic, group = sys.argv[1:5]
    session_factory = make_session_factory(make_engine(url))
    processor = EventProcessor(group=group, handlers={("Noted", 1): apply},
                               uow_factory=lambda: SqlAlchemyUnitOfWork(session_factory, source="bench", published={}))
    run_until_signalled(ConsumerLoop(processor, [topic], consumer_settings(bootstrap, group)).run)


if __name__ == "__main__":
    main()
