"""Kafka producer settings that survive the local broker restarting."""
from __future__ import annotations

from kafka import KafkaProducer


def make_producer(bootstrap_servers: str, **overrides) -> KafkaProducer:
    """acks=all, no idempotence, one request in flight.

    Idempotence is off on purpose: against the local Tansu broker a restart wedges an idempotent
    kafka-python producer for good (docs/tooling-notes.md §2c). Duplicates are harmless because every
    consumer dedupes by event id.

    One request in flight per connection: with several, a retried batch can land after the batch sent behind
    it, and a key's events reach consumers out of order. With one, a partition's next batch waits for the
    previous one's answer (kafka-python then also retries a batch before sending the next).
    """
    settings = dict(
        bootstrap_servers=bootstrap_servers.split(","),
        acks="all",
        enable_idempotence=False,
        retries=3,
        max_in_flight_requests_per_connection=1,
        linger_ms=2,
        request_timeout_ms=5000,
        max_block_ms=5000,
        reconnect_backoff_max_ms=1000,
        metadata_max_age_ms=5000,
        metrics_enabled=False,       # nothing reads kafka-python's sensors, and each send records several
    )
    settings.update(overrides)
    return KafkaProducer(**settings)
