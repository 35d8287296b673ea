"""Every service refuses to start in production mode with a development secret or HEMOLINK_DEV_OTP=1,
and starts with strong settings."""
import importlib

import pytest

from servicekit.config import DEV_PII_KEY
from tests.helpers import keyring_file

STRONG = {"environment": "production", "pii_key": "p" * 40}


@pytest.mark.parametrize("service", ["donor", "inventory", "waiver"])
def test_each_service_refuses_production_with_a_weakness_and_starts_without(databases, service, tmp_path):
    create_app = importlib.import_module(f"{service}.app").create_app
    url = databases.new(service, "sqlite")
    extra = {"documents_dir": str(tmp_path / "docs"), "bank_batch_dir": str(tmp_path / "bank")} if service == "waiver" else {}
    assert create_app(database_url=url, **STRONG, **extra) is not None
    for weakness in ({"hemolink_dev_otp": True}, {"pii_key": DEV_PII_KEY}, {"pii_key": "short"},
                     {"jwt_jwks_url": ""}):
        with pytest.raises(RuntimeError, match="refusing to start in production"):
            create_app(database_url=url, **{**STRONG, **weakness}, **extra)


GATEWAY_STRONG = {**STRONG, "jwt_signing_keys_file": keyring_file(), "hemolink_admin_password": "a-strong-admin-pass", "sms_gateway_url": "https://sms.example.cn/v1",
                  "rate_limit_storage_uri": "redis://127.0.0.1:6379/0", "trusted_proxies": 1}


def test_the_refusal_lists_every_problem_at_once(databases):
    """An operator fixes everything in one go: each weakness of the configuration is named in one message."""
    from gateway.app import create_app

    weak = {**GATEWAY_STRONG, "pii_key": "CHANGE_ME_AT_LEAST_32_CHARACTERS", "rate_limit_storage_uri": "memory://",
            "trusted_proxies": 0, "kafka_security_protocol": "SASL_SSL", "sms_gateway_url": "",
            "database_url": "postgresql+psycopg://gateway:CHANGE_ME@postgres:5432/gateway"}
    with pytest.raises(RuntimeError) as refused:
        create_app(**weak)
    message = str(refused.value)
    for problem in ("PII_KEY still holds the CHANGE_ME placeholder", "DATABASE_URL still holds the CHANGE_ME",
                    "RATE_LIMIT_STORAGE_URI must be a redis://", "TRUSTED_PROXIES must be at least 1",
                    "KAFKA_SASL_MECHANISM must be one of", "KAFKA_SASL_USERNAME must be set",
                    "KAFKA_SASL_PASSWORD must be set", "SMS_GATEWAY_URL must be set"):
        assert problem in message, message


@pytest.mark.parametrize("service", ["donor", "inventory", "waiver"])
def test_kafka_security_settings_are_checked_and_reach_the_clients(service):
    """SASL without a mechanism, user or password would fail at the first connect, far from the cause."""
    config = importlib.import_module(f"{service}.config").Config
    good = {"ENVIRONMENT": "production", "PII_KEY": "p" * 40,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": service, "KAFKA_SASL_PASSWORD": "s" * 24, "KAFKA_SSL_CAFILE": "/ca/ca.crt"}
    ok = config.from_env(good)
    ok.check_secrets()
    assert ok.kafka_client_settings() == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                                          "sasl_plain_username": service, "sasl_plain_password": "s" * 24,
                                          "ssl_cafile": "/ca/ca.crt"}
    for flip, reason in (({"KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL must be one of"),
                         ({"KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM"),
                         ({"KAFKA_SASL_PASSWORD": "CHANGE_ME"}, "KAFKA_SASL_PASSWORD"),
                         ({"KAFKA_SASL_USERNAME": ""}, "KAFKA_SASL_USERNAME")):
        with pytest.raises(RuntimeError, match=reason):
            config.from_env({**good, **flip}).check_secrets()
