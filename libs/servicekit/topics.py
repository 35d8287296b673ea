"""Explicit topic creation: auto-created topics get the broker's default partition count."""
from __future__ import annotations

import logging
import time
from importlib.metadata import entry_points

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)

# The project names its services once, in pyproject.toml (`[project.entry-points."servicekit.services"]`);
# servicekit only knows that each service has these two topics.
SERVICES_GROUP = "servicekit.services"


def service_names() -> list[str]:
    """The services installed with the project, in name order."""
    return sorted(ep.name for ep in entry_points(group=SERVICES_GROUP))


def all_topics() -> list[str]:
    """Every topic of the system: `<service>.events` and `<service>.dlq`."""
    return [f"{s}.{kind}" for s in service_names() for kind in ("events", "dlq")]


def ensure_topics(bootstrap_servers: str, names: list[str], partitions: int = 3,
                  replication_factor: int = 1, deadline_s: float = 30.0) -> None:
    """Create the topics that do not exist yet; retries until the broker answers."""
    stop_at = time.monotonic() + deadline_s
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers.split(","),
                                     request_timeout_ms=5000)
            try:
                existing = set(admin.list_topics())
                missing = [n for n in names if n not in existing]
                for name in missing:
                    try:
                        admin.create_topics([NewTopic(name, partitions, replication_factor)])
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


def main() -> None:  # python -m servicekit.topics
    import os

    from .logs import configure_logging

    configure_logging("topics")
    ensure_topics(os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"), all_topics(),
                  int(os.environ.get("TOPIC_PARTITIONS", "3")))


if __name__ == "__main__":
    main()
