"""main() bodies for the relay and consumer processes of every service."""
from __future__ import annotations

import argparse
import logging
from datetime import datetime

from . import metrics, parking
from .consumer import ConsumerLoop, EventProcessor, consumer_settings
from .db import make_engine, make_session_factory
from .fetchwait import FetchWait
from .leadership import leadership_for
from .logs import configure_logging
from .outbox import Relay, replay
from .producer import make_producer
from .runner import run_until_signalled
from .topics import ensure_topics, own_topics
from .wakeup import wakeup_for

log = logging.getLogger(__name__)


def relay_main(config, argv: list[str] | None = None) -> None:
    """`python -m <service>.relay` publishes; `... replay [--since ISO]` re-queues sent events."""
    parser = argparse.ArgumentParser(prog=f"{config.service_name}.relay")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "replay"])
    parser.add_argument("--since", help="ISO 8601 time with its offset; default: every event of the kept window "
                                        "(EVENT_RETENTION_DAYS, servicekit.retention), which also bounds --since")
    args = parser.parse_args(argv)
    configure_logging(f"{config.service_name}-relay", config.log_level)
    config.check_secrets()
    session_factory = make_session_factory(make_engine(config.database_url))
    if args.command == "replay":
        since = datetime.fromisoformat(args.since) if args.since else None
        if since is not None and since.tzinfo is None:
            parser.error("--since needs its UTC offset, e.g. 2026-11-30T00:00:00+08:00")
        count = replay(session_factory, since, retention_days=config.event_retention_days)
        log.info("outbox rows queued for replay", extra={"count": count, "since": args.since})
        return
    metrics.serve(config.metrics_port, [metrics.OutboxCollector(session_factory, config.service_name)])
    wakeup = wakeup_for(config.database_url)
    # Any number of replicas: the one holding the service's advisory lock publishes, the others stand by.
    relay = Relay(session_factory, producer_factory=lambda: _producer_with_topics(config), wakeup=wakeup,
                  max_idle_sleep_s=wakeup.fallback_poll_s,
                  leadership=leadership_for(config.database_url, f"{config.service_name}.outbox"))
    try:
        run_until_signalled(relay.run)
    finally:
        relay.close()


def consumer_main(config, *, topics: list[str], handlers, uow_factory_builder, batchable=frozenset(),
                  bulk_handlers=None) -> None:
    """`python -m <service>.consumer`; the group is the service name, failures go to `<service>.dlq`. Consecutive
    events of the `batchable` types are applied in one transaction (servicekit.consumer.EventProcessor.process_run)."""
    configure_logging(f"{config.service_name}-consumer", config.log_level)
    config.check_secrets()
    loop = ConsumerLoop(_processor(config, handlers, uow_factory_builder, batchable, bulk_handlers), topics,
                        group_settings(config),
                        fetch_wait=FetchWait(config.kafka_fetch_max_wait_ms, config.kafka_idle_fetch_max_wait_ms))
    metrics.serve(config.metrics_port)
    run_until_signalled(loop.run)


def dlq_main(config, argv: list[str] | None = None, *, handlers, uow_factory_builder, topics=None,
             batchable=frozenset(), bulk_handlers=None) -> None:
    """`python -m <service>.dlq list [--json] | replay ID | discard ID`: the consumer's dead letters and the
    events parked behind them (servicekit.parking). Exits 2 with the reason when a release cannot be done."""
    parser = argparse.ArgumentParser(prog=f"{config.service_name}.dlq")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="dead letters, oldest first, with the events waiting behind each")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    for name, what in (("replay", "apply the dead letter (fixed), then the events parked behind it"),
                       ("discard", "drop the dead letter, then apply the events parked behind it")):
        commands.add_parser(name, help=what).add_argument("event_id", help="the dead letter's event id (list)")
    args = parser.parse_args(argv)
    configure_logging(f"{config.service_name}-dlq", config.log_level)
    config.check_secrets()
    processor = _processor(config, handlers, uow_factory_builder)
    if args.command == "list":
        letters = parking.dead_letters(processor)
        if args.json:
            print(parking.dumps(letters))
        else:
            print("event_id\tkey\tevent_type\twaiting\tparked_at\terror")
            for d in letters:
                print(f"{d.event_id}\t{d.key}\t{d.event_type}\t{d.waiting}\t{d.parked_at.isoformat()}\t{d.error}")
        return
    try:
        applied = parking.release(processor, args.event_id, replay=args.command == "replay")
    except parking.ReleaseError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    print(f"已释放 (released): {applied} event(s) applied")


def _processor(config, handlers, uow_factory_builder, batchable=frozenset(), bulk_handlers=None) -> EventProcessor:
    """The service's consumer group (its name) applying its handlers; dead letters go to `<service>.dlq`."""
    session_factory = make_session_factory(make_engine(config.database_url))
    return EventProcessor(group=config.service_name, handlers=handlers, batchable=batchable,
                          bulk_handlers=bulk_handlers,
                          uow_factory=uow_factory_builder(session_factory, config),
                          dlq_producer_factory=lambda: _producer_with_topics(config),
                          dlq_topic=f"{config.service_name}.dlq",
                          max_attempts=config.consumer_max_attempts)


def group_settings(config) -> dict:
    """The consumer group's settings: the group is the service name; the fetch wait suits the broker."""
    return consumer_settings(config.kafka_bootstrap_servers, config.service_name,
                             fetch_max_wait_ms=config.kafka_fetch_max_wait_ms, **config.kafka_client_settings())


def _producer_with_topics(config):
    """A producer, once the broker answers; the topics it writes are created first (the local broker may have
    restarted). Only its own: in production the topics job or Strimzi made them already (so nothing is created
    here with a local broker's replication), and the service's Kafka user may describe no others."""
    ensure_topics(config.kafka_bootstrap_servers, own_topics(config.service_name), config.topic_partitions,
                  deadline_s=2.0, client_settings=config.kafka_client_settings())
    return make_producer(config.kafka_bootstrap_servers, **config.kafka_client_settings())
