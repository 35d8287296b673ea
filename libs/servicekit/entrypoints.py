"""main() bodies for the relay and consumer processes of every service."""
from __future__ import annotations

import argparse
import logging
from datetime import datetime

from . import metrics
from .consumer import ConsumerLoop, EventProcessor, consumer_settings
from .db import make_engine, make_session_factory
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
    parser.add_argument("--since", help="ISO 8601 time; default: every event")
    args = parser.parse_args(argv)
    configure_logging(f"{config.service_name}-relay", config.log_level)
    config.check_secrets()
    session_factory = make_session_factory(make_engine(config.database_url))
    if args.command == "replay":
        since = datetime.fromisoformat(args.since) if args.since else None
        count = replay(session_factory, since)
        log.info("outbox rows queued for replay", extra={"count": count, "since": args.since})
        return
    metrics.serve(config.metrics_port, [metrics.OutboxCollector(session_factory, config.service_name)])
    wakeup = wakeup_for(config.database_url)
    relay = Relay(session_factory, producer_factory=lambda: _producer_with_topics(config), wakeup=wakeup,
                  max_idle_sleep_s=wakeup.fallback_poll_s)
    try:
        run_until_signalled(relay.run)
    finally:
        relay.close()


def consumer_main(config, *, topics: list[str], handlers, uow_factory_builder) -> None:
    """`python -m <service>.consumer`; the group is the service name, failures go to `<service>.dlq`."""
    configure_logging(f"{config.service_name}-consumer", config.log_level)
    config.check_secrets()
    session_factory = make_session_factory(make_engine(config.database_url))
    processor = EventProcessor(group=config.service_name, handlers=handlers,
                               uow_factory=uow_factory_builder(session_factory, config),
                               dlq_producer_factory=lambda: _producer_with_topics(config),
                               dlq_topic=f"{config.service_name}.dlq",
                               max_attempts=config.consumer_max_attempts)
    loop = ConsumerLoop(processor, topics, group_settings(config))
    metrics.serve(config.metrics_port)
    run_until_signalled(loop.run)


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
