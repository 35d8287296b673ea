"""Configuration read from the environment, with the same variable names in every service."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"
DEV_PII_KEY = "dev-only-pii-key-change-me-0123456789abc"
MIN_SECRET_BYTES = 32      # HS256 keys shorter than the hash output can be brute-forced offline
PLACEHOLDER = "CHANGE_ME"  # what deploy/env/*.env.example ship; copied verbatim it is public knowledge
KAFKA_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
DAY_MS = 24 * 3600 * 1000
EVENT_TOPIC_RETENTION_MS = 7 * DAY_MS    # how long the broker keeps events (servicekit.topics)


def _coerce(raw: str, kind: Any) -> Any:
    if kind in (bool, "bool"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind in (int, "int"):
        return int(raw)
    if kind in (float, "float"):
        return float(raw)
    return raw


@dataclass(frozen=True)
class BaseConfig:
    """Settings every process has. Services subclass it to add their own."""

    service_name: str = "service"
    database_url: str = "sqlite:///var/service.db"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    jwt_secret: str = DEV_JWT_SECRET
    pii_key: str = DEV_PII_KEY
    log_level: str = "INFO"
    environment: str = "development"
    topic_partitions: int = 3
    # How long the broker may park an empty fetch. The local Tansu broker answers a parked fetch only when
    # this runs out (docs/tooling-notes.md §2d), so it is short here; Apache Kafka answers as soon as data arrives,
    # and production sets Kafka's own default: far fewer empty fetches, no added latency (docs/performance.md).
    kafka_fetch_max_wait_ms: int = 25
    # ...and once a consumer has seen no record for a few seconds (servicekit.fetchwait): idle, the short wait is an
    # empty fetch every ~12 ms per consumer, most of an idle system's CPU. Never below the first one.
    kafka_idle_fetch_max_wait_ms: int = 500
    consumer_max_attempts: int = 3
    # Published outbox rows and applied inbox claims older than this are pruned (servicekit.retention); replay
    # re-sends only this window. Production requires at least the event topics' retention.
    event_retention_days: float = 7.0
    prune_interval_s: float = 3600.0
    prune_batch: int = 5000
    # How the Kafka clients authenticate. Compose's brokers sit on a private network (PLAINTEXT); Strimzi's
    # listener takes SCRAM-SHA-512 over TLS with each service's KafkaUser, whose ACLs bound what it may touch.
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = ""
    kafka_ssl_cafile: str = ""
    hemolink_dev_otp: bool = False      # development switch that returns login codes; never in production
    # Consumers, relays and jobs serve Prometheus metrics on this port when it is set (APIs answer GET /metrics).
    metrics_port: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any):
        """Build from upper-case environment variables named like the fields (DATABASE_URL, ...)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            key = f.name.upper()
            if key in env:
                values[f.name] = _coerce(env[key], f.type)
        values.update(overrides)
        return cls(**values)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def kafka_client_settings(self) -> dict[str, Any]:
        """kafka-python keyword arguments for the security settings (empty for PLAINTEXT)."""
        settings: dict[str, Any] = {}
        if self.kafka_security_protocol != "PLAINTEXT":
            settings["security_protocol"] = self.kafka_security_protocol
        if self.kafka_security_protocol.startswith("SASL_"):
            settings.update(sasl_mechanism=self.kafka_sasl_mechanism, sasl_plain_username=self.kafka_sasl_username,
                            sasl_plain_password=self.kafka_sasl_password)
        if self.kafka_ssl_cafile:
            settings["ssl_cafile"] = self.kafka_ssl_cafile
        return settings

    def check_secrets(self) -> None:
        """Refuse to run in production with anything on `production_problems()`."""
        if self.is_production:
            problems = self.production_problems()
            if problems:
                raise RuntimeError("refusing to start in production: " + "; ".join(problems))

    def production_problems(self) -> list[str]:
        """What makes this configuration unsafe to serve the public with (empty when fine).
        Subclasses extend it (the gateway adds its admin password and SMS provider)."""
        problems = []
        if self.jwt_secret == DEV_JWT_SECRET or self.pii_key == DEV_PII_KEY:
            problems.append("JWT_SECRET/PII_KEY is a development default secret")
        for name, value in (("JWT_SECRET", self.jwt_secret), ("PII_KEY", self.pii_key)):
            if len(value.encode()) < MIN_SECRET_BYTES:
                problems.append(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
            if PLACEHOLDER in value:
                problems.append(f"{name} still holds the {PLACEHOLDER} placeholder of the env example")
        if self.hemolink_dev_otp:
            problems.append("HEMOLINK_DEV_OTP=1 returns login codes in responses")
        if PLACEHOLDER in self.database_url:
            problems.append(f"DATABASE_URL still holds the {PLACEHOLDER} placeholder of the env example")
        if self.event_retention_days * DAY_MS < EVENT_TOPIC_RETENTION_MS:
            # The broker could then redeliver an event whose inbox claim is gone: applied twice (servicekit.retention).
            problems.append(f"EVENT_RETENTION_DAYS must be at least the event topics' retention "
                            f"({EVENT_TOPIC_RETENTION_MS // DAY_MS} days)")
        return problems + self._kafka_problems()

    def _kafka_problems(self) -> list[str]:
        protocol = self.kafka_security_protocol
        if protocol not in KAFKA_PROTOCOLS:
            return [f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(KAFKA_PROTOCOLS)}"]
        if not protocol.startswith("SASL_"):
            return []
        problems = []
        if self.kafka_sasl_mechanism not in KAFKA_SASL_MECHANISMS:
            problems.append(f"KAFKA_SASL_MECHANISM must be one of {', '.join(KAFKA_SASL_MECHANISMS)} with {protocol}")
        if not self.kafka_sasl_username:
            problems.append(f"KAFKA_SASL_USERNAME must be set with {protocol}")
        if not self.kafka_sasl_password or PLACEHOLDER in self.kafka_sasl_password:
            problems.append(f"KAFKA_SASL_PASSWORD must be set (and not the {PLACEHOLDER} placeholder) with {protocol}")
        return problems
