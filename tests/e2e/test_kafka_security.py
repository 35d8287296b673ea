"""The local broker with authentication on, and our Kafka clients configured from the settings.

Tansu 0.6.0 enforces authentication (a client without credentials is refused) and speaks SASL SCRAM-SHA-512, but
cannot complete a login or serve TLS: docs/tooling-notes.md §2h records exactly what it lacks. What it can show
is tested here; SCRAM over TLS end to end is Strimzi's (deploy/k8s/base/kafka.yaml, tests/deploy)."""
from __future__ import annotations

import subprocess

import pytest
from kafka.errors import KafkaError

from servicekit.broker import LocalBroker, broker_binary, free_port
from servicekit.config import BaseConfig
from servicekit.entrypoints import group_settings
from servicekit.producer import make_producer
from servicekit.topics import ensure_topics


class AuthenticatingBroker(LocalBroker):
    def command(self) -> list[str]:
        return super().command() + ["--authentication"]


@pytest.fixture
def authenticating_broker():
    broker = AuthenticatingBroker().start()
    yield broker
    broker.stop()


def test_an_authenticating_broker_refuses_our_clients_when_they_carry_no_credentials(authenticating_broker):
    bootstrap = authenticating_broker.bootstrap
    with pytest.raises(KafkaError):
        ensure_topics(bootstrap, ["donor.events"], 1, deadline_s=2.0)
    with pytest.raises(KafkaError):                # the producer cannot even bootstrap
        make_producer(bootstrap, max_block_ms=3000).send("donor.events", b"{}").get(timeout=5)


def test_the_sasl_settings_reach_the_consumer_producer_and_admin_clients_as_configured():
    config = BaseConfig.from_env({"SERVICE_NAME": "waiver", "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                                  "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": "waiver",
                                  "KAFKA_SASL_PASSWORD": "s" * 24, "KAFKA_SSL_CAFILE": "/ca/ca.crt"})
    expected = {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_plain_username": "waiver", "sasl_plain_password": "s" * 24, "ssl_cafile": "/ca/ca.crt"}
    assert expected.items() <= group_settings(config).items()         # the consumer group
    assert config.kafka_client_settings() == expected                # producers, admin, the topics job


def test_tansu_refuses_a_certificate_with_its_key_so_it_cannot_serve_tls(tmp_path):
    """What §2h records: `--cert` and `--key` are mutually exclusive options of `tansu broker`."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("x")
    key.write_text("x")
    url = f"tcp://127.0.0.1:{free_port()}"
    result = subprocess.run([broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                             "--authentication", "--cert", str(cert), "--key", str(key)],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode != 0 and "cannot be used with" in result.stderr, result.stderr
