"""Every topic of the system, declared once, and its explicit creation.

`TOPICS` is the one source of truth: the topics job (`python -m servicekit.topics`, compose) creates them
from it, the Strimzi `KafkaTopic` objects in deploy/k8s are generated from it (`python -m servicekit.topics
strimzi`) and tests/deploy checks both against it. Auto-created topics would get the broker's defaults.
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass
from importlib.metadata import entry_points

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from .config import EVENT_TOPIC_RETENTION_MS

log = logging.getLogger(__name__)

# The project names its services once, in pyproject.toml (`[project.entry-points."servicekit.services"]`);
# servicekit only knows that each service has these two topics.
SERVICES_GROUP = "servicekit.services"


def service_names() -> list[str]:
    """The services installed with the project, in name order."""
    return sorted(ep.name for ep in entry_points(group=SERVICES_GROUP))


SERVICES = tuple(service_names())
REPLICATION_FACTOR = 3     # survives one broker lost while another is down for maintenance...
MIN_INSYNC_REPLICAS = 2    # ...with acks=all: a write is on two brokers before the producer hears "ok"
FOREVER = -1               # dead letters wait for a person; Kafka deletes nothing of them


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    retention_ms: int

    def configs(self) -> dict[str, str]:
        return {"min.insync.replicas": str(MIN_INSYNC_REPLICAS), "retention.ms": str(self.retention_ms)}


# Events: 6 partitions bound each consumer group to 6 active members; a week on the broker, and the outbox keeps
# at least as long (EVENT_RETENTION_DAYS, servicekit.retention) for `relay replay --since`. Dead letters: one partition
# (a trickle, read by people, in order) kept until deleted by hand.
TOPICS = tuple(t for s in SERVICES for t in (Topic(f"{s}.events", 6, EVENT_TOPIC_RETENTION_MS), Topic(f"{s}.dlq", 1, FOREVER)))


def all_topics() -> list[str]:
    """Every topic of the system: `<service>.events` and `<service>.dlq`."""
    return [t.name for t in TOPICS]


def topic_owner(topic: str) -> str | None:
    """The one service that publishes on `topic` (`<service>.events`: the envelope's `source`); None for a topic
    not named that way."""
    return topic[:-len(".events")] if topic.endswith(".events") else None


def own_topics(service: str) -> list[str]:
    """The topics a service's processes write (its events and its dead letters)."""
    return [t.name for t in TOPICS if t.name.split(".")[0] == service]


def ensure_topics(bootstrap_servers: str, names: list[str], partitions: int = 3,
                  replication_factor: int = 1, deadline_s: float = 30.0, *,
                  configs: dict[str, dict[str, str]] | None = None, client_settings: dict | None = None) -> None:
    """Create the topics that do not exist yet; retries until the broker answers. `partitions` may be a
    number for all, or a {name: count} mapping; `configs` maps a name to its topic configs."""
    stop_at = time.monotonic() + deadline_s
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","),
                                     request_timeout_ms=5000, **(client_settings or {}))
            try:
                existing = set(admin.list_topics())
                missing = [n for n in names if n not in existing]
                for name in missing:
                    count = partitions[name] if isinstance(partitions, dict) else partitions
                    try:
                        admin.create_topics([NewTopic(name, count, replication_factor,
                                                      topic_configs=(configs or {}).get(name, {}))])
                    except TopicAlreadyExistsError:
                        pass
                if missing:
                    log.info("topics created", extra={"topics": missing})
                return
            finally:
                admin.close()
        except KafkaError as exc:
            if time.monotonic() > stop_at:
                raise
            log.warning("broker not ready for topic creation: %s", exc)
            time.sleep(0.5)


def ensure_declared_topics(bootstrap_servers: str, *, replication_factor: int = REPLICATION_FACTOR,
                           deadline_s: float = 120.0, client_settings: dict | None = None) -> None:
    """Create every topic of `TOPICS` with its partitions, replication and configs."""
    ensure_topics(bootstrap_servers, all_topics(), {t.name: t.partitions for t in TOPICS}, replication_factor,
                  deadline_s, configs={t.name: t.configs() for t in TOPICS}, client_settings=client_settings)


def strimzi_topics(cluster: str = "hemolink") -> str:
    """The `KafkaTopic` objects for Strimzi, one JSON document each (JSON is YAML)."""
    docs = [{"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
             "metadata": {"name": t.name.replace(".", "-"), "labels": {"strimzi.io/cluster": cluster}},
             "spec": {"topicName": t.name, "partitions": t.partitions, "replicas": REPLICATION_FACTOR,
                      "config": {"min.insync.replicas": MIN_INSYNC_REPLICAS, "retention.ms": t.retention_ms}}}
            for t in TOPICS]
    header = "# Generated by `python -m servicekit.topics strimzi` from servicekit.topics.TOPICS: do not edit.\n"
    return header + "".join("---\n" + json.dumps(d, indent=2) + "\n" for d in docs)


def main(argv: list[str] | None = None) -> None:
    """`python -m servicekit.topics [create|list|strimzi]`: the topics job, the table, the Strimzi objects."""
    import os

    from .config import BaseConfig
    from .logs import configure_logging

    parser = argparse.ArgumentParser(prog="servicekit.topics")
    parser.add_argument("command", nargs="?", default="create", choices=["create", "list", "strimzi"])
    args = parser.parse_args(argv)
    if args.command == "list":
        for t in TOPICS:
            print(f"{t.name}\tpartitions={t.partitions}\treplicas={REPLICATION_FACTOR}\t"
                  f"min.insync.replicas={MIN_INSYNC_REPLICAS}\tretention.ms={t.retention_ms}")
        return
    if args.command == "strimzi":
        print(strimzi_topics(), end="")
        return
    configure_logging("topics")
    config = BaseConfig.from_env()
    ensure_declared_topics(config.kafka_bootstrap_servers,
                           replication_factor=int(os.environ.get("TOPIC_REPLICATION_FACTOR", REPLICATION_FACTOR)),
                           client_settings=config.kafka_client_settings())


if __name__ == "__main__":
    main()
