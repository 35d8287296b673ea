"""Configuration read from the environment, with the same variable names in every service."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

DEV_PII_KEY = "dev-only-pii-key-change-me-0123456789abc"
MIN_SECRET_BYTES = 32      # HMAC keys shorter than the hash output can be brute-forced offline
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
    # Tokens are verified with the gateway's public keys only: its JWKS (fetched, kept jwt_jwks_cache_s), or a
    # fixed JWK Set in JWT_PUBLIC_KEYS (JWT_PUBLIC_KEYS_FILE) when keys are distributed out of band.
    jwt_jwks_url: str = "http://127.0.0.1:8080/api/v1/.well-known/jwks.json"
    jwt_public_keys: str = ""
    jwt_jwks_cache_s: float = 300.0
    pii_key: str = DEV_PII_KEY
    # Encryption key ids (servicekit.pii): new values under PII_KEY_ID; PII_OLD_KEYS (`id=secret,…`) stay readable
    # until `python -m servicekit.keys rotate` is done. The blind index has its own key (default PII_KEY), the same
    # in every service (docs/operations.md §Data keys).
    pii_key_id: str = "k1"
    pii_old_keys: str = ""
    pii_index_key: str = ""
    # The hash-chained log's HMAC key (servicekit.chain): CHAIN_KEY, by default derived from PII_KEY; entries
    # carry CHAIN_KEY_ID, and CHAIN_OLD_KEYS (`id=secret,…`) keep older entries verifiable.
    chain_key: str = ""
    chain_key_id: str = "c1"
    chain_old_keys: str = ""
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
        """Build from upper-case environment variables named like the fields (DATABASE_URL, ...); `<NAME>_FILE`
        names a file holding the value instead (a mounted Kubernetes secret), its trailing newline dropped."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            key = f.name.upper()
            if key in env:
                values[f.name] = _coerce(env[key], f.type)
            elif f"{key}_FILE" in env:
                with open(env[f"{key}_FILE"], encoding="utf-8") as handle:
                    values[f.name] = _coerce(handle.read().rstrip("\r\n"), f.type)
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
        if self.pii_key == DEV_PII_KEY:
            problems.append("PII_KEY is a development default secret")
        if len(self.pii_key.encode()) < MIN_SECRET_BYTES:
            problems.append(f"PII_KEY must be at least {MIN_SECRET_BYTES} bytes")
        if PLACEHOLDER in self.pii_key:
            problems.append(f"PII_KEY still holds the {PLACEHOLDER} placeholder of the env example")
        for name, value in (("PII_INDEX_KEY", self.pii_index_key), ("CHAIN_KEY", self.chain_key)):
            if value and len(value.encode()) < MIN_SECRET_BYTES:
                problems.append(f"{name} must be at least {MIN_SECRET_BYTES} bytes")
        if not self.jwt_public_keys and not self.jwt_jwks_url.startswith(("https://", "http://")):
            problems.append("JWT_JWKS_URL must be the gateway's http(s) JWKS address (or set JWT_PUBLIC_KEYS)")
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
