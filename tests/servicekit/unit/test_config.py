"""Configuration from the environment; production refuses development secrets."""
import pytest

from servicekit.config import DEV_PII_KEY, BaseConfig


def test_values_come_from_upper_case_variables_with_types():
    config = BaseConfig.from_env({"DATABASE_URL": "postgresql+psycopg://x/y", "TOPIC_PARTITIONS": "6",
                                  "LOG_LEVEL": "DEBUG"})
    assert (config.database_url, config.topic_partitions, config.log_level) == ("postgresql+psycopg://x/y", 6, "DEBUG")


GOOD = {"ENVIRONMENT": "production", "JWT_JWKS_URL": "http://gateway:8080/api/v1/.well-known/jwks.json",
        "PII_KEY": "b" * 40}


def test_production_starts_with_strong_secrets_and_no_development_switch():
    BaseConfig.from_env(GOOD).check_secrets()
    BaseConfig.from_env({"PII_KEY": DEV_PII_KEY, "HEMOLINK_DEV_OTP": "1"}).check_secrets()  # development: allowed


@pytest.mark.parametrize("change,reason", [
    ({"JWT_JWKS_URL": "gateway:8080/jwks.json"}, "JWT_JWKS_URL"),
    ({"PII_KEY": DEV_PII_KEY}, "development default"),
    ({"PII_KEY": "short-secret"}, "PII_KEY must be at least 32 bytes"),
    ({"HEMOLINK_DEV_OTP": "1"}, "HEMOLINK_DEV_OTP"),
    ({"PII_KEY": "CHANGE_ME_AT_LEAST_32_CHARACTERS"}, "PII_KEY still holds the CHANGE_ME placeholder"),
], ids=["jwks-url", "default-pii", "short-pii", "dev-otp", "placeholder"])
def test_production_refuses_to_start_with_any_one_weakness(change, reason):
    with pytest.raises(RuntimeError, match=reason):
        BaseConfig.from_env({**GOOD, **change}).check_secrets()


def test_consumer_group_fetch_wait_comes_from_the_environment():
    """Short for the local broker (it answers a parked fetch only at the deadline); Apache Kafka's own default
    in production, where a parked fetch is answered as soon as data arrives."""
    from servicekit.entrypoints import group_settings

    local = group_settings(BaseConfig.from_env({"SERVICE_NAME": "waiver"}))
    production = group_settings(BaseConfig.from_env({"SERVICE_NAME": "waiver", "KAFKA_FETCH_MAX_WAIT_MS": "500"}))
    assert (local["group_id"], local["fetch_max_wait_ms"]) == ("waiver", 25)
    assert production["fetch_max_wait_ms"] == 500
    assert local["metrics_enabled"] is False


def test_a_secret_may_come_from_a_file_named_by_its_file_variable(tmp_path):
    """Kubernetes mounts secrets as files: PII_KEY_FILE names one, its trailing newline dropped; PII_KEY wins."""
    secret = tmp_path / "pii"
    secret.write_text("k" * 40 + "\n")
    assert BaseConfig.from_env({"PII_KEY_FILE": str(secret)}).pii_key == "k" * 40
    assert BaseConfig.from_env({"PII_KEY_FILE": str(secret), "PII_KEY": "e" * 40}).pii_key == "e" * 40
    assert BaseConfig.from_env({"TOPIC_PARTITIONS_FILE": str(_write(tmp_path / "n", "6\n"))}).topic_partitions == 6


def _write(path, text):
    path.write_text(text)
    return path
